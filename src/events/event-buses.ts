// Node side only (activities publish, clients subscribe): the durable, ordered event log of runs.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import { isTerminalEventType } from '../core/events';
import type { RunEvent } from '../core/types';
import { SafeKey } from '../persistence/models';
import type { PoolSource } from '../persistence/postgres/sql';
import {
  decodeJson,
  encodeJson,
  query,
  resolvePool,
  withTransaction,
} from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import { redisCall } from './redis-errors';

/** Options of `EventBus.subscribe`. */
export interface SubscribeOptions {
  /** Deliver events with `seq` greater than this: 0 replays the whole log. @default 0 */
  afterSeq?: number;
  /** Ends the subscription (the iterator returns) when aborted. */
  signal?: AbortSignal;
  /** End after delivering a terminal event (`run.succeeded`, `run.failed`, …). @default true */
  untilTerminal?: boolean;
}

/** Options of `EventBus.getEvents`. */
export interface GetEventsOptions {
  /** Only events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** @default 1000 */
  limit?: number;
}

/**
 * A per-run, gap-free, ordered event log with live delivery.
 *
 * - `publish` is idempotent per `(runId, seq)`: a retried activity may publish the same event
 *   again and the first write wins. An event whose predecessor is missing is refused with the
 *   retryable `EVENT_OUT_OF_ORDER`, so the log never has gaps.
 * - `subscribe` returns an async iterable: first the stored events after `afterSeq`, then live
 *   ones, in `seq` order, each once. It ends after a terminal event (unless
 *   `untilTerminal: false`), when `signal` aborts, or when the consumer breaks out of its loop.
 *   A consumer that reconnects passes the last `seq` it saw as `afterSeq` and loses nothing.
 */
export interface EventBus {
  publish(event: RunEvent): Promise<void>;
  getEvents(runId: string, options?: GetEventsOptions): Promise<RunEvent[]>;
  subscribe(runId: string, options?: SubscribeOptions): AsyncIterable<RunEvent>;
  /**
   * Publishes a transient event (a token delta, a retry marker) to the run's current transient
   * subscribers: not stored, no `seq`, never replayed, best effort. Events from one publisher
   * arrive in the order it awaited its publishes. Optional: a bus without it carries no deltas.
   */
  publishTransient?(event: TransientEvent): Promise<void>;
  /**
   * Subscribes to a run's transient events from now on. Resolves once the subscription is live
   * (so nothing published after that is missed); iterate it, and `close()` it when done.
   */
  subscribeTransient?(runId: string): Promise<TransientSubscription>;
  /** Stops live delivery machinery the bus owns (never a pool or client it was given). */
  close(): Promise<void>;
}

/** An event outside the durable log (see `EventBus.publishTransient`). */
export interface TransientEvent {
  /** The run it belongs to. */
  runId: string;
  /** The event type, e.g. `assistant.delta`. */
  type: string;
  /** Event data (JSON). */
  payload: Record<string, unknown>;
  /** ISO-8601 time of publishing. */
  timestamp: string;
}

/** A live subscription to a run's transient events. */
export interface TransientSubscription extends AsyncIterable<TransientEvent> {
  /** Ends the subscription: the iterator returns, the bus releases what it held for it. */
  close(): Promise<void>;
}

const TransientEventSchema = z.object({
  runId: SafeKey,
  type: z.string().min(1).max(1000),
  payload: z.record(z.string(), z.json()),
  timestamp: z.string(),
});

function checkTransient(event: TransientEvent): TransientEvent {
  return parseModel(TransientEventSchema, event, 'transient event');
}

/**
 * The iterator side of a transient subscription: an unbounded FIFO fed by the bus's listener,
 * ended by `close()`.
 */
class TransientQueue implements TransientSubscription {
  private readonly items: TransientEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(private readonly onClose: () => Promise<void> | void) {}

