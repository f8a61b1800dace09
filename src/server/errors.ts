// Node side (server): every failure as a JSON body `{ error: { code, message, details? } }` with
// the HTTP status its code stands for.
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';

/** HTTP status per error code; codes not listed answer 500. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  INVALID_INPUT: 400,
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  CONFIG_MISSING: 501,
  TEMPORAL_UNAVAILABLE: 503,
  WORKER_UNAVAILABLE: 503,
  STORAGE_ERROR: 503,
};

/** The HTTP status the server answers an error code with. */
export function httpStatusOf(code: string): number {
  return STATUS_OF_CODE[code] ?? 500;
}

/** The JSON error body of a request that failed. */
export interface ErrorResponse {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Turns anything thrown while answering a request into a status and a JSON error body. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorResponse } {
  if (err instanceof z.ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return {
      status: 400,
      body: {
        error: {
          code: 'INVALID_INPUT',
          message: `Invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
          details: { issues },
        },
      },
    };
  }
  if (err instanceof WorkflowNotFoundError) {
    return {
      status: 404,
      body: { error: { code: 'RUN_NOT_FOUND', message: err.message } },
    };
  }
  if (AgentRuntimeError.is(err)) {
    const details = Object.keys(err.details).length ? { details: err.details } : {};
    return {
      status: httpStatusOf(err.code),
      body: { error: { code: err.code, message: err.message, ...details } },
    };
  }
  // Unknown failures: no internals (stack, connection strings) in the answer.
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
  };
}
