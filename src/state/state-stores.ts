// Node side only (worker activities, clients): where run checkpoints and statuses live across runs.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { JsonObject, RunStatus } from '../core/types';
import { SafeKey } from '../persistence/models';
import type { PoolSource } from '../persistence/postgres/sql';
import { decodeJson, encodeJson, query, resolvePool } from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import { redisCall } from '../events/redis-errors';

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

const JsonObjectSchema = z.record(z.string(), z.json());
const RunStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'timed_out']);

function checkRunId(runId: string): string {
  return parseModel(SafeKey, runId, 'runId');
}
function checkState(state: JsonObject): JsonObject {
  return parseModel(JsonObjectSchema, state, 'state');
}
function checkStatus(
  status: RunStatus,
  details: JsonObject | undefined,
): { status: RunStatus; details: JsonObject } {
  return {
    status: parseModel(RunStatusSchema, status, 'status'),
    details: parseModel(JsonObjectSchema, details ?? {}, 'details'),
  };
}
/** A copy through JSON, which is exactly what the other backends store. */
function copy<T>(v: T): T {
  return decodeJson(encodeJson(v)) as T;
}

/** In-memory `StateStore` (tests, single process). */
export class InMemoryStateStore implements StateStore {
  private readonly checkpoints = new Map<string, JsonObject>();
  private readonly statuses = new Map<string, RunStatusRecord>();
  async saveCheckpoint(runId: string, state: JsonObject): Promise<void> {
    this.checkpoints.set(checkRunId(runId), copy(checkState(state)));
  }
  async getCheckpoint(runId: string): Promise<JsonObject | null> {
    const c = this.checkpoints.get(checkRunId(runId));
    return c ? copy(c) : null;
  }
  async updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void> {
    const id = checkRunId(runId);
    const s = checkStatus(status, details);
    this.statuses.set(id, {
      runId: id,
      status: s.status,
      details: copy(s.details),
      updatedAt: new Date(),
    });
  }
  async getRunStatus(runId: string): Promise<RunStatusRecord | null> {
    const r = this.statuses.get(checkRunId(runId));
    return r
      ? { ...r, details: copy(r.details), updatedAt: new Date(r.updatedAt.getTime()) }
      : null;
  }
  async close(): Promise<void> {}
}

/** Options of `PostgresStateStore`. */
export interface PostgresStateStoreOptions {
  /** A migrated pool (see `migrate`). Not closed by `close()`. */
  pool: PoolSource;
}

/** Postgres `StateStore` (tables `run_checkpoints`, keeping every checkpoint, and `run_statuses`). */
export class PostgresStateStore implements StateStore {
  constructor(private readonly options: PostgresStateStoreOptions) {}
  private pool() {
    return resolvePool(this.options.pool);
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
  async close(): Promise<void> {}
}

/** Options of `RedisStateStore`. */
export interface RedisStateStoreOptions {
  /** An ioredis client. Not closed by `close()`. */
  client: Redis;
  /** Prefix of every key. @default 'agent_runtime:' */
  keyPrefix?: string;
  /** Expiry of a run's keys, renewed on every write; 0 keeps them forever. @default 86400 (24 h) */
  ttlSeconds?: number;
}

/**
 * Redis `StateStore`: `<prefix>checkpoint:<runId>` and `<prefix>status:<runId>` hold JSON
 * (escaped, so any string round-trips), and expire after `ttlSeconds`.
 */
export class RedisStateStore implements StateStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  constructor(options: RedisStateStoreOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? 'agent_runtime:';
    this.ttl = parseModel(z.number().int().min(0), options.ttlSeconds ?? 86400, 'ttlSeconds');
  }
  private async put(key: string, value: unknown): Promise<void> {
    const json = encodeJson(value);
    if (this.ttl > 0) await redisCall(() => this.client.set(key, json, 'EX', this.ttl));
    else await redisCall(() => this.client.set(key, json));
  }
  async saveCheckpoint(runId: string, state: JsonObject): Promise<void> {
    await this.put(`${this.prefix}checkpoint:${checkRunId(runId)}`, checkState(state));
  }
  async getCheckpoint(runId: string): Promise<JsonObject | null> {
    const key = `${this.prefix}checkpoint:${checkRunId(runId)}`;
    const v = await redisCall(() => this.client.get(key));
    return v === null ? null : (decodeJson(v) as JsonObject);
  }
  async updateRunStatus(runId: string, status: RunStatus, details?: JsonObject): Promise<void> {
    const s = checkStatus(status, details);
    await this.put(`${this.prefix}status:${checkRunId(runId)}`, {
      ...s,
      updatedAt: new Date().toISOString(),
    });
  }
  async getRunStatus(runId: string): Promise<RunStatusRecord | null> {
    const id = checkRunId(runId);
    const v = await redisCall(() => this.client.get(`${this.prefix}status:${id}`));
    if (v === null) return null;
    const r = decodeJson(v) as { status: RunStatus; details: JsonObject; updatedAt: string };
    return { runId: id, status: r.status, details: r.details, updatedAt: new Date(r.updatedAt) };
  }
  async close(): Promise<void> {}
}
