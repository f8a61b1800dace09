// Node side only: the Redis EventBus (one stream per run, pub/sub for transient events).
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import type { RunEvent } from '../core/types';
import { SafeKey } from '../persistence/models';
import { decodeJson, encodeJson } from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import type {
  EventBus,
  GetEventsOptions,
  SubscribeOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';
import { redisCall } from './redis-errors';
import { resolveRedis, type RedisConnectionOptions } from './redis-connection';
import {
  TransientQueue,
  checkEvent,
  checkQuery,
  checkTransient,
  follow,
  outOfOrder,
  sleep,
} from './shared';

/** Options of `RedisEventBus`. */
export interface RedisEventBusOptions extends RedisConnectionOptions {
  // Subscriptions use duplicates of the client.
  /** Prefix of every key. @default 'agent_runtime:' */
  keyPrefix?: string;
  /** Expiry of a run's stream, renewed on every publish; 0 keeps it forever. @default 21600 (6 h) */
  ttlSeconds?: number;
  /** Longest single blocking read of a subscriber. @default 5000 */
  blockMs?: number;
}

// Atomically: ignore a duplicate, refuse a gap, else append with the stream id `<seq>-0`.
const PUBLISH_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local lastSeq = 0
if #last > 0 then lastSeq = tonumber(string.match(last[1][1], '^(%d+)')) end
local seq = tonumber(ARGV[1])
if seq <= lastSeq then return -1 end
if seq ~= lastSeq + 1 then return lastSeq end
redis.call('XADD', KEYS[1], ARGV[1] .. '-0', 'e', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return -2
`;

/**
 * Redis `EventBus`: one stream per run (`<prefix>events:<runId>`) whose entry ids are the event
 * seqs, so ordering and duplicates are checked by Redis itself; subscribers block on `XREAD`
 * on their own connection.
 */
export class RedisEventBus implements EventBus {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly blockMs: number;
  private readonly subscribers = new Set<Redis>();

  private readonly release: () => Promise<void>;
  constructor(options: RedisEventBusOptions) {
    const r = resolveRedis(options, 'RedisEventBus');
    this.client = r.client;
    this.release = () => r.close();
    this.prefix = options.keyPrefix ?? 'agent_runtime:';
    this.ttl = parseModel(z.number().int().min(0), options.ttlSeconds ?? 21600, 'ttlSeconds');
    this.blockMs = parseModel(z.number().int().min(1), options.blockMs ?? 5000, 'blockMs');
  }

  private key(runId: string): string {
    return `${this.prefix}events:${runId}`;
  }

  async publish(event: RunEvent): Promise<void> {
    const e = checkEvent(event);
    const result = (await redisCall(() =>
      this.client.eval(
        PUBLISH_SCRIPT,
        1,
        this.key(e.runId),
        String(e.seq),
        encodeJson(e),
        String(this.ttl),
      ),
    )) as number;
    if (result >= 0) throw outOfOrder(e.runId, e.seq, result);
  }

  async getEvents(runId: string, options: GetEventsOptions = {}): Promise<RunEvent[]> {
    const q = checkQuery(runId, options);
    const entries = await redisCall(() =>
      this.client.xrange(this.key(q.runId), `${q.afterSeq + 1}-0`, '+', 'COUNT', q.limit),
    );
    return entries.map(([, fields]) => decodeJson(fields[1] ?? 'null') as RunEvent);
  }

  subscribe(runId: string, options: SubscribeOptions = {}): AsyncIterable<RunEvent> {
    return this.follow(this.key(parseModel(SafeKey, runId, 'runId')), runId, options);
  }

  private async *follow(
    key: string,
    runId: string,
    options: SubscribeOptions,
  ): AsyncGenerator<RunEvent> {
    let reader: Redis | undefined;
    try {
      // Nothing to start before the read: XREAD returns at once when the stream holds an entry
      // after the cursor, so an event stored after the read is never missed.
      yield* follow(this, runId, options, async (afterSeq, signal) => ({
        cancel: () => undefined,
        wait: async () => {
          if (!reader) {
            reader = this.client.duplicate();
            this.subscribers.add(reader);
          }
          const r = reader;
          // A blocked XREAD cannot be cancelled, so abort closes the connection under it.
          const onAbort = () => r.disconnect();
          signal.addEventListener('abort', onAbort);
          try {
            // Aborted before the listener was added (it never fires then): no blocking read.
            if (signal.aborted) return;
            await r.xread('BLOCK', this.blockMs, 'STREAMS', key, `${afterSeq}-0`);
          } catch {
            if (!signal.aborted) await sleep(100, signal);
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
        },
      }));
    } finally {
      if (reader) {
        this.subscribers.delete(reader);
        reader.disconnect();
      }
    }
  }

  /** Transient events go through Redis pub/sub on `<prefix>transient:<runId>`. */
  async publishTransient(event: TransientEvent): Promise<void> {
    const e = checkTransient(event);
    await this.client.publish(`${this.prefix}transient:${e.runId}`, encodeJson(e));
  }

  async subscribeTransient(runId: string): Promise<TransientSubscription> {
    const channel = `${this.prefix}transient:${parseModel(SafeKey, runId, 'runId')}`;
    const sub = this.client.duplicate();
    this.subscribers.add(sub);
    const queue = new TransientQueue(() => {
      this.subscribers.delete(sub);
      sub.disconnect();
    });
    sub.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      try {
        queue.push(decodeJson(message) as TransientEvent);
      } catch {
        // Not ours: ignore.
      }
    });
    try {
      await sub.subscribe(channel);
    } catch (err) {
      await queue.close();
      throw new AgentRuntimeError('STORAGE_ERROR', 'RedisEventBus: SUBSCRIBE failed', {
        cause: err,
      });
    }
    return queue;
  }

  /** Ends the subscriptions' connections, and disconnects the client it opened from `redisUrl`. */
  async close(): Promise<void> {
    for (const r of this.subscribers) r.disconnect();
    this.subscribers.clear();
    await this.release();
  }
}
