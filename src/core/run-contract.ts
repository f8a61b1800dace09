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
import type {
  ErrorInfo,
  JsonObject,
  Message,
  RunEvent,
  RunResult,
  RunStatus,
  ToolCall,
  Usage,
} from './types';

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

/** Search attribute holding a run's cost so far by the workers' `modelPrices` (Double). */
export const AgentCostUsdSearchAttribute = defineSearchAttributeKey(
  'AgentCostUsd',
  SearchAttributeType.DOUBLE,
);
/** Search attribute holding a run's total tokens so far (Int). */
export const AgentTokensSearchAttribute = defineSearchAttributeKey(
  'AgentTokens',
  SearchAttributeType.INT,
);

/**
 * Limits of one run, checked in the workflow before every model call: the call that would start
 * past a limit is not made; it fails with `BUDGET_EXCEEDED` (after a `budget.exceeded` event), which
 * ends the run unless the agent catches it and finishes on its own. Tokens and cost are counted
 * after each call, so the last call allowed can end above `maxTokens`/`maxCostUsd`; cost counts
 * only models priced in the workers' `modelPrices`.
 */
export interface RunBudget {
  /** Most dollars of model calls. @default no limit */
  maxCostUsd?: number;
  /** Most tokens (prompt + completion) of model calls. @default no limit */
  maxTokens?: number;
  /** Most model calls. @default no limit */
  maxModelCalls?: number;
}

/** Throws `code` when a budget field is not a non-negative number (calls: an integer). */
export function checkBudget(
  budget: RunBudget | undefined,
  option: string,
  code: OptionErrorCode,
): void {
  if (budget === undefined) return;
  if (typeof budget !== 'object' || budget === null || Array.isArray(budget)) {
    throw new AgentRuntimeError(code, `${option} must be an object`);
  }
  for (const [key, value] of Object.entries(budget)) {
    if (!['maxCostUsd', 'maxTokens', 'maxModelCalls'].includes(key)) {
      throw new AgentRuntimeError(code, `${option}.${key} is not a budget limit`, {
        details: { option: `${option}.${key}` },
      });
    }
    if (value === undefined) continue;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= 0 &&
      (key === 'maxCostUsd' || Number.isInteger(value));
    if (!ok) {
      throw new AgentRuntimeError(
        code,
        `${option}.${key} must be a non-negative ${key === 'maxCostUsd' ? 'number' : 'integer'}`,
        { details: { option: `${option}.${key}`, value } },
      );
    }
  }
}

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
 * are typed: `RunHandle.workflow.result()` is a `Promise<AgentRunOutput>`, whose `finalMessages`
 * may follow a stored prefix (`finalMessagesPrefix`); `RunHandle.result()` gives them whole.
 */
export type AgentRunWorkflowFn = (input: AgentRunInput) => Promise<AgentRunOutput>;

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
  /** Limits of the run's model calls, tokens and cost. @default none */
  budget?: RunBudget;
  /** When the run continues as new (a fresh history, same run id). @default `DEFAULT_CONTINUE_AS_NEW` */
  continueAsNew?: ContinueAsNewOptions;
  /**
   * The client reads the workers' transcript store (`AgentRunner` with a `transcriptStore`): the
   * run may return `finalMessages` by reference (`AgentRunOutput.finalMessagesPrefix`) when that
   * store is one clients can read. @default false (always whole)
   */
  resultByReference?: boolean;
  /**
   * Set by an `AgentRunner` whose client has no payload storage: the most UTF-8 bytes of JSON
   * the run hands Temporal as one payload (its result, what it carries across continue-as-new),
   * Temporal's 2 MiB less what the payload codec adds (`inlinePayloadLimit`). Past it the run
   * fails `PAYLOAD_TOO_LARGE` instead of handing Temporal a payload it refuses (a workflow task
   * that fails forever). Absent (a runner with payload storage, or an earlier runner): no check.
   */
  inlinePayloadLimit?: number;
  /**
   * Set only by the run itself when it continues as new: what the next execution carries over.
   * Clients never set it.
   */
  continued?: ContinuedRun;
}

/** Temporal's default limit on one payload (`limit.blobSize.error`), in bytes. */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * The most UTF-8 bytes of JSON that fit in one payload under Temporal's limit, with room for the
 * payload's metadata; with `encrypted` (`AesGcmPayloadCodec`: the JSON travels base64-encoded,
 * 4/3 larger) less.
 */
export function inlinePayloadLimit(encrypted: boolean): number {
  const room = TEMPORAL_PAYLOAD_LIMIT_BYTES - (encrypted ? 1024 : 512);
  return encrypted ? Math.floor((room * 3) / 4) : room;
}

/**
 * When a run continues as new: at a safe point (between model turns, tool batches and steps, with
 * no handler running), once Temporal suggests it (`continueAsNewSuggested`) or this execution's
 * history passes either threshold. The run keeps its id, its event numbering, its totals and its
 * state; `RunHandle` follows it.
 */
export interface ContinueAsNewOptions {
  /** `false`: never continue as new (a long run then meets Temporal's history limits). @default true */
  enabled?: boolean;
  /** Continue once this execution's history holds this many events. @default 8000 */
  maxHistoryEvents?: number;
  /** Continue once this execution's history holds this many bytes. @default 8 MiB */
  maxHistoryBytes?: number;
  /**
   * How many of the latest events the next execution keeps for watchers that are behind, within
   * 64 KiB of JSON. A run that persists its events keeps at most 16 within 8 KiB: watchers read
   * older ones from the event store. @default 256
   */
  eventTail?: number;
}

