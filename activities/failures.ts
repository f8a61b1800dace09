// Node side: the one place where our typed errors become Temporal failures.
import { ApplicationFailure } from '@temporalio/common';
import { AgentRuntimeError } from '../src/core/errors';

/**
 * Converts an `AgentRuntimeError` to an `ApplicationFailure`: type = code, non-retryable unless the
 * code is retryable, `nextRetryDelay` from the provider's `retry-after`. The cause is not attached:
 * provider SDK errors carry request data that must not reach workflow history.
 */
export function toApplicationFailure(err: AgentRuntimeError): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [err.details],
    ...(err.retryable && err.retryAfterSeconds !== undefined
      ? { nextRetryDelay: `${Math.max(1, Math.ceil(err.retryAfterSeconds * 1000))}ms` }
      : {}),
  });
}

/**
 * Runs an activity's body, turning our typed errors into Temporal failures (retryable or not, by
 * code); anything else is thrown as is (Temporal retries it).
 */
export async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (AgentRuntimeError.is(err)) throw toApplicationFailure(err);
    throw err;
  }
}

/**
 * The error of a run that asked for something this worker has no dependency for
 * (`CONFIG_MISSING`, not retried: the run fails rather than silently going without it).
 */
export function missingDependency(what: string, dep: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'CONFIG_MISSING',
    `The run asked for ${what}, but this worker has no ${dep}: pass \`${dep}\` in the worker's activity dependencies, or start runs without it.`,
    { details: { dependency: dep } },
  );
}
