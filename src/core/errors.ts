// Sandbox-safe: the one error type of this library, usable on both sides of the workflow sandbox.
import type { ErrorInfo } from './types';

/** Every error code this library raises, with whether trying again may help. */
export const ERROR_CODES = {
  /** A configuration option is unknown or invalid. */
  CONFIG_INVALID: false,
  /** A required setting (such as an API key) is missing. */
  CONFIG_MISSING: false,
  /** An argument or input failed validation. */
  INVALID_INPUT: false,
  /** No agent is registered under the key a run asked for. */
  AGENT_NOT_FOUND: false,
  /** An agent with this key is registered already. */
  AGENT_ALREADY_REGISTERED: false,
  /** The agent's `run` threw. */
  AGENT_ERROR: false,
  /** The run was cancelled. */
  RUN_CANCELLED: false,
  /** The run exceeded its time limit. */
  RUN_TIMED_OUT: false,
  /** The run reached its budget (`maxCostUsd`, `maxTokens` or `maxModelCalls`) before a model call. */
  BUDGET_EXCEEDED: false,
  /** The run failed; see the error's details. */
  RUN_FAILED: false,
  /** No run with this id exists. */
  RUN_NOT_FOUND: false,
  /**
   * Temporal stayed unreachable longer than the watch deadline (`RunnerConfig.watchTimeout`) of
   * `RunHandle.events()` / `result()`; the run is unaffected: call again once Temporal answers.
   */
  TEMPORAL_UNAVAILABLE: true,
  /**
   * No worker answered a run's `events` query (within the watch deadline, or at all for a run that
   * has ended): start a worker on the run's task queue, or read the run from the event store.
   */
  WORKER_UNAVAILABLE: true,
  /** The provider rate-limited the request (HTTP 429). */
  LLM_RATE_LIMITED: true,
  /** The provider is overloaded (HTTP 529 / 503). */
  LLM_OVERLOADED: true,
  /** The provider failed (HTTP 5xx). */
  LLM_SERVER_ERROR: true,
  /** The request timed out or the connection failed. */
  LLM_TIMEOUT: true,
  /** The provider rejected the credentials (HTTP 401/403). */
  LLM_AUTH_ERROR: false,
  /** The provider rejected the request (HTTP 400/422). */
  LLM_BAD_REQUEST: false,
  /** The model or endpoint does not exist (HTTP 404). */
  LLM_NOT_FOUND: false,
  /** The prompt is longer than the model's context window. */
  LLM_CONTEXT_TOO_LONG: false,
  /** The provider answered with something we could not understand. */
  LLM_INVALID_RESPONSE: false,
  /** Any other provider error. */
  LLM_ERROR: false,
  /** Structured output did not match the requested schema (after the configured re-asks). */
  LLM_OUTPUT_INVALID: false,
  /** A tool is not registered. */
  TOOL_NOT_FOUND: false,
  /** A tool's arguments failed validation. */
  TOOL_INVALID_ARGUMENTS: false,
  /** A tool's handler threw. */
  TOOL_ERROR: false,
  /** A tool call did not finish in time, or the worker running it was lost (see the message). */
  TOOL_TIMEOUT: false,
  /** A human rejected a tool call that needed approval, or the approval timed out. */
  TOOL_APPROVAL_REJECTED: false,
  /** A tool-calling agent used up its `maxIterations` model calls without a final answer. */
  MAX_ITERATIONS_EXCEEDED: false,
  /** A stored model or store argument failed validation; `details.field` names the field. */
  VALIDATION_ERROR: false,
  /** The record an operation needs does not exist. */
  NOT_FOUND: false,
  /** The operation conflicts with the stored state (an invalid transition, a dependent record). */
  CONFLICT: false,
  /** An HTTP request carried no valid credentials (`agent-runtime-core/server`: 401). */
  UNAUTHENTICATED: false,
  /** The caller may not read or change this run or conversation (`agent-runtime-core/server`: 403). */
  FORBIDDEN: false,
  /** An HTTP request body is larger than the server's `bodyLimit` (413). */
  REQUEST_TOO_LARGE: false,
  /** Too many requests or open event streams for this caller now (429); try again later. */
  TOO_MANY_REQUESTS: true,
  /** The database schema is newer than this code: upgrade the code before using the database. */
  SCHEMA_TOO_NEW: false,
  /** Task dependencies would form a cycle. */
  DEPENDENCY_CYCLE: false,
  /** An event arrived before the events preceding it; retrying after they land succeeds. */
  EVENT_OUT_OF_ORDER: true,
  /** The storage backend failed (connection lost, server error); trying again may succeed. */
  STORAGE_ERROR: true,
  /**
   * A value is too large for Temporal's history (about 2 MiB per payload) and the worker has no
   * payload storage to pass it by reference; `details` name the field and its size.
   */
  PAYLOAD_TOO_LARGE: false,
  /** A payload stored by reference is not in the payload store this process reads. */
  PAYLOAD_NOT_FOUND: false,
  /**
   * A model call referred to a transcript its worker does not have (a fresh worker's in-memory
   * store, another worker's, expired or lost data). Not retried: the run sends the call again
   * with the whole transcript.
   */
  TRANSCRIPT_MISSING: false,
  /**
   * A watcher asked for events of a run that continued as new which its current execution no
   * longer holds, and no event store has them (start the run with `persistence: { runEvents:
   * true }` and give the runner an `eventBus`, or watch without falling that far behind).
   */
  EVENTS_EXPIRED: false,
  /** A step failed after all its attempts (`StepExecutionError`). */
  STEP_EXECUTION_ERROR: false,
  /** No step function is registered on the worker under the name a step refers to. */
  STEP_NOT_FOUND: false,
  /** A step attempt ran longer than the step's `timeout`. */
  STEP_TIMED_OUT: true,
  /** A saved step checkpoint cannot resume the current step list. */
  STEP_CHECKPOINT_INCOMPATIBLE: false,
} as const;

