// Sandbox-safe: the one vocabulary of timeouts and retries. Every retry and timeout option of this
// library (model calls, tools, steps, runs, approvals, long-polls) speaks Temporal's words:
// `Duration` values (`'30s'`, `'5m'`, or milliseconds as a number) and `RetryPolicy` fields.
import type { Duration, RetryPolicy } from '@temporalio/common';
// Temporal's own parser: a duration string means here exactly what it means to Temporal.
import { msToNumber } from '@temporalio/common/lib/time';
import { AgentRuntimeError, type ErrorCode } from './errors';

export type { Duration, RetryPolicy };

/** Which error code a bad option raises: `CONFIG_INVALID` for settings, `INVALID_INPUT` for arguments. */
export type OptionErrorCode = Extract<ErrorCode, 'CONFIG_INVALID' | 'INVALID_INPUT'>;

function invalid(code: OptionErrorCode, option: string, message: string): AgentRuntimeError {
  return new AgentRuntimeError(code, `Option ${option} ${message}`, { details: { field: option } });
}

/**
 * A duration in milliseconds. Throws `code` naming `option` for anything that is not a finite
 * number of milliseconds or a duration string Temporal understands (`'90s'`, `'5m'`, `'1.5h'`), and
 * for a negative (or, unless `allowZero`, zero) duration.
 */
export function durationMs(
  value: unknown,
  option: string,
  code: OptionErrorCode,
  allowZero = false,
): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    try {
      ms = msToNumber(value as Duration);
    } catch {
      ms = undefined;
    }
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    throw invalid(
      code,
      option,
      `must be a duration (such as '30s', '5m', or milliseconds as a number), got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  if (ms < 0 || (!allowZero && ms === 0)) {
    throw invalid(code, option, `must be ${allowZero ? 'zero or more' : 'greater than zero'}`);
  }
  return ms;
}

/** `durationMs` for an optional option: `undefined` stays `undefined`. */
export function optionalDurationMs(
  value: unknown,
  option: string,
  code: OptionErrorCode,
  allowZero = false,
): number | undefined {
  return value === undefined ? undefined : durationMs(value, option, code, allowZero);
}

const RETRY_POLICY_KEYS: ReadonlySet<string> = new Set([
  'maximumAttempts',
  'initialInterval',
  'backoffCoefficient',
  'maximumInterval',
  'nonRetryableErrorTypes',
]);

/**
 * Checks a `RetryPolicy` option: known fields only, `maximumAttempts` an integer ≥ 1 (unlimited
 * retries, Temporal's `0`, are not offered: a run must end), intervals valid durations with
 * `maximumInterval ≥ initialInterval`, `backoffCoefficient ≥ 1`, `nonRetryableErrorTypes` a list
 * of strings. Throws `code` naming the field (`<option>.<field>`). Returns the policy unchanged.
 *
 * @param allowZeroInitialInterval Steps retry through workflow timers and accept an immediate
 *   retry; Temporal's own retry policies (model calls, tools) need a positive interval.
 */
export function checkRetryPolicy(
  policy: unknown,
  option: string,
  code: OptionErrorCode,
  allowZeroInitialInterval = false,
): RetryPolicy | undefined {
  if (policy === undefined) return undefined;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw invalid(code, option, 'must be a retry policy object');
  }
  const p = policy as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!RETRY_POLICY_KEYS.has(key)) {
      throw invalid(
        code,
        `${option}.${key}`,
        `is unknown (a retry policy has ${[...RETRY_POLICY_KEYS].join(', ')})`,
      );
    }
  }
  const attempts = p.maximumAttempts;
  if (attempts !== undefined && !(Number.isInteger(attempts) && (attempts as number) >= 1)) {
    throw invalid(code, `${option}.maximumAttempts`, 'must be an integer >= 1');
  }
  const initial = optionalDurationMs(
    p.initialInterval,
    `${option}.initialInterval`,
    code,
    allowZeroInitialInterval,
  );
  const maximum = optionalDurationMs(p.maximumInterval, `${option}.maximumInterval`, code);
  if (initial !== undefined && maximum !== undefined && maximum < initial) {
    throw invalid(code, `${option}.maximumInterval`, 'must not be less than initialInterval');
  }
  const coefficient = p.backoffCoefficient;
  if (
    coefficient !== undefined &&
    !(typeof coefficient === 'number' && Number.isFinite(coefficient) && coefficient >= 1)
  ) {
    throw invalid(code, `${option}.backoffCoefficient`, 'must be a number >= 1');
  }
  const types = p.nonRetryableErrorTypes;
  if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string'))) {
    throw invalid(code, `${option}.nonRetryableErrorTypes`, 'must be a list of strings');
  }
  return policy;
}

/** A duration in milliseconds as a short text for messages: `300s`, `1.5s`, `250ms`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms) / 1000}s`;
}

/**
 * Throws `code` when `options` still uses a name this library renamed, naming its replacement
 * (TypeScript catches these at compile time; this helps JavaScript callers and JSON settings).
 */
export function rejectRenamedOptions(
  options: unknown,
  renamed: Readonly<Record<string, string>>,
  where: string,
  code: OptionErrorCode,
): void {
  if (typeof options !== 'object' || options === null) return;
  for (const [old, replacement] of Object.entries(renamed)) {
    if (Object.prototype.hasOwnProperty.call(options, old)) {
      throw new AgentRuntimeError(
        code,
        `${where}: option ${old} was renamed: use ${replacement} (durations take '30s' or milliseconds)`,
        { details: { field: old, replacement } },
      );
    }
  }
}
