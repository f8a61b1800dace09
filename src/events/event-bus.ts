// Node side only (activities publish, clients subscribe): the EventBus contract, the durable,
// ordered event log of runs with live delivery. Backends: memory.ts, postgres.ts, redis.ts.
import type { RunEvent } from '../core/types';

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
