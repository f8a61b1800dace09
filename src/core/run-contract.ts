// Sandbox-safe: the run workflow's public contract (input, queries, update), shared with clients.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ErrorInfo, Message, RunEvent, RunStatus } from './types';

/** Name of the generic agent workflow type (a public contract: histories refer to it). */
export const AGENT_RUN_WORKFLOW = 'agentRunWorkflow';

/** Search attribute holding the agent key of a run (Keyword). */
export const AgentKeySearchAttribute = defineSearchAttributeKey(
  'AgentKey',
  SearchAttributeType.KEYWORD,
);
/** Search attribute holding the status of a run (Keyword). */
export const AgentStatusSearchAttribute = defineSearchAttributeKey(
  'AgentStatus',
  SearchAttributeType.KEYWORD,
);

/** Timeouts and retries of the activities a run schedules. */
export interface RunActivityOptions {
  /** Longest one model call may take. @default 300 */
  llmStartToCloseTimeoutSeconds?: number;
  /** A model call whose worker stops heartbeating this long is retried elsewhere. @default 30 */
  llmHeartbeatTimeoutSeconds?: number;
  /** Retries of a failing model call (attempts = retries + 1). @default 3 */
  maxRetries?: number;
  /** First retry delay when the provider gives no `retry-after`. @default 1 */
  retryInitialIntervalSeconds?: number;
  /** Longest retry delay. @default 60 */
  retryMaximumIntervalSeconds?: number;
}

/**
 * Which stores the workers of a run write to. The workflow cannot see the workers' configuration,
 * so the runner says it here (`AgentRunnerOptions.persistence`); a run without it schedules none
 * of the persistence activities. A run that asks for a store its worker lacks gets a
 * `CONFIG_MISSING` failure from the activity (logged for events; failing the run for
 * conversations and checkpoints).
 */
export interface RunPersistenceOptions {
  /**
   * Publish the run's events (`publishRunEvents`) before each model call and at the end: to the
   * workers' event bus, plus run status to their state store and audit records to their audit
   * store, for those they have. @default false
   */
  runEvents?: boolean;
  /**
   * With a `conversationId`: read the conversation's active branch as the run's history
   * (`loadConversation`) and append the run's new messages when it succeeds
   * (`appendConversation`). @default false
   */
  conversations?: boolean;
  /**
   * Save each `ctx.checkpoint(state)` to the workers' state store (`saveRunCheckpoint`) and let
   * `ctx.getState()` load the checkpoint of an earlier run with the same run id
   * (`loadRunCheckpoint`): what `StepExecutor` resume across runs needs. Without it, checkpoints
   * live in the run's history only; with it, a worker without a `stateStore` fails the run with
   * `CONFIG_MISSING`. @default false
   */
  checkpoints?: boolean;
}

/** Input of `agentRunWorkflow` (one object, so fields can be added without breaking histories). */
export interface AgentRunInput {
  /** Key of the registered agent to run. */
  agentKey: string;
  /** The run id (also the workflow id). */
  runId: string;
  /** Conversation the run belongs to. */
  conversationId?: string;
  /** Input messages. */
  messages: Message[];
  /** Free-form parameters for the agent. */
  params?: Record<string, unknown>;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
  /** Run time limit in seconds; the run ends `timed_out` after it. @default 300 */
  runTimeoutSeconds?: number;
  /** Activity timeouts and retries. */
  activityOptions?: RunActivityOptions;
  /** Which stores the run's workers write to. @default none */
  persistence?: RunPersistenceOptions;
}

/** What the `status` query answers. */
export interface RunStatusInfo {
  runId: string;
  agentKey: string;
  status: RunStatus;
  /** Sequence number of the last event; -1 when unknown (the run ended and no worker answered). */
  lastSeq: number;
  /** Set once the run failed, was cancelled or timed out. */
  error?: ErrorInfo;
}

/** Argument of the `waitForEvents` update. */
export interface WaitForEventsRequest {
  /** Return events with `seq` greater than this. */
  afterSeq: number;
  /** Longest wait for a new event, in milliseconds. @default 30000 */
  timeoutMs?: number;
}

/** Answer of the `waitForEvents` update. */
export interface WaitForEventsResponse {
  /** Events after `afterSeq`, in order (may be empty after a timeout). */
  events: RunEvent[];
  /** The run has ended: no event will follow the last one returned. */
  done: boolean;
}

/** Query: events with `seq` greater than the argument (default 0: all). */
export const eventsQuery = defineQuery<RunEvent[], [number?]>('events');
/** Query: the run's status. */
export const statusQuery = defineQuery<RunStatusInfo>('status');
/** Query: the last state saved with `ctx.checkpoint`, or null. */
export const checkpointQuery = defineQuery<Record<string, unknown> | null>('checkpoint');
/** Update: long-polls for events after a sequence number. */
export const waitForEventsUpdate = defineUpdate<WaitForEventsResponse, [WaitForEventsRequest]>(
  'waitForEvents',
);

/** Argument of the `approveToolCall` update: a human's decision on a tool call awaiting approval. */
export interface ApproveToolCallRequest {
  /** The `toolCallId` of the `tool.approval_requested` event. */
  toolCallId: string;
  /** Run the call (`true`) or reject it (`false`; the model is told it was rejected). */
  approved: boolean;
  /** Why; shown to the model on rejection. At most 2000 characters. */
  reason?: string;
}

/** Answer of the `approveToolCall` update. */
export interface ApproveToolCallResponse {
  toolCallId: string;
  /** The tool's name. */
  name: string;
  approved: boolean;
}

/**
 * Update: approves or rejects a tool call waiting for approval. Rejected by its validator (the
 * failure's type says why) when the payload is malformed (`INVALID_INPUT`), no call with this id
 * awaits approval (`NOT_FOUND`), or the call was decided already (`CONFLICT`).
 */
export const approveToolCallUpdate = defineUpdate<
  ApproveToolCallResponse,
  [ApproveToolCallRequest]
>('approveToolCall');

/** A tool call waiting for a human decision (see `toolApprovalsQuery`). */
export interface PendingToolApproval {
  toolCallId: string;
  /** The tool's name. */
  name: string;
  /** The call's arguments. */
  arguments: Record<string, unknown>;
  /** ISO-8601 workflow time the wait began. */
  requestedAt: string;
  /** The wait's limit; no decision by then rejects the call. */
  timeoutSeconds: number;
}

/** Query: the tool calls of the run waiting for approval now, oldest first. */
export const toolApprovalsQuery = defineQuery<PendingToolApproval[]>('toolApprovals');