/** Defaults of `ContinueAsNewOptions` (below Temporal's 10,240-event / 10 MB warnings). */
export const DEFAULT_CONTINUE_AS_NEW = {
  enabled: true,
  maxHistoryEvents: 8000,
  maxHistoryBytes: 8 * 1024 * 1024,
  eventTail: 256,
} as const satisfies Required<ContinueAsNewOptions>;

/**
 * Checks `ContinueAsNewOptions` (known fields, positive integers); throws `code` naming the
 * field. Returns the options with defaults filled in.
 */
export function resolveContinueAsNew(
  value: unknown,
  option: string,
  code: OptionErrorCode,
): Required<ContinueAsNewOptions> {
  if (value === undefined) return { ...DEFAULT_CONTINUE_AS_NEW };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentRuntimeError(code, `Option ${option} must be an object`, {
      details: { field: option },
    });
  }
  const o = value as Record<string, unknown>;
  const out: Required<ContinueAsNewOptions> = { ...DEFAULT_CONTINUE_AS_NEW };
  for (const [key, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (key === 'enabled') {
      if (typeof v !== 'boolean') {
        throw new AgentRuntimeError(code, `Option ${option}.enabled must be a boolean`, {
          details: { field: `${option}.enabled` },
        });
      }
      out.enabled = v;
    } else if (key === 'maxHistoryEvents' || key === 'maxHistoryBytes' || key === 'eventTail') {
      const min = key === 'eventTail' ? 0 : 1;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        throw new AgentRuntimeError(
          code,
          `Option ${option}.${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`,
          { details: { field: `${option}.${key}` } },
        );
      }
      out[key] = v;
    } else {
      throw new AgentRuntimeError(
        code,
        `Option ${option}.${key} is unknown (continueAsNew takes enabled, maxHistoryEvents, maxHistoryBytes, eventTail)`,
        { details: { field: `${option}.${key}` } },
      );
    }
  }
  return out;
}

/**
 * The totals a run carries from one execution to the next. Anything that must add up over the
 * whole run (usage, cost, budgets) belongs here, so that it survives continue-as-new.
 */
export interface RunTotals {
  /** Token usage of every model call of the run so far (failed billed attempts included). */
  usage: Usage;
  /** Model calls made so far (the next call's `turn` is one more). */
  modelCalls: number;
}

/**
 * A transcript the next execution continues by reference: the workers' transcript store holds
 * its first `ref.length` messages; `tail` are the messages after them.
 */
export interface CarriedTranscript {
  /** The stored prefix. */
  ref: { id: string; length: number; hash: string };
  /** Key of the call options stored with the transcript, and the options. */
  optionsKey?: string;
  options?: JsonObject;
  /** Messages after the stored prefix (not stored yet). */
  tail: Message[];
  /** Clients can read the store holding the prefix (`TranscriptStore.shared`). */
  shared?: boolean;
  /**
   * In a run with a stored conversation: where the run's own messages start (past the agent's
   * system prompt, the conversation's history and the run's new input), when the messages begin
   * with a copy of that input. The last execution then appends the conversation by reference.
   */
  ownFrom?: number;
}

/**
 * What `agentRunWorkflow` returns: a `RunResult` whose `finalMessages` may be the messages after
 * a stored prefix (`finalMessagesPrefix`), when the workers' transcript store is one clients can
 * read (`TranscriptStore.shared`). `RunHandle.result()` reads the prefix back and returns the
 * whole `RunResult`.
 */
export interface AgentRunOutput extends RunResult {
  /** The stored first messages of `finalMessages` (the returned `finalMessages` follow them). */
  finalMessagesPrefix?: { id: string; length: number; hash: string };
}

/** Version of `ContinuedRun` this code writes. */
export const CONTINUED_RUN_VERSION = 1;

/**
 * What a run carries into its next execution (`AgentRunInput.continued`): plain JSON, versioned.
 * Never the whole transcript: conversations go by reference to the workers' transcript store.
 */
export interface ContinuedRun {
  /** Format version (`CONTINUED_RUN_VERSION`). */
  v: number;
  /** How many executions ran before this one. */
  executions: number;
  /** `seq` of the last event of the earlier executions: the next event gets `lastSeq + 1`. */
  lastSeq: number;
  /** The latest events of the earlier executions (at most `eventTail`), for watchers behind. */
  eventTail: RunEvent[];
  /** Usage and other totals of the earlier executions. */
  totals: RunTotals;
  /** The agent's state (its last checkpoint, or what it passed to `ctx.continueAsNew`). */
  state: JsonObject | null;
  /** Workflow time (ms since the epoch) when the run's `runTimeout` fires. */
  deadlineMs: number;
  /** Where the run's event publishing stands (runs that persist their events). */
  events?: { published: number; seqOffset?: number };
  /** The conversation loaded by the first execution (runs with a stored conversation). */
  conversation?: { history: Message[]; newInput: Message[] };
  /** Transcripts the agent continues (`ctx.carryMessages`), by name. */
  transcripts?: Record<string, CarriedTranscript>;
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
  /**
   * The oldest `seq` the answering execution holds, when the run continued as new and earlier
   * events are no longer held (read them from the event store). Absent when it holds them all.
   */
  firstSeq?: number;
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
