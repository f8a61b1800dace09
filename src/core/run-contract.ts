// Sandbox-safe: the run workflow's public contract (input, queries, update), shared with clients.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { AgentRuntimeError } from './errors';
import {
  checkRetryPolicy,
  durationMs,
  optionalDurationMs,
  type Duration,
  type OptionErrorCode,
  type RetryPolicy,
} from './durations';
import type { ErrorInfo, Message, RunEvent, RunResult, RunStatus, ToolCall } from './types';

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

/**
 * Timeouts, retry policy and transcript mode of a run's model calls (each one `invokeModel`
 * activity). Give any subset: every field left out keeps its default, and `retry` is merged field
 * by field.
 */
export interface ModelCallOptions {
  /** Longest one attempt of a model call may take (activity start-to-close timeout). @default '300s' */
  startToCloseTimeout?: Duration;
  /**
   * An attempt whose worker stops heartbeating this long is considered lost and retried
   * elsewhere (the activity heartbeats on its own). @default '30s'
   */
  heartbeatTimeout?: Duration;
  /**
   * Retry policy of a failing model call. Each failure says itself whether it is retryable
   * (`ERROR_CODES`, the provider's `x-should-retry`), and a provider's `retry-after` replaces
   * the next interval; `nonRetryableErrorTypes` (error codes) stops retries of more.
   * @default { maximumAttempts: 4, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' }
   */
  retry?: RetryPolicy;
  /**
   * How a model call sends the conversation into history. `'reference'`: only the messages new
   * since the run's previous call, plus a reference to the transcript the workers keep (their
   * `TranscriptStore`; a worker without it answers `TRANSCRIPT_MISSING` and the call is sent again
   * whole), so history grows linearly with the conversation. `'full'`: the whole conversation
   * with every call, as runs did before (history grows with the square of the turns); for
   * comparison and debugging. @default 'reference'
   */
  transcript?: 'reference' | 'full';
}

/** `ModelCallOptions` with every default filled in (`transcript` stays as given). */
export type ResolvedModelCall = Required<Omit<ModelCallOptions, 'transcript'>> &
  Pick<ModelCallOptions, 'transcript'>;

/** The model-call defaults (see `ModelCallOptions`). */
export const DEFAULT_MODEL_CALL = {
  startToCloseTimeout: '300s',
  heartbeatTimeout: '30s',
  retry: {
    maximumAttempts: 4,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '60s',
  },
} as const satisfies ResolvedModelCall;

/** Default of `AgentRunInput.runTimeout` (and of `RunnerConfig.runTimeout`). */
export const DEFAULT_RUN_TIMEOUT = '300s';

const MODEL_CALL_KEYS: ReadonlySet<string> = new Set([
  'startToCloseTimeout',
  'heartbeatTimeout',
  'retry',
  'transcript',
]);

/**
 * Checks `ModelCallOptions`: known fields, positive durations, a valid retry policy. Throws `code`
 * naming the field (`<option>.startToCloseTimeout`, …). Returns the options unchanged.
 */
export function checkModelCallOptions(
  value: unknown,
  option: string,
  code: OptionErrorCode,
): ModelCallOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentRuntimeError(code, `Option ${option} must be an object`, {
      details: { field: option },
    });
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!MODEL_CALL_KEYS.has(key)) {
      throw new AgentRuntimeError(
        code,
        `Option ${option}.${key} is unknown (model calls take ${[...MODEL_CALL_KEYS].join(', ')})`,
        { details: { field: `${option}.${key}` } },
      );
    }
  }
  optionalDurationMs(o.startToCloseTimeout, `${option}.startToCloseTimeout`, code);
  optionalDurationMs(o.heartbeatTimeout, `${option}.heartbeatTimeout`, code);
  checkRetryPolicy(o.retry, `${option}.retry`, code);
  if (o.transcript !== undefined && o.transcript !== 'reference' && o.transcript !== 'full') {
    throw new AgentRuntimeError(
      code,
      `Option ${option}.transcript must be 'reference' or 'full', got ${JSON.stringify(o.transcript)}`,
      { details: { field: `${option}.transcript` } },
    );
  }
  return value;
}

/**
 * Layers model-call options: each later one's fields override the earlier ones', `retry` field by
 * field (fields set to `undefined` are ignored). With `DEFAULT_MODEL_CALL` first, the result is
 * complete.
 */
export function mergeModelCall(...layers: (ModelCallOptions | undefined)[]): ModelCallOptions {
  const out: ModelCallOptions = {};
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.startToCloseTimeout !== undefined)
      out.startToCloseTimeout = layer.startToCloseTimeout;
    if (layer.heartbeatTimeout !== undefined) out.heartbeatTimeout = layer.heartbeatTimeout;
    if (layer.transcript !== undefined) out.transcript = layer.transcript;
    if (layer.retry !== undefined) {
      const retry: RetryPolicy = { ...out.retry };
      for (const [k, v] of Object.entries(layer.retry) as [keyof RetryPolicy, never][]) {
        if (v !== undefined) retry[k] = v;
      }
      out.retry = retry;
    }
  }
  return out;
}

