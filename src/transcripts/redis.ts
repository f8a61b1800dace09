// Node side only: the Redis TranscriptStore (one hash of entries and one of constants per
// transcript, with expiry renewed on every write).
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { JsonObject } from '../core/types';
import { redisCall } from '../events/redis-errors';
import { resolveRedis, type RedisConnectionOptions } from '../events/redis-connection';
import { decodeJson, encodeJson } from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import type { TranscriptEntry, TranscriptStore } from './transcript-store';
import {
  checkConstant,
  checkAppend,
  checkPosition,
  checkTranscriptId,
  decodeEntry,
  encodeEntry,
} from './shared';

/** Options of `RedisTranscriptStore`. */
export interface RedisTranscriptStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key. @default 'agent_runtime:' */
  keyPrefix?: string;
  /**
   * Expiry of a transcript's keys, renewed on every append (each model call of its run appends);
   * 0 keeps them forever. A call whose transcript expired is sent again whole. @default 86400 (24 h)
   */
  ttlSeconds?: number;
}

/**
 * Redis `TranscriptStore`: `<prefix>transcript:<id>` is a hash from position to entry JSON and
 * `<prefix>transcript-constants:<id>` a hash from key to JSON; both expire after `ttlSeconds`.
 */
export class RedisTranscriptStore implements TranscriptStore {
  /** Transcripts survive worker restarts and are shared by workers. */
  readonly durable = true;
  /**
   * Clients with the same Redis read it too, but only a store whose transcripts never expire
   * (`ttlSeconds: 0`) is `shared`: a run's `finalMessages` must stay readable as long as
   * Temporal keeps its result.
   */
  readonly shared: boolean;
  private readonly client: Redis;
  private readonly release: () => Promise<void>;
  private readonly prefix: string;
  private readonly ttl: number;

  constructor(options: RedisTranscriptStoreOptions) {
    const r = resolveRedis(options, 'RedisTranscriptStore');
    this.client = r.client;
    this.release = () => r.close();
    this.prefix = options.keyPrefix ?? 'agent_runtime:';
    this.ttl = parseModel(z.number().int().min(0), options.ttlSeconds ?? 86400, 'ttlSeconds');
    this.shared = this.ttl === 0;
  }

  private entriesKey(id: string): string {
    return `${this.prefix}transcript:${id}`;
  }

  private constantsKey(id: string): string {
    return `${this.prefix}transcript-constants:${id}`;
  }

  /**
   * HSET plus the expiry renewal of `renew` (the written key first), in one round trip (MULTI:
   * all or nothing).
   */
  private async hset(key: string, fields: string[], renew: string[] = [key]): Promise<void> {
    await redisCall(async () => {
      const tx = this.client.multi().hset(key, ...fields);
      if (this.ttl > 0) for (const k of renew) tx.expire(k, this.ttl);
      const results = await tx.exec();
      const failed = results?.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;
    });
  }

  async append(
    transcriptId: string,
    from: number,
    entries: readonly TranscriptEntry[],
  ): Promise<void> {
    const { id, start } = checkAppend(transcriptId, from, entries);
    if (entries.length === 0) return;
    // Every call of a run appends: its constants (written once) stay as long as its messages.
    await this.hset(
      this.entriesKey(id),
      entries.flatMap((e, i) => [String(start + i), encodeEntry(e)]),
      [this.entriesKey(id), this.constantsKey(id)],
    );
  }

  async read(transcriptId: string, length: number): Promise<TranscriptEntry[] | null> {
    const id = checkTranscriptId(transcriptId);
    const n = checkPosition(length, 'length');
    if (n === 0) return [];
    // Fewer stored entries than asked for: some position is missing. Checked first, so a huge
    // `length` never builds a huge HMGET.
    const stored = await redisCall(() => this.client.hlen(this.entriesKey(id)));
    if (stored < n) return null;
    const fields = Array.from({ length: n }, (_, i) => String(i));
    const values = await redisCall(() => this.client.hmget(this.entriesKey(id), ...fields));
    if (values.some((v) => v === null)) return null;
    return values.map((v) => decodeEntry(v as string));
  }

  async readEntry(transcriptId: string, position: number): Promise<TranscriptEntry | null> {
    const id = checkTranscriptId(transcriptId);
    const pos = checkPosition(position, 'position');
    const v = await redisCall(() => this.client.hget(this.entriesKey(id), String(pos)));
    return v === null ? null : decodeEntry(v);
  }

  async putConstant(transcriptId: string, key: string, value: JsonObject): Promise<void> {
    const id = checkTranscriptId(transcriptId);
    checkConstant(key, value);
    await this.hset(this.constantsKey(id), [key, encodeJson(value)]);
  }

  async getConstant(transcriptId: string, key: string): Promise<JsonObject | null> {
    const id = checkTranscriptId(transcriptId);
    checkConstant(key, {});
    const v = await redisCall(() => this.client.hget(this.constantsKey(id), key));
    return v === null ? null : (decodeJson(v) as JsonObject);
  }

  /** Disconnects the client it opened from `redisUrl` (never a given `client`). */
  async close(): Promise<void> {
    await this.release();
  }
}
