// Node side: the one place where our typed errors become Temporal failures.
import { ApplicationFailure } from '@temporalio/common';
import type { AgentRuntimeError } from '../src/core/errors';

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
