// Sandbox-safe: reads the run-workflow input fields of earlier versions, so their histories replay.
//
// Histories keep a run's input and its update arguments as they were sent. Runs started before
// the options took Temporal's vocabulary (durations, `RetryPolicy`) sent seconds and retry counts
// under other names; this module is the ONE place that reads them. Every legacy field maps to
// exactly the activity options, timers and waits it produced then, so replay sees the same
// commands. New code never writes these fields (they are not in the public types).
import type { Duration, RetryPolicy } from '../src/core/durations';
import type {
  AgentRunInput,
  ModelCallOptions,
  WaitForEventsRequest,
} from '../src/core/run-contract';

/** `AgentRunInput` fields of earlier versions (all times in seconds). */
interface LegacyRunInputFields {
  /** Now `runTimeout`. */
  runTimeoutSeconds?: unknown;
  /** Now `modelCall`. */
  activityOptions?: {
    /** Now `modelCall.startToCloseTimeout`. */
    llmStartToCloseTimeoutSeconds?: unknown;
    /** Now `modelCall.heartbeatTimeout`. */
    llmHeartbeatTimeoutSeconds?: unknown;
    /** Retries after the first attempt: now `modelCall.retry.maximumAttempts` (= maxRetries + 1). */
    maxRetries?: unknown;
    /** Now `modelCall.retry.initialInterval`. */
    retryInitialIntervalSeconds?: unknown;
    /** Now `modelCall.retry.maximumInterval`. */
    retryMaximumIntervalSeconds?: unknown;
  };
}

/** `WaitForEventsRequest` fields of earlier versions. */
interface LegacyWaitForEventsFields {
  /** Now `timeout` (milliseconds either way). */
  timeoutMs?: unknown;
}

/** Seconds as a millisecond `Duration`; anything else is passed on for validation to reject. */
function seconds(value: unknown): Duration {
  return (typeof value === 'number' ? Math.round(value * 1000) : value) as Duration;
}

/**
 * The run input in today's vocabulary: legacy fields (`runTimeoutSeconds`, `activityOptions`)
 * become `runTimeout` and `modelCall` unless those are set, and are dropped. A non-object input is
 * returned as it is (validation reports it).
 */
export function normalizeRunInput(input: AgentRunInput): AgentRunInput {
  if (typeof input !== 'object' || input === null) return input;
  const { runTimeoutSeconds, activityOptions, ...rest } = input as AgentRunInput &
    LegacyRunInputFields;
  const out: AgentRunInput = rest;
  if (out.runTimeout === undefined && runTimeoutSeconds !== undefined) {
    out.runTimeout = seconds(runTimeoutSeconds);
  }
  if (out.modelCall === undefined && typeof activityOptions === 'object' && activityOptions) {
    const o = activityOptions;
    const modelCall: ModelCallOptions = {};
    if (o.llmStartToCloseTimeoutSeconds !== undefined) {
      modelCall.startToCloseTimeout = seconds(o.llmStartToCloseTimeoutSeconds);
    }
    if (o.llmHeartbeatTimeoutSeconds !== undefined) {
      modelCall.heartbeatTimeout = seconds(o.llmHeartbeatTimeoutSeconds);
    }
    const retry: RetryPolicy = {};
    if (o.maxRetries !== undefined) {
      retry.maximumAttempts = typeof o.maxRetries === 'number' ? o.maxRetries + 1 : NaN;
    }
    if (o.retryInitialIntervalSeconds !== undefined) {
      retry.initialInterval = seconds(o.retryInitialIntervalSeconds);
    }
    if (o.retryMaximumIntervalSeconds !== undefined) {
      retry.maximumInterval = seconds(o.retryMaximumIntervalSeconds);
    }
    if (Object.keys(retry).length > 0) modelCall.retry = retry;
    out.modelCall = modelCall;
  }
  return out;
}

/** The `waitForEvents` argument in today's vocabulary: legacy `timeoutMs` becomes `timeout`. */
export function normalizeWaitForEventsRequest(req: WaitForEventsRequest): WaitForEventsRequest {
  if (typeof req !== 'object' || req === null) return req;
  const { timeoutMs, ...rest } = req as WaitForEventsRequest & LegacyWaitForEventsFields;
  const out: WaitForEventsRequest = rest;
  if (out.timeout === undefined && timeoutMs !== undefined) out.timeout = timeoutMs as Duration;
  return out;
}