  push(event: TransientEvent): void {
    if (this.ended) return;
    this.items.push(event);
    this.wake?.();
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
    await this.onClose();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TransientEvent> {
    try {
      for (;;) {
        const next = this.items.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      await this.close();
    }
  }
}

const RunEventSchema = z.object({
  seq: z.number().int().min(1),
  runId: SafeKey,
  type: z.string().min(1).max(1000),
  payload: z.record(z.string(), z.json()),
  timestamp: z.string(),
});

function checkEvent(event: RunEvent): RunEvent {
  return parseModel(RunEventSchema, event, 'event');
}

function checkQuery(
  runId: string,
  options: GetEventsOptions,
): { runId: string; afterSeq: number; limit: number } {
  return {
    runId: parseModel(SafeKey, runId, 'runId'),
    afterSeq: parseModel(z.number().int().min(0), options.afterSeq ?? 0, 'afterSeq'),
    limit: parseModel(z.number().int().min(1), options.limit ?? 1000, 'limit'),
  };
}

function outOfOrder(runId: string, seq: number, last: number): AgentRuntimeError {
  return new AgentRuntimeError(
    'EVENT_OUT_OF_ORDER',
    `Event ${seq} of run ${runId} arrived before event ${last + 1}`,
    {
      details: { runId, seq, lastSeq: last },
    },
  );
}

/**
 * The subscription loop every bus shares: read what is stored after the cursor, deliver it,
 * and when nothing is left wait for a wake-up (a notification or the poll interval).
 */
async function* follow(
  bus: EventBus,
  runId: string,
  options: SubscribeOptions,
  waitForMore: (afterSeq: number, signal: AbortSignal) => Promise<void>,
): AsyncGenerator<RunEvent> {
  let cursor = checkQuery(runId, options).afterSeq;
  const untilTerminal = options.untilTerminal ?? true;
  // Our own controller, so breaking out of the loop also stops a pending wait.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) stop.abort();
  try {
    while (!stop.signal.aborted) {
      const batch = await bus.getEvents(runId, { afterSeq: cursor, limit: 500 });
      for (const event of batch) {
        if (stop.signal.aborted) return;
        cursor = event.seq;
        yield event;
        if (untilTerminal && isTerminalEventType(event.type)) return;
      }
      if (batch.length === 0) await waitForMore(cursor, stop.signal);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

/** Resolves after `ms`, or early when `signal` aborts or `wake` is called. */
function sleep(
  ms: number,
  signal: AbortSignal,
  register?: (wake: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      unregister?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    const unregister = register?.(done);
  });
}

/** In-memory `EventBus` (tests, single process). */
export class InMemoryEventBus implements EventBus {
  private readonly logs = new Map<string, RunEvent[]>();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly transient = new EventEmitter().setMaxListeners(0);

  async publish(event: RunEvent): Promise<void> {
    const e = checkEvent(event);
    const log = this.logs.get(e.runId) ?? [];
    if (e.seq <= log.length) return;
    if (e.seq !== log.length + 1) throw outOfOrder(e.runId, e.seq, log.length);
    log.push(decodeJson(encodeJson(e)) as RunEvent);
    this.logs.set(e.runId, log);
    this.emitter.emit(e.runId);
  }

  async getEvents(runId: string, options: GetEventsOptions = {}): Promise<RunEvent[]> {
    const q = checkQuery(runId, options);
    const log = this.logs.get(q.runId) ?? [];
    return log
      .slice(q.afterSeq, q.afterSeq + q.limit)
      .map((e) => decodeJson(encodeJson(e)) as RunEvent);
  }

  subscribe(runId: string, options: SubscribeOptions = {}): AsyncIterable<RunEvent> {
    return follow(this, runId, options, (_after, signal) =>
      sleep(60_000, signal, (wake) => {
        this.emitter.once(runId, wake);
        return () => this.emitter.off(runId, wake);
      }),
    );
  }

  async publishTransient(event: TransientEvent): Promise<void> {
    const e = checkTransient(event);
    this.transient.emit(e.runId, decodeJson(encodeJson(e)));
  }

  async subscribeTransient(runId: string): Promise<TransientSubscription> {
    const id = parseModel(SafeKey, runId, 'runId');
    const queue = new TransientQueue(() => void this.transient.off(id, listener));
    const listener = (e: TransientEvent) => queue.push(e);
    this.transient.on(id, listener);
    return queue;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    this.transient.removeAllListeners();
  }
}

/** Options of `PostgresEventBus`. */
export interface PostgresEventBusOptions {
  /** A migrated pool (see `migrate`). Not closed by `close()`. */
  pool: PoolSource;
  /**
   * Hold one connection with `LISTEN` for live delivery. Turn it off where connections are
   * scarce (PGlite serves one at a time): subscribers then poll.
   * @default true
   */
  listen?: boolean;
  /** How often subscribers re-read even without a notification (a safety net). @default 1000 */
  pollIntervalMs?: number;
}

const CHANNEL = 'agent_runtime_events';
/** Channel of transient events; each notification carries the whole event. */
const TRANSIENT_CHANNEL = 'agent_runtime_transient';
/** NOTIFY payloads must stay under 8000 bytes; longer run ids wake every subscriber instead. */
const MAX_NOTIFY_BYTES = 7900;

/**
 * Postgres `EventBus` (table `run_events`). Publishing holds a transaction advisory lock per run
 * to check the sequence, and sends `NOTIFY` with only the run id and seq (never the body, which
 * may exceed NOTIFY's size limit); subscribers read bodies from the table.
 */
export class PostgresEventBus implements EventBus {
  private readonly listen: boolean;
  private readonly pollMs: number;
  private readonly waiters = new EventEmitter().setMaxListeners(0);
  private listener: Promise<PoolClient> | undefined;
  private closed = false;
  private readonly transientWaiters = new EventEmitter().setMaxListeners(0);
  private transientListener: Promise<{ client: PoolClient; detach: () => void }> | undefined;
  private transientCount = 0;

  constructor(private readonly options: PostgresEventBusOptions) {
    this.listen = options.listen ?? true;
    this.pollMs = parseModel(
      z.number().int().min(1),
      options.pollIntervalMs ?? 1000,
      'pollIntervalMs',
    );
  }

  private pool(): Promise<Pool> {
    return resolvePool(this.options.pool);
  }

  async publish(event: RunEvent): Promise<void> {
    const e = checkEvent(event);
    const notice = encodeJson({ r: e.runId, s: e.seq });
    await withTransaction(await this.pool(), async (c) => {
      await c.query(
        `SELECT pg_advisory_xact_lock(hashtext('agent_runtime_core.events'), hashtext($1))`,
        [e.runId],
      );
      const res = await c.query<{ last: string | null }>(
        'SELECT max(seq) AS last FROM run_events WHERE run_id = $1',
        [e.runId],
      );
      const last = Number(res.rows[0]?.last ?? 0);
      if (e.seq <= last) return;
      if (e.seq !== last + 1) throw outOfOrder(e.runId, e.seq, last);
      await c.query(
        'INSERT INTO run_events (run_id, seq, type, payload_json, ts) VALUES ($1, $2, $3, $4, $5)',
        [e.runId, e.seq, e.type, encodeJson(e.payload), e.timestamp],
      );
      await c.query('SELECT pg_notify($1, $2)', [
        CHANNEL,
        Buffer.byteLength(notice) > MAX_NOTIFY_BYTES ? '*' : notice,
      ]);
    });
  }

  async getEvents(runId: string, options: GetEventsOptions = {}): Promise<RunEvent[]> {
    const q = checkQuery(runId, options);
    const rows = await query<{ seq: string; type: string; payload_json: string; ts: string }>(
      await this.pool(),
      'SELECT seq, type, payload_json, ts FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [q.runId, q.afterSeq, q.limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      runId: q.runId,
      type: r.type,
      payload: decodeJson(r.payload_json) as Record<string, unknown>,
      timestamp: r.ts,
    }));
  }

  subscribe(runId: string, options: SubscribeOptions = {}): AsyncIterable<RunEvent> {
    return follow(this, runId, options, async (_after, signal) => {
      if (this.listen && !this.closed) {
        // A failed LISTEN connection falls back to polling until the next attempt.
        await this.ensureListener().catch(() => undefined);
      }
      await sleep(this.pollMs, signal, (wake) => {
        this.waiters.once(runId, wake);
        this.waiters.once('*', wake);
        return () => {
          this.waiters.off(runId, wake);
          this.waiters.off('*', wake);
        };
      });
    });
  }

  /** Opens the shared LISTEN connection once; after it fails, the next wait opens a new one. */
  private ensureListener(): Promise<PoolClient> {
    this.listener ??= (async () => {
      const client = await (await this.pool()).connect();
      const drop = () => {
        if (this.listener === undefined) return;
        this.listener = undefined;
        client.release(new Error('LISTEN connection lost'));
        // Subscribers re-read at once: notifications may have been missed.
        this.waiters.emit('*');
      };
      client.on('error', drop);
      client.on('end', drop);
      client.on('notification', (msg) => {
        if (msg.channel !== CHANNEL) return;
        if (msg.payload === '*' || msg.payload === undefined) {
          this.waiters.emit('*');
          return;
        }
        try {
          const { r } = decodeJson(msg.payload) as { r: string };
          this.waiters.emit(r);
        } catch {
          this.waiters.emit('*');
        }
      });
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    })().catch((err: unknown) => {
      this.listener = undefined;
      throw err;
    });
    return this.listener;
  }

  /**
   * Sends the event with `NOTIFY` (its own channel, its own LISTEN connection, opened on the
   * first transient subscription). A payload over NOTIFY's limit (~7.9 kB) is refused with
   * `INVALID_INPUT`: split long deltas before publishing.
   */
  async publishTransient(event: TransientEvent): Promise<void> {
    const e = checkTransient(event);
    const payload = encodeJson(e);
    if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `Transient event of run ${e.runId} is over ${MAX_NOTIFY_BYTES} bytes; split it`,
        { details: { runId: e.runId, bytes: Buffer.byteLength(payload) } },
      );
    }
    await query(await this.pool(), 'SELECT pg_notify($1, $2)', [TRANSIENT_CHANNEL, payload]);
  }

