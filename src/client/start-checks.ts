// Node side (clients): what `AgentRunner` checks before a start, and how Temporal's refusals map to typed errors.
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';

/** Longest id Temporal accepts by default (`limit.maxIDLength`). */
export const MAX_RUN_ID_LENGTH = 1000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws `INVALID_INPUT` naming `field` unless `value` is an id Temporal and the stores accept: a
 * non-empty string of at most 1000 characters, without NUL or other control characters, and valid
 * Unicode (no lone surrogate, which has no UTF-8 form).
 */
export function checkId(value: unknown, field: string, max = MAX_RUN_ID_LENGTH): string {
  const fail = (why: string): never => {
    throw new AgentRuntimeError('INVALID_INPUT', `${field} ${why}`, { details: { field } });
  };
  if (typeof value !== 'string' || value.length === 0) return fail('must be a non-empty string');
  if (value.length > max) return fail(`is ${value.length} characters long; at most ${max}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    return fail('must not contain NUL or control characters');
  if (LONE_SURROGATE.test(value))
    return fail('is not valid Unicode (a lone surrogate has no UTF-8 form)');
  return value;
}

/**
 * Turns Temporal's refusal of a start into a typed error: `PAYLOAD_TOO_LARGE` for an input over
 * the server's blob limit, `INVALID_INPUT` (naming the field when the server does) for an id or
 * value it does not accept. Anything else is returned as is.
 */
export function mapStartRefusal(err: unknown): unknown {
  const cause = (err as { cause?: { code?: unknown; details?: unknown } } | null)?.cause;
  const message = [
    err instanceof Error ? err.message : String(err),
    typeof cause?.details === 'string' ? cause.details : '',
  ]
    .filter(Boolean)
    .join(': ');
  const code = (err as { code?: unknown } | null)?.code ?? cause?.code;
  if (
    /size limit|size exceeds|Blob data size|too large|exceeds? (the )?(blob|payload|message)|larger than max|ResourceExhausted|RESOURCE_EXHAUSTED/i.test(
      message,
    ) ||
    code === 8
  ) {
    return new AgentRuntimeError(
      'PAYLOAD_TOO_LARGE',
      `Temporal refused the run's input as too large (${message}). Send large inputs by reference (payloadStorage, see docs/payloads.md) or shorten them.`,
      { details: { field: 'inputData' }, cause: err },
    );
  }
  if (
    code === 3 ||
    /INVALID_ARGUMENT|invalid utf-?8|is not valid|too long|exceeds length/i.test(message)
  ) {
    const field = /workflow ?id|WorkflowId/i.test(message)
      ? 'runId'
      : /search attribute/i.test(message)
        ? 'searchAttributes'
        : 'inputData';
    return new AgentRuntimeError('INVALID_INPUT', `Temporal refused the run: ${message}`, {
      details: { field },
      cause: err,
    });
  }
  return err;
}

const DurationLike = z.union([z.string().min(1), z.number().finite().nonnegative()]);

/** The shape of `RunnerConfig`: unknown keys and wrong types are refused at construction. */
export const RunnerConfigShape = z
  .object({
    runTimeout: DurationLike.optional(),
    modelCall: z.record(z.string(), z.unknown()).optional(),
    taskQueue: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    address: z.string().min(1).optional(),
    searchAttributes: z.boolean().optional(),
    costSearchAttributes: z.boolean().optional(),
    // Checked field by field afterwards (checkBudget, resolveContinueAsNew name the field).
    budget: z.record(z.string(), z.unknown()).optional(),
    watchTimeout: DurationLike.optional(),
    continueAsNew: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** Throws `CONFIG_INVALID` naming the option for a `RunnerConfig` of the wrong shape. */
export function checkRunnerConfig(config: unknown): void {
  if (config === undefined) return;
  const r = RunnerConfigShape.safeParse(config);
  if (r.success) return;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  const message =
    issue?.code === 'unrecognized_keys'
      ? `Unknown RunnerConfig option: ${issue.keys.join(', ')}`
      : `Invalid RunnerConfig option ${path}: ${issue?.message ?? 'invalid'}`;
  throw new AgentRuntimeError('CONFIG_INVALID', message, {
    details: {
      field: issue?.code === 'unrecognized_keys' ? issue.keys[0] : path,
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  });
}
