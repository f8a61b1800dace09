// Node side only: the Postgres EventBus (table `run_events`, LISTEN/NOTIFY for live delivery).
import {
  resolveConnection,
  type PostgresConnectionOptions,
} from '../persistence/postgres/connection-option';
import { EventEmitter } from 'node:events';
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import type { RunEvent } from '../core/types';
import { SafeKey } from '../persistence/models';
import {
  decodeJson,
  encodeJson,
  query,
  resolvePool,
  withTransaction,
} from '../persistence/postgres/sql';
import { parseModel } from '../persistence/validation';
import type {
  EventBus,
  GetEventsOptions,
  SubscribeOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';
import {
  TransientQueue,
  checkEvent,
  checkQuery,
  checkTransient,
  follow,
  outOfOrder,
  timedWatch,
} from './shared';

/** Options of `PostgresEventBus`. */
export interface PostgresEventBusOptions extends PostgresConnectionOptions {
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
  /** Subscriptions being iterated; the LISTEN connection is held while there are any. */
  private following = 0;
  private releaseListener: (() => Promise<void>) | undefined;
  private closed = false;
  private readonly transientWaiters = new EventEmitter().setMaxListeners(0);
  private transientListener: Promise<{ client: PoolClient; detach: () => void }> | undefined;
  private transientCount = 0;

  private readonly connection;
  constructor(options: PostgresEventBusOptions) {
    this.connection = resolveConnection(options, 'PostgresEventBus');
    this.listen = options.listen ?? true;
    this.pollMs = parseModel(
      z.number().int().min(1),
      options.pollIntervalMs ?? 1000,
      'pollIntervalMs',
    );
  }

  private pool(): Promise<Pool> {
    return resolvePool(this.connection.source);
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

  /**
   * Follows a run's events. The first subscription opens the shared LISTEN connection; when the
   * last one ends (its loop returns or breaks), the connection goes back to the pool, so
   * `pool.end()` does not wait for `close()`.
   */
  subscribe(runId: string, options: SubscribeOptions = {}): AsyncIterable<RunEvent> {
    const inner = this.follow(runId, options);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const bus = this;
    return {
      async *[Symbol.asyncIterator]() {
        bus.following += 1;
        try {
          yield* inner;
        } finally {
          bus.following -= 1;
          if (bus.following === 0) await bus.dropListener();
        }
      },
    };
  }

  /** Releases the shared LISTEN connection (the next subscription opens one again). */
  private async dropListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.catch(() => undefined);
    const release = this.releaseListener;
    this.releaseListener = undefined;
    await release?.();
  }

  private follow(runId: string, options: SubscribeOptions): AsyncIterable<RunEvent> {
    return follow(this, runId, options, async (_after, signal) => {
      if (this.listen && !this.closed) {
        // LISTEN before the read it guards. A failed LISTEN connection falls back to polling
        // until the next attempt.
        await this.ensureListener().catch(() => undefined);
      }
      return timedWatch(this.pollMs, signal, (wake) => {
        this.waiters.once(runId, wake);
        this.waiters.once('*', wake);
        return () => {
          this.waiters.off(runId, wake);
          this.waiters.off('*', wake);
        };
      });
    });
  }

  /** Opens the shared LISTEN connection once; after it fails, the next watch opens a new one. */
  private ensureListener(): Promise<PoolClient> {
    this.listener ??= (async () => {
      const client = await (await this.pool()).connect();
      let held = true;
      const drop = () => {
        if (!held) return;
        held = false;
        detach();
        this.listener = undefined;
        client.release(new Error('LISTEN connection lost'));
        // Subscribers re-read at once: notifications may have been missed.
        this.waiters.emit('*');
      };
      const onNotification = (msg: { channel: string; payload?: string }) => {
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
      this.releaseListener = async () => {
        if (!held) return;
        held = false;
        await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        detach();
        client.release();
      };
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
    this.waiters.emit('*');
    await this.dropListener();
    await this.connection.close();
  }
}
