// Node side only: what the EventBus backends share (validation, the subscription loop, the
// transient queue). Internal to src/events: not exported from the package.
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import { isTerminalEventType } from '../core/events';
import type { RunEvent } from '../core/types';
import { SafeKey, StoredText } from '../persistence/models';
import { parseModel, parseOptions } from '../persistence/validation';
import type {
  EventBus,
  GetEventsOptions,
  SubscribeOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';

const TransientEventSchema = z.object({
  runId: SafeKey,
  /** Kept as is in a text column: no NUL, no lone surrogate (see `StoredText`). */
  type: StoredText.min(1).max(1000),
  /** Stored as escaped JSON: any string round-trips exactly. */
  payload: z.record(z.string(), z.json()),
  timestamp: StoredText,
});

/** Validates a transient event (`VALIDATION_ERROR` naming the bad field). */
export function checkTransient(event: TransientEvent): TransientEvent {
  return parseModel(TransientEventSchema, event, 'transient event');
}

/**
 * The iterator side of a transient subscription: an unbounded FIFO fed by the bus's listener,
 * ended by `close()`.
 */
export class TransientQueue implements TransientSubscription {
  private readonly items: TransientEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(private readonly onClose: () => Promise<void> | void) {}

  /** Queues an event for the iterator (dropped once the subscription is closed). */
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

/** A durable event: a transient one with its place in the log (`seq` first, as stored). */
const RunEventSchema = z.object({ seq: z.number().int().min(1), ...TransientEventSchema.shape });

/** Validates a durable event (`VALIDATION_ERROR` naming the bad field). */
export function checkEvent(event: RunEvent): RunEvent {
  return parseModel(RunEventSchema, event, 'event');
}

/** Validates the arguments of `getEvents` and fills in their defaults. */
export function checkQuery(
  runId: string,
  optionsIn: GetEventsOptions | undefined,
): { runId: string; afterSeq: number; limit: number } {
  const options = parseOptions(optionsIn);
  return {
    runId: parseModel(SafeKey, runId, 'runId'),
    afterSeq: parseModel(z.number().int().min(0), options.afterSeq ?? 0, 'afterSeq'),
    limit: parseModel(z.number().int().min(1), options.limit ?? 1000, 'limit'),
  };
}

/** The retryable error of an event whose predecessor is not stored yet. */
export function outOfOrder(runId: string, seq: number, last: number): AgentRuntimeError {
  return new AgentRuntimeError(
    'EVENT_OUT_OF_ORDER',
    `Event ${seq} of run ${runId} arrived before event ${last + 1}`,
    {
      details: { runId, seq, lastSeq: last },
    },
  );
}

/**
 * A subscriber's watch on a run's log. The loop starts it before each read, so an event stored
 * after the read (however soon) still ends the wait: no wake-up is lost between the two.
 */
export interface LogWatch {
  /** Resolves on news of the run, after the bus's poll interval, or when the subscription stops. */
  wait(): Promise<void>;
  /** Stops watching (the read found events). */
  cancel(): void;
}

/**
 * The subscription loop every bus shares: start watching, read what is stored after the cursor,
 * deliver it, and when nothing was there wait for the watch (a notification or the poll interval).
 */
export async function* follow(
  bus: EventBus,
  runId: string,
  options: SubscribeOptions,
  watch: (afterSeq: number, signal: AbortSignal) => Promise<LogWatch>,
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
      const watching = await watch(cursor, stop.signal);
      let batch: RunEvent[];
      try {
        batch = await bus.getEvents(runId, { afterSeq: cursor, limit: 500 });
      } catch (err) {
        watching.cancel();
        throw err;
      }
      if (batch.length === 0) {
        await watching.wait();
        continue;
      }
      watching.cancel();
      for (const event of batch) {
        if (stop.signal.aborted) return;
        cursor = event.seq;
        yield event;
        if (untilTerminal && isTerminalEventType(event.type)) return;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

/**
 * A watch that ends after `ms`, when `signal` aborts, or when the source `register` hooked it to
 * calls `wake` (`register` returns how to unhook it).
 */
export function timedWatch(
  ms: number,
  signal: AbortSignal,
  register?: (wake: () => void) => () => void,
): LogWatch {
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      unregister?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    const unregister = register?.(done);
  });
  return { wait: () => ended, cancel: () => done() };
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return timedWatch(ms, signal).wait();
}
