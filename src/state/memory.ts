// Node side only: the in-memory StateStore (tests, one process). It keeps JSON copies, which is
// exactly what the other backends store.
import { jsonCopy } from '../core/json';
import type { JsonObject, RunStatus } from '../core/types';
import type { RunStatusRecord, StateStore } from './state-store';
import { checkRunId, checkState, checkStatus } from './shared';

/** In-memory `StateStore` (tests, single process). */
export class InMemoryStateStore implements StateStore {
  private readonly checkpoints = new Map<string, JsonObject>();
  private readonly statuses = new Map<string, RunStatusRecord>();
  async saveCheckpoint(runId: string, state: JsonObject): Promise<void> {
    this.checkpoints.set(checkRunId(runId), jsonCopy(checkState(state)));
  }
  async getCheckpoint(runId: string): Promise<JsonObject | null> {
    const c = this.checkpoints.get(checkRunId(runId));
    return c ? jsonCopy(c) : null;
  }
  async updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void> {
    const id = checkRunId(runId);
    const s = checkStatus(status, details);
    this.statuses.set(id, {
      runId: id,
      status: s.status,
      details: jsonCopy(s.details),
      updatedAt: new Date(),
    });
  }
  async getRunStatus(runId: string): Promise<RunStatusRecord | null> {
    const r = this.statuses.get(checkRunId(runId));
    return r
      ? { ...r, details: jsonCopy(r.details), updatedAt: new Date(r.updatedAt.getTime()) }
      : null;
  }
  async close(): Promise<void> {}
}
