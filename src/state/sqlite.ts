// Node side only: the SQLite StateStore (one file, one process), on node-sqlite3-wasm: SQLite
// compiled to WebAssembly, so installing it downloads and builds nothing.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as Sqlite from 'node-sqlite3-wasm';
import type { Database } from 'node-sqlite3-wasm';
import type { JsonObject, RunStatus } from '../core/types';
import { AgentRuntimeError } from '../core/errors';
import { decodeJson, encodeJson } from '../persistence/postgres/sql';
import type { RunStatusRecord, StateStore } from './state-store';
import { checkRunId, checkState, checkStatus } from './shared';

/** Options of `SQLiteStateStore`. */
export interface SQLiteStateStoreOptions {
  /**
   * Path of the database file, created (with its directory) if missing; `':memory:'` keeps
   * everything in this process. @default './agent_state.db'
   */
  dbPath?: string;
}

/**
 * SQLite `StateStore` (persistent, single node): tables `run_checkpoints` and `run_statuses` in
 * one file, which survives process restarts. Open one store per file and per process at a time
 * (the WebAssembly build does not lock the file against other processes). `close()` closes the file.
 */
export class SQLiteStateStore implements StateStore {
  /** The resolved path of the database file (or `':memory:'`). */
  readonly dbPath: string;
  private db: Database | undefined;
  constructor(options: SQLiteStateStoreOptions = {}) {
    const p = options.dbPath ?? './agent_state.db';
    if (typeof p !== 'string' || p === '') {
      throw new AgentRuntimeError('CONFIG_INVALID', 'SQLiteStateStore: dbPath must be a path');
    }
    this.dbPath = p === ':memory:' ? p : resolve(p);
  }
  private open(): Database {
    if (this.db) return this.db;
    try {
      if (this.dbPath !== ':memory:') mkdirSync(dirname(this.dbPath), { recursive: true });
      // Loaded on first use: the WebAssembly module costs a process a few MiB whether or not it
      // uses SQLite, and the worker entry exports this store to every worker.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
      const sqlite = require('node-sqlite3-wasm') as typeof Sqlite;
      const db = new sqlite.Database(this.dbPath);
      db.exec(
        `CREATE TABLE IF NOT EXISTS run_checkpoints (run_id TEXT PRIMARY KEY, state_json TEXT NOT NULL, updated_at TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS run_statuses (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, details_json TEXT NOT NULL, updated_at TEXT NOT NULL);`,
      );
      this.db = db;
      return db;
    } catch (err) {
      throw new AgentRuntimeError(
        'STORAGE_ERROR',
        `SQLiteStateStore: cannot open ${this.dbPath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  private call<T>(fn: (db: Database) => T): T {
    const db = this.open();
    try {
      return fn(db);
    } catch (err) {
      throw new AgentRuntimeError(
        'STORAGE_ERROR',
        `SQLiteStateStore (${this.dbPath}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  async saveCheckpoint(runId: string, state: JsonObject): Promise<void> {
    const id = checkRunId(runId);
    const json = encodeJson(checkState(state));
    this.call((db) =>
      db.run(
        `INSERT INTO run_checkpoints (run_id, state_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at`,
        [id, json, new Date().toISOString()],
      ),
    );
  }
  async getCheckpoint(runId: string): Promise<JsonObject | null> {
    const id = checkRunId(runId);
    const row = this.call((db) =>
      db.get('SELECT state_json FROM run_checkpoints WHERE run_id = ?', [id]),
    );
    return row ? (decodeJson(row.state_json as string) as JsonObject) : null;
  }
  async updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void> {
    const id = checkRunId(runId);
    const s = checkStatus(status, details);
    this.call((db) =>
      db.run(
        `INSERT INTO run_statuses (run_id, status, details_json, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, details_json = excluded.details_json, updated_at = excluded.updated_at`,
        [id, s.status, encodeJson(s.details), new Date().toISOString()],
      ),
    );
  }
  async getRunStatus(runId: string): Promise<RunStatusRecord | null> {
    const id = checkRunId(runId);
    const r = this.call((db) =>
      db.get('SELECT status, details_json, updated_at FROM run_statuses WHERE run_id = ?', [id]),
    );
    return r
      ? {
          runId: id,
          status: r.status as RunStatus,
          details: decodeJson(r.details_json as string) as JsonObject,
          updatedAt: new Date(r.updated_at as string),
        }
      : null;
  }
  /** Closes the database file; a later call opens it again. */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db?.isOpen) db.close();
  }
}