/**
 * The model-call options with every default filled in (`DEFAULT_MODEL_CALL`, then `options`).
 * `transcript` is kept only when given: a run input without it is one every worker version reads.
 */
export function resolveModelCall(options?: ModelCallOptions): ResolvedModelCall {
  const o = mergeModelCall(DEFAULT_MODEL_CALL, options);
  return {
    startToCloseTimeout: o.startToCloseTimeout ?? DEFAULT_MODEL_CALL.startToCloseTimeout,
    heartbeatTimeout: o.heartbeatTimeout ?? DEFAULT_MODEL_CALL.heartbeatTimeout,
    retry: o.retry ?? { ...DEFAULT_MODEL_CALL.retry },
    ...(o.transcript !== undefined ? { transcript: o.transcript } : {}),
  };
}

/** A run timeout in milliseconds (checked: a positive duration). */
export function runTimeoutMs(
  value: Duration | undefined,
  option: string,
  code: OptionErrorCode,
): number {
  return durationMs(value ?? DEFAULT_RUN_TIMEOUT, option, code);
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

/**
 * The signature of the generic run workflow (`agentRunWorkflow`), so that Temporal handles to runs
 * are typed: `RunHandle.workflow.result()` is a `Promise<RunResult>`.
 */
export type AgentRunWorkflowFn = (input: AgentRunInput) => Promise<RunResult>;

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
  /** The run's time limit; the run ends `timed_out` after it. @default '300s' */
  runTimeout?: Duration;
  /** Timeouts and retry policy of the run's model calls. @default `DEFAULT_MODEL_CALL` */
  modelCall?: ModelCallOptions;
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

/**
 * Argument of the `waitForEvents` update. Clients no longer send it (watching reads the paged
 * `events` query, which writes nothing to history); the workflow keeps its handler so histories
 * that contain such updates replay.
 */
export interface WaitForEventsRequest {
  /** Return events with `seq` greater than this. */
  afterSeq: number;
  /** Longest wait for a new event (capped at one minute). @default '30s' */
  timeout?: Duration;
}

/** Answer of the `waitForEvents` update (see `WaitForEventsRequest`). */
export interface WaitForEventsResponse {
  /** Events after `afterSeq`, in order (may be empty after a timeout). */
  events: RunEvent[];
  /** The run has ended: no event will follow the last one returned. */
  done: boolean;
}

/** Argument of the paged `events` query. */
export interface EventsPageRequest {
  /** Return events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /**
   * Most events in the answer (at most `MAX_EVENTS_PAGE`). The answer also stops before
   * `EVENTS_PAGE_CHARS` characters of JSON, after at least one event. @default `DEFAULT_EVENTS_PAGE`
   */
  limit?: number;
}

/** Answer of the paged `events` query. */
export interface EventsPage {
  /** Events after `afterSeq`, in order: a page, possibly not all of them. */
  events: RunEvent[];
  /** The `seq` of the run's last event now (more pages follow while it is above the page's last). */
  lastSeq: number;
  /** The run has ended and this page holds its last event: no event will follow. */
  done: boolean;
}

/** Default number of events in one answer of the paged `events` query. */
export const DEFAULT_EVENTS_PAGE = 500;
/** Largest `limit` of the paged `events` query. */
export const MAX_EVENTS_PAGE = 1000;
/** Characters of JSON after which a page of the `events` query stops (query answers are gRPC messages, 4 MB at most). */
export const EVENTS_PAGE_CHARS = 1024 * 1024;

/**
 * Query `events`. With an `EventsPageRequest` it answers an `EventsPage` (what `RunHandle.events()`
 * sends). With a number, or nothing, it answers every event with a greater `seq` as a plain
 * array: the shape of earlier versions, kept for their clients.
 */
export const eventsQuery = defineQuery<EventsPage | RunEvent[], [(EventsPageRequest | number)?]>(
  'events',
);
/** Query: the run's status. */
export const statusQuery = defineQuery<RunStatusInfo>('status');
/** Query: the last state saved with `ctx.checkpoint`, or null. */
export const checkpointQuery = defineQuery<Record<string, unknown> | null>('checkpoint');
/**
 * Update `waitForEvents`: long-polls for events after a sequence number. Registered by the
 * workflow for histories that contain it; clients watch through the `events` query instead.
 */
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
  /** What `approveToolCall` takes: unique in the run (`toolCall.id`, or `<id>#2`… for a reused id). */
  toolCallId: string;
  /** The call waiting (`toolCall.arguments`: its validated arguments as JSON text). */
  toolCall: ToolCall;
  /** ISO-8601 workflow time the wait began. */
  requestedAt: string;
  /** The wait's limit in milliseconds; no decision by then rejects the call. */
  timeoutMs: number;
}

/** Query: the tool calls of the run waiting for approval now, oldest first. */
export const toolApprovalsQuery = defineQuery<PendingToolApproval[]>('toolApprovals');
