// Node side only: the Redis StateStore (one JSON key per run's checkpoint and status, with expiry).
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { JsonObject, RunStatus } from '../core/types';
import { redisCall } from '../events/redis-errors';
import { resolveRedis, type RedisConnectionOptions } from '../events/redis-connection';
import { decodeJson, encodeJson } from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import type { RunStatusRecord, StateStore } from './state-store';
import { checkRunId, checkState, checkStatus } from './shared';

/** Options of `RedisStateStore`. */
export interface RedisStateStoreOptions extends RedisConnectionOptions {
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
  private readonly release: () => Promise<void>;
  constructor(options: RedisStateStoreOptions) {
    const r = resolveRedis(options, 'RedisStateStore');
    this.client = r.client;
    this.release = () => r.close();
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
  /** Disconnects the client it opened from `redisUrl` (never a given `client`). */
  async close(): Promise<void> {
    await this.release();
  }
}
