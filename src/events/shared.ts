// Node side only: what the EventBus backends share (validation, the subscription loop, the
// transient queue). Internal to src/events: not exported from the package.
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import { isTerminalEventType } from '../core/events';
import type { RunEvent } from '../core/types';
import { SafeKey } from '../persistence/models';
import { parseModel } from '../persistence/validation';
import type {
  EventBus,
  GetEventsOptions,
  SubscribeOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';

const TransientEventSchema = z.object({
  runId: SafeKey,
  type: z.string().min(1).max(1000),
  payload: z.record(z.string(), z.json()),
  timestamp: z.string(),
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

const RunEventSchema = z.object({
  seq: z.number().int().min(1),
  runId: SafeKey,
  type: z.string().min(1).max(1000),
  payload: z.record(z.string(), z.json()),
  timestamp: z.string(),
});

/** Validates a durable event (`VALIDATION_ERROR` naming the bad field). */
export function checkEvent(event: RunEvent): RunEvent {
  return parseModel(RunEventSchema, event, 'event');
}

/** Validates the arguments of `getEvents` and fills in their defaults. */
export function checkQuery(
  runId: string,
  options: GetEventsOptions,
): { runId: string; afterSeq: number; limit: number } {
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
 * The subscription loop every bus shares: read what is stored after the cursor, deliver it,
 * and when nothing is left wait for a wake-up (a notification or the poll interval).
 */
export async function* follow(
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
export function sleep(
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
