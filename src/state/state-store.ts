// Node side only (worker activities, clients): the StateStore contract, where run checkpoints and
// statuses live across runs. Backends: memory.ts, postgres.ts, redis.ts.
import type { JsonObject, RunStatus } from '../core/types';

/** A run's recorded status. */
export interface RunStatusRecord {
  runId: string;
  status: RunStatus;
  /** What the last update said about it (an error, a summary…). */
  details: JsonObject;
  updatedAt: Date;
}

/**
 * Keeps a run's latest checkpoint and status, so a run started again with the same run id can
 * resume. Every method validates its input and throws `VALIDATION_ERROR` on bad input.
 */
export interface StateStore {
  /** Records `state` as the run's latest checkpoint (stored as a copy). */
  saveCheckpoint(runId: string, state: JsonObject): Promise<void>;
  /** The latest checkpoint, or `null`. */
  getCheckpoint(runId: string): Promise<JsonObject | null>;
  /** Records the run's status, replacing the previous one. */
  updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void>;
  /** The run's status, or `null` if never recorded. */
  getRunStatus(runId: string): Promise<RunStatusRecord | null>;
  /** Releases what the store owns (never a pool or client it was given). */
  close(): Promise<void>;
}
