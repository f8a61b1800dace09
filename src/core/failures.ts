// Sandbox-safe: the one place where a Temporal failure (an activity's, an update's) becomes our
// typed error, for workflow code and clients alike.
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { AgentRuntimeError, isErrorCode, type AgentRuntimeErrorOptions } from './errors';
import type { ErrorCode } from './errors';

/** Options of `fromApplicationFailure`. */
export interface ApplicationFailureOptions extends AgentRuntimeErrorOptions {
  /** The error's message. @default the failure's message */
  message?: string;
}

/**
 * The typed error an `ApplicationFailure` stands for: its type when that is one of our codes
 * (`activities/failures.ts` makes them so), else `fallback`; its first details entry as details
 * unless `options.details` says otherwise.
 */
export function fromApplicationFailure(
  failure: ApplicationFailure,
  fallback: ErrorCode,
  options: ApplicationFailureOptions = {},
): AgentRuntimeError {
  const { message, details, ...rest } = options;
  const code = failure.type && isErrorCode(failure.type) ? failure.type : fallback;
  return new AgentRuntimeError(code, message ?? failure.message, {
    ...rest,
    details: details ?? detailsOf(failure),
  });
}

/** Options of `fromActivityFailure`. */
export interface ActivityFailureOptions {
  /** The code of a failure that is not an application failure (a timeout). @default fallback */
  otherCode?: ErrorCode;
  /** Put before every message. @default '' */
  prefix?: string;
  /** Put before the message of a failure that is not an application failure. @default '' */
  otherPrefix?: string;
  /** Details the error carries besides the failure's own (which win). */
  details?: Record<string, unknown>;
}

/**
 * The typed error the caller of a failed activity sees, once the activity's retry policy gave
 * up: an application failure keeps its code (else `fallback`) and details, anything else (a
 * timeout, a lost worker) becomes `otherCode`. Never retryable: the retries happened already.
 * A cancellation, and anything that is not an `ActivityFailure`, is returned as is.
 */
export function fromActivityFailure(
  err: unknown,
  fallback: ErrorCode,
  options: ActivityFailureOptions = {},
): unknown {
  // A cancelled (or timed-out) run must still see a cancellation.
  if (!(err instanceof ActivityFailure) || err.cause instanceof CancelledFailure) return err;
  const cause = err.cause;
  const prefix = options.prefix ?? '';
  if (cause instanceof ApplicationFailure) {
    return fromApplicationFailure(cause, fallback, {
      message: `${prefix}${cause.message}`,
      details: { ...options.details, ...detailsOf(cause) },
      retryable: false,
      cause: err,
    });
  }
  return new AgentRuntimeError(
    options.otherCode ?? fallback,
    `${prefix}${options.otherPrefix ?? ''}${cause?.message ?? err.message}`,
    { details: { ...options.details }, retryable: false, cause: err },
  );
}

function detailsOf(failure: ApplicationFailure): Record<string, unknown> {
  return (failure.details?.[0] as Record<string, unknown> | undefined) ?? {};
}