/** A string-literal error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

const MARKER = Symbol.for('agent-runtime-core.AgentRuntimeError');

/** Options of an `AgentRuntimeError`. */
export interface AgentRuntimeErrorOptions {
  /** Structured details; never put secrets here. @default {} */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Seconds a retry should wait (from a `retry-after` header). */
  retryAfterSeconds?: number;
}

/**
 * The error type of this library: a message, a stable `code`, structured `details` and a `cause`.
 * Check it with `AgentRuntimeError.is(err)`, which works across the workflow sandbox where
 * `instanceof` does not.
 */
export class AgentRuntimeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Structured details (never secrets). */
  readonly details: Record<string, unknown>;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;
  /** Seconds a retry should wait, if the cause said so. */
  readonly retryAfterSeconds?: number;
  /** @internal */
  readonly [MARKER] = true;

  constructor(code: ErrorCode, message: string, options: AgentRuntimeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentRuntimeError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? isRetryableCode(code);
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Whether `value` is an `AgentRuntimeError` (from any copy of this library). */
  static is(value: unknown): value is AgentRuntimeError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [MARKER]?: boolean })[MARKER] === true
    );
  }
}

/** Whether errors with this code may succeed when tried again. */
export function isRetryableCode(code: string): boolean {
  return (ERROR_CODES as Record<string, boolean>)[code] ?? false;
}

/** Whether a string is one of this library's error codes. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** Turns any thrown value into an `ErrorInfo`. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (AgentRuntimeError.is(error)) {
    return {
      type: error.code,
      message: error.message,
      stack: error.stack ?? '',
      retryable: error.retryable,
      details: error.details,
    };
  }
  if (error instanceof Error) {
    return {
      type: error.name || 'Error',
      message: error.message,
      stack: error.stack ?? '',
      retryable: false,
      details: {},
    };
  }
  return { type: 'Error', message: String(error), stack: '', retryable: false, details: {} };
}

/**
 * An `ErrorInfo` read back from storage or an older run (a failure's details, a stored event):
 * fills missing fields and accepts `retriable`, the field's name before it became `retryable`.
 */
export function normalizeErrorInfo(value: unknown): ErrorInfo {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const retryable = v.retryable ?? v.retriable;
  return {
    type: typeof v.type === 'string' ? v.type : 'Error',
    message: typeof v.message === 'string' ? v.message : '',
    stack: typeof v.stack === 'string' ? v.stack : '',
    retryable: retryable === true,
    details:
      typeof v.details === 'object' && v.details !== null && !Array.isArray(v.details)
        ? (v.details as Record<string, unknown>)
        : {},
  };
}

/**
 * The non-retryable `PAYLOAD_TOO_LARGE` for `field`, `sizeBytes` of JSON above the `maxBytes` a
 * payload may have without payload storage. Its `details`: `options.details`, then `field` (or
 * `options.name` when given), `sizeBytes` and `maxBytes`. `options.alternative` names another way
 * out besides payload storage. One wording for the activities' result check and the run's own
 * (its result, what it carries across continue-as-new).
 */
export function payloadTooLargeError(
  field: string,
  sizeBytes: number,
  maxBytes: number,
  options: {
    alternative?: string;
    /** `details.field` when it is not the label `field` (a short name). */
    name?: string;
    details?: Record<string, unknown>;
    cause?: unknown;
  } = {},
): AgentRuntimeError {
  const size = (n: number) =>
    n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(2)} MiB (${n} bytes)` : `${n} bytes`;
  return new AgentRuntimeError(
    'PAYLOAD_TOO_LARGE',
    `${field} is ${size(sizeBytes)}, above the ${size(maxBytes)} a payload may have ` +
      'without payload storage. Configure payloadStorage on the worker and the clients ' +
      `(see docs/payloads.md) to pass it by reference${options.alternative ? `, or ${options.alternative}` : ''}.`,
    {
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      details: { ...options.details, field: options.name ?? field, sizeBytes, maxBytes },
    },
  );
}
