// Node side only: the Postgres StateStore (tables `run_checkpoints` and `run_statuses`).
import type { JsonObject, RunStatus } from '../core/types';
import { decodeJson, encodeJson, query, resolvePool } from '../persistence/postgres/sql';
import {
  resolveConnection,
  type PostgresConnectionOptions,
} from '../persistence/postgres/connection-option';
import type { RunStatusRecord, StateStore } from './state-store';
import { checkRunId, checkState, checkStatus } from './shared';

/** Options of `PostgresStateStore`. */
export type PostgresStateStoreOptions = PostgresConnectionOptions;

/** Postgres `StateStore` (tables `run_checkpoints`, keeping every checkpoint, and `run_statuses`). */
export class PostgresStateStore implements StateStore {
  private readonly connection;
  constructor(options: PostgresStateStoreOptions) {
    this.connection = resolveConnection(options, 'PostgresStateStore');
  }
  private pool() {
    return resolvePool(this.connection.source);
  }
  async saveCheckpoint(runId: string, state: JsonObject): Promise<void> {
    await query(
      await this.pool(),
      'INSERT INTO run_checkpoints (run_id, state_json) VALUES ($1, $2)',
      [checkRunId(runId), encodeJson(checkState(state))],
    );
  }
  async getCheckpoint(runId: string): Promise<JsonObject | null> {
    const rows = await query<{ state_json: string }>(
      await this.pool(),
      'SELECT state_json FROM run_checkpoints WHERE run_id = $1 ORDER BY pos DESC LIMIT 1',
      [checkRunId(runId)],
    );
    return rows[0] ? (decodeJson(rows[0].state_json) as JsonObject) : null;
  }
  async updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void> {
    const s = checkStatus(status, details);
    await query(
      await this.pool(),
      `INSERT INTO run_statuses (run_id, status, details_json, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status, details_json = EXCLUDED.details_json, updated_at = now()`,
      [checkRunId(runId), s.status, encodeJson(s.details)],
    );
  }
  async getRunStatus(runId: string): Promise<RunStatusRecord | null> {
    const id = checkRunId(runId);
    const rows = await query<{ status: RunStatus; details_json: string; updated_at: Date }>(
      await this.pool(),
      'SELECT status, details_json, updated_at FROM run_statuses WHERE run_id = $1',
      [id],
    );
    const r = rows[0];
    return r
      ? {
          runId: id,
          status: r.status,
          details: decodeJson(r.details_json) as JsonObject,
          updatedAt: r.updated_at,
        }
      : null;
  }
  /** Ends the pool it opened from `databaseUrl` (never a given `pool`). */
  async close(): Promise<void> {
    await this.connection.close();
  }
}
