// Sandbox-safe: reads the run-workflow input fields of earlier versions, so their histories replay.
//
// Histories keep a run's input and its update arguments as they were sent. Runs started before
// the options took Temporal's vocabulary (durations, `RetryPolicy`) sent seconds and retry counts
// under other names; this module is the ONE place that reads them. Every legacy field maps to
// exactly the activity options, timers and waits it produced then, so replay sees the same
// commands. New code never writes these fields (they are not in the public types).
import type { Duration } from '../src/core/durations';
import type { AgentRunInput, WaitForEventsRequest } from '../src/core/run-contract';

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

/** The `activityOptions` keys earlier versions knew; any other key failed their validation. */
const LEGACY_ACTIVITY_OPTION_KEYS = new Set([
  'llmStartToCloseTimeoutSeconds',
  'llmHeartbeatTimeoutSeconds',
  'maxRetries',
  'retryInitialIntervalSeconds',
  'retryMaximumIntervalSeconds',
]);

/** What earlier versions accepted as an `activityOptions` value: a non-negative number. */
function legacyNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Seconds as a millisecond `Duration`. Earlier versions took any non-negative number of seconds
 * and passed `${n}s` to Temporal, where 0 means "use the default": 0 becomes `undefined` (the
 * default) and a tiny positive value at least 1 ms. A value they rejected stays invalid (NaN), so
 * today's validation rejects it too and the run fails as it did then.
 */
function seconds(value: unknown): Duration | undefined {
  if (!legacyNumber(value)) return NaN;
  if (value === 0) return undefined;
  return Math.max(1, Math.round(value * 1000));
}

/**
 * The run input in today's vocabulary: legacy fields (`runTimeoutSeconds`, `activityOptions`)
 * become `runTimeout` and `modelCall` unless those are set, and are dropped. Values are mapped so
 * that what earlier versions accepted passes today's checks with the same meaning, and what they
 * rejected is still rejected: a run recorded then issues the same commands now. A non-object
 * input is returned as it is (validation reports it).
 */
export function normalizeRunInput(input: AgentRunInput): AgentRunInput {
  if (typeof input !== 'object' || input === null) return input;
  const { runTimeoutSeconds, activityOptions, ...rest } = input as AgentRunInput &
    LegacyRunInputFields;
  const out: AgentRunInput = rest;
  if (out.runTimeout === undefined && runTimeoutSeconds !== undefined) {
    // Earlier versions required a positive number of seconds.
    out.runTimeout =
      legacyNumber(runTimeoutSeconds) && runTimeoutSeconds > 0
        ? Math.max(1, Math.round(runTimeoutSeconds * 1000))
        : NaN;
  }
  if (out.modelCall === undefined && activityOptions !== undefined) {
    if (typeof activityOptions !== 'object' || activityOptions === null) {
      out.modelCall = activityOptions; // rejected by validation, as then
      return out;
    }
    const o = activityOptions as Record<string, unknown>;
    const modelCall: Record<string, unknown> = {};
    for (const key of Object.keys(o)) {
      // An unknown key failed validation then; carried over, it fails today's the same way.
      if (!LEGACY_ACTIVITY_OPTION_KEYS.has(key)) modelCall[key] = o[key];
    }
    const set = (target: Record<string, unknown>, key: string, value: unknown): void => {
      if (value !== undefined) target[key] = value;
    };
    if (o.llmStartToCloseTimeoutSeconds !== undefined) {
      set(modelCall, 'startToCloseTimeout', seconds(o.llmStartToCloseTimeoutSeconds));
    }
    if (o.llmHeartbeatTimeoutSeconds !== undefined) {
      set(modelCall, 'heartbeatTimeout', seconds(o.llmHeartbeatTimeoutSeconds));
    }
    const retry: Record<string, unknown> = {};
    if (o.maxRetries !== undefined) {
      // Then: `maximumAttempts: maxRetries + 1`, with Temporal taking the integer part.
      retry.maximumAttempts = legacyNumber(o.maxRetries) ? Math.floor(o.maxRetries) + 1 : NaN;
    }
    if (o.retryInitialIntervalSeconds !== undefined) {
      set(retry, 'initialInterval', seconds(o.retryInitialIntervalSeconds));
    }
    if (o.retryMaximumIntervalSeconds !== undefined) {
      set(retry, 'maximumInterval', seconds(o.retryMaximumIntervalSeconds));
    }
    // Then a maximum below the initial interval reached Temporal as it was; keep only the
    // initial interval so today's check does not fail a run that did not fail then.
    const ms = (v: unknown): number => (typeof v === 'number' ? v : NaN);
    if (ms(retry.maximumInterval) < ms(retry.initialInterval)) delete retry.maximumInterval;
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