  /** Needs `listen: true` (PGlite setups without LISTEN get `CONFIG_INVALID`). */
  async subscribeTransient(runId: string): Promise<TransientSubscription> {
    const id = parseModel(SafeKey, runId, 'runId');
    if (!this.listen || this.closed) {
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        'PostgresEventBus: transient events need LISTEN (listen: true) and an open bus',
      );
    }
    this.transientCount += 1;
    const listener = (e: TransientEvent) => queue.push(e);
    const queue = new TransientQueue(async () => {
      this.transientWaiters.off(id, listener);
      this.transientCount -= 1;
      if (this.transientCount === 0) await this.dropTransientListener();
    });
    this.transientWaiters.on(id, listener);
    try {
      await this.ensureTransientListener();
    } catch (err) {
      await queue.close();
      throw new AgentRuntimeError('STORAGE_ERROR', 'PostgresEventBus: LISTEN failed', {
        cause: err,
      });
    }
    return queue;
  }

  private ensureTransientListener(): Promise<{ client: PoolClient; detach: () => void }> {
    this.transientListener ??= (async () => {
      const client = await (await this.pool()).connect();
      const onNotification = (msg: { channel: string; payload?: string }) => {
        if (msg.channel !== TRANSIENT_CHANNEL || msg.payload === undefined) return;
        try {
          const e = decodeJson(msg.payload) as TransientEvent;
          this.transientWaiters.emit(e.runId, e);
        } catch {
          // Not ours: ignore.
        }
      };
      const drop = () => {
        detach();
        if (this.transientListener === undefined) return;
        this.transientListener = undefined;
        client.release(new Error('LISTEN connection lost'));
      };
      // The client goes back to the pool afterwards: leave no listener of ours on it.
      const detach = () => {
        client.off('error', drop);
        client.off('end', drop);
        client.off('notification', onNotification);
      };
      client.on('error', drop);
      client.on('end', drop);
      client.on('notification', onNotification);
      await client.query(`LISTEN ${TRANSIENT_CHANNEL}`);
      return { client, detach };
    })().catch((err: unknown) => {
      this.transientListener = undefined;
      throw err;
    });
    return this.transientListener;
  }

  private async dropTransientListener(): Promise<void> {
    const listener = this.transientListener;
    this.transientListener = undefined;
    const held = await listener?.catch(() => undefined);
    if (held) {
      await held.client.query(`UNLISTEN ${TRANSIENT_CHANNEL}`).catch(() => undefined);
      held.detach();
      held.client.release();
    }
  }

  async close(): Promise<void> {
    await this.dropTransientListener();
    this.transientWaiters.removeAllListeners();
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    this.waiters.emit('*');
    if (listener) {
      const client = await listener.catch(() => undefined);
      if (client) {
        await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        client.release();
      }
    }
  }
}

/** Options of `RedisEventBus`. */
export interface RedisEventBusOptions {
  /** An ioredis client for commands. Not closed by `close()`; subscriptions use duplicates of it. */
  client: Redis;
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

  constructor(options: RedisEventBusOptions) {
    this.client = options.client;
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
      yield* follow(this, runId, options, async (afterSeq, signal) => {
        if (!reader) {
          reader = this.client.duplicate();
          this.subscribers.add(reader);
        }
        const r = reader;
        // A blocked XREAD cannot be cancelled, so abort closes the connection under it.
        const onAbort = () => r.disconnect();
        signal.addEventListener('abort', onAbort);
        try {
          await r.xread('BLOCK', this.blockMs, 'STREAMS', key, `${afterSeq}-0`);
        } catch {
          if (!signal.aborted) await sleep(100, signal);
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      });
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

  async close(): Promise<void> {
    for (const r of this.subscribers) r.disconnect();
    this.subscribers.clear();
  }
}
