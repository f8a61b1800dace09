// Node side: one redaction at the activity boundary, so no error text leaving a worker quotes a secret.
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { AgentRuntimeError } from '../src/core/errors';
import { getConfig } from '../src/config';
import { redactValue, redactorFromConfig, type Redactor } from '../src/redaction';
import { toApplicationFailure } from './failures';

/** Dependencies of the redaction every activity's errors go through. */
export interface RedactionDeps {
  /**
   * Cleans every error text an activity sends to Temporal (message, stack, details, causes), and
   * so the run's history, events, audit rows, error records, the model's next prompt and the
   * worker's log of the failure. @default `redactorFromConfig(getConfig())`: the configured API
   * keys, database/Redis URL passwords and `redactPatterns`, plus credential-shaped text
   */
  redact?: Redactor;
}

/** The redactor of `deps`, or the one of the global settings. */
export function resolveRedactor(deps: RedactionDeps): Redactor {
  return deps.redact ?? redactorFromConfig(getConfig());
}

/** A copy of `err` with every text redacted; cancellation and other Temporal failures pass as they are. */
export function redactError(err: unknown, redact: Redactor, depth = 0): unknown {
  if (AgentRuntimeError.is(err)) return redactError(toApplicationFailure(err), redact, depth);
  if (err instanceof ApplicationFailure) {
    const cause =
      err.cause && depth < 5 ? (redactError(err.cause, redact, depth + 1) as Error) : undefined;
    const copy = ApplicationFailure.create({
      message: redact(err.message),
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? false,
      details: err.details ? (redactValue(err.details, redact) as unknown[]) : undefined,
      ...(cause instanceof Error ? { cause } : {}),
      ...(err.nextRetryDelay != null ? { nextRetryDelay: err.nextRetryDelay } : {}),
      ...(err.category != null ? { category: err.category } : {}),
    });
    if (err.stack) copy.stack = redact(err.stack);
    return copy;
  }
  // CancelledFailure and friends carry no user text and must keep their class.
  if (err instanceof TemporalFailure) return err;
  if (err instanceof Error) {
    const copy = new Error(redact(err.message));
    copy.name = err.name;
    copy.stack = err.stack ? redact(err.stack) : undefined;
    if (err.cause !== undefined && depth < 5) {
      (copy as { cause?: unknown }).cause = redactError(err.cause, redact, depth + 1);
    }
    return copy;
  }
  return new Error(redact(String(err)));
}

/** Wraps every activity so what it throws is redacted (see `RedactionDeps.redact`). */
export function withRedaction<T extends object>(activities: T, redact: Redactor): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') {
      out[name] = fn;
      continue;
    }
    const f = fn as (...args: unknown[]) => Promise<unknown>;
    // A named function, so the worker registers and logs the activity under its own name.
    out[name] = {
      async [name](...args: unknown[]): Promise<unknown> {
        try {
          return await f(...args);
        } catch (err) {
          throw redactError(err, redact);
        }
      },
    }[name];
  }
  return out as T;
}

/** An error's text for a worker log line, redacted with the global settings' redactor. */
export function logText(err: unknown): string {
  return resolveRedactor({})(err instanceof Error ? err.message : String(err));
}
