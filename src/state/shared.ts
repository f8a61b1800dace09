// Node side only: the input validation every StateStore backend shares. Internal to src/state: not
// exported from the package.
import { z } from 'zod';
import type { JsonObject, RunStatus } from '../core/types';
import { SafeKey } from '../persistence/models';
import { parseModel } from '../persistence/validation';

const JsonObjectSchema = z.record(z.string(), z.json());
const RunStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'timed_out']);

/** Validates a run id (`VALIDATION_ERROR` naming `runId`). */
export function checkRunId(runId: string): string {
  return parseModel(SafeKey, runId, 'runId');
}

/** Validates a checkpoint: a JSON object. */
export function checkState(state: JsonObject): JsonObject {
  return parseModel(JsonObjectSchema, state, 'state');
}

/** Validates a status and its details (`{}` when left out). */
export function checkStatus(
  status: RunStatus,
  details: JsonObject | undefined,
): { status: RunStatus; details: JsonObject } {
  return {
    status: parseModel(RunStatusSchema, status, 'status'),
    details: parseModel(JsonObjectSchema, details ?? {}, 'details'),
  };
}
