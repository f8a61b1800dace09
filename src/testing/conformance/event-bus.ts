// Node side: the EventBus conformance suite of `agent-runtime-core/testing`: every backend (ours
// and yours) runs the same tests, so they cannot drift apart.
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../core/types';
import type { EventBus } from '../../events/event-bus';
import { HOSTILE_TEXTS, expectCode, testRunner, waitUntil } from './helpers';

/** Builds the bus one test uses; the suite closes it after the test. */
export type EventBusFactory = () => Promise<EventBus>;

function ev(
  runId: string,
  seq: number,
  type = 'progress.update',
  payload: Record<string, unknown> = {},
): RunEvent {
  return {
    runId,
    seq,
    type,
    payload: { n: seq, ...payload },
    timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(),
  };
}

/** A subscription read in the background: what it delivered so far, and all of it once it ends. */
interface Reading {
  seen: RunEvent[];
  /** Rejects when the subscription has not ended after `ms`. */
  done: Promise<RunEvent[]>;
}

function read(iter: AsyncIterable<RunEvent>, ms = 10_000): Reading {
  const seen: RunEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`subscription did not end within ${ms} ms`)), ms);
  });
  const done = Promise.race([
    (async () => {
      for await (const e of iter) seen.push(e);
      return seen;
    })(),
    deadline,
  ]).finally(() => clearTimeout(timer));
  // A test that failed before awaiting `done` must not also leave an unhandled rejection.
  done.catch(() => undefined);
  return { seen, done };
}

/**
 * Declares the `EventBus` contract as a `describe` block of tests for one backend: ordered
 * idempotent publishing that refuses gaps, paging, hostile and large payloads, and
 * subscriptions (replay then live delivery, several subscribers, the end after a terminal event,
 * on abort and on break, no wake-up lost between a read and the wait). Every test uses a fresh
 * run id, so buses may share a database or key prefix. One test stores an event the moment the
 * subscriber's read of the log comes back empty, so it expects `subscribe` to read the log
 * through the bus's own `getEvents`.
 *
 * Call it at the top level of a test file run by Jest, or by Vitest with `globals: true`: it uses
 * the runner's global `describe`, `it`, `beforeEach`, `afterEach` and `expect`.
 *
 * @example
 * describeEventBus('postgres', async () => new PostgresEventBus({ pool }));
 */
export function describeEventBus(name: string, factory: EventBusFactory): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`EventBus conformance: ${name}`, () => {
    let bus: EventBus;
    beforeEach(async () => {
      bus = await factory();
    });
    afterEach(async () => bus.close());

    it('stores events in order and pages with afterSeq and limit', async () => {
      const run = `run-${randomUUID()}`;
      for (let i = 1; i <= 5; i++) await bus.publish(ev(run, i));
      expect((await bus.getEvents(run)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await bus.getEvents(run, { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([
        3, 4,
      ]);
      expect(await bus.getEvents(run, { afterSeq: 5 })).toEqual([]);
      expect(await bus.getEvents(`${run}-none`)).toEqual([]);
      expect((await bus.getEvents(run))[0]).toEqual(ev(run, 1));
    });

    it('is idempotent per (runId, seq) and refuses gaps with a retryable error', async () => {
      const run = `run-${randomUUID()}`;
      await bus.publish(ev(run, 1, 'run.started', { first: true }));
      await bus.publish(ev(run, 1, 'run.started', { first: false }));
      const err = await expectCode(bus.publish(ev(run, 3)), 'EVENT_OUT_OF_ORDER');
      expect(err.retryable).toBe(true);
      await bus.publish(ev(run, 2));
      await bus.publish(ev(run, 3));
      const events = await bus.getEvents(run);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(events[0]?.payload.first).toBe(true);
    });

    it('keeps order when retried publishers race', async () => {
      const run = `run-${randomUUID()}`;
      // Each event is published by several racing "attempts"; out-of-order ones retry until
      // their predecessor is stored.
      const publishWithRetry = (seq: number) =>
        waitUntil(() => bus.publish(ev(run, seq)).then(() => true), `event ${seq} to be accepted`);
      await Promise.all(
        [...Array.from({ length: 20 }, (_, i) => i + 1), 5, 7, 7, 12].map(publishWithRetry),
      );
      expect((await bus.getEvents(run)).map((e) => e.seq)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('stores hostile and large payloads intact', async () => {
      const run = `run-${randomUUID()}`;
      const payload = { ...HOSTILE_TEXTS, big: 'y'.repeat(200_000) };
      await bus.publish({ ...ev(run, 1), payload });
      expect((await bus.getEvents(run))[0]?.payload).toEqual(payload);
      await expectCode(bus.publish({ ...ev(run, 2), seq: 0 }), 'VALIDATION_ERROR', 'event.seq');
      await expectCode(
        bus.publish({ ...ev(run, 2), runId: 'a\u0000' }),
        'VALIDATION_ERROR',
        'event.runId',
      );
    });

    it('refuses NUL and lone surrogates where they are stored as is, and keeps them exactly in payloads', async () => {
      const run = `run-${randomUUID()}`;
      // type and timestamp are kept as is (a text column, a stream field): refused everywhere
      // rather than kept by one backend and turned into U+FFFD by another.
      for (const bad of [HOSTILE_TEXTS.loneHigh!, HOSTILE_TEXTS.loneLow!, HOSTILE_TEXTS.nul!]) {
        await expectCode(bus.publish(ev(run, 1, bad)), 'VALIDATION_ERROR', 'event.type');
        await expectCode(
          bus.publish({ ...ev(run, 1), timestamp: bad }),
          'VALIDATION_ERROR',
          'event.timestamp',
        );
        await expectCode(bus.getEvents(bad), 'VALIDATION_ERROR', 'runId');
      }
      expect(await bus.getEvents(run)).toEqual([]);
      await expectCode(bus.getEvents(run, null as never), 'VALIDATION_ERROR', 'options');
      // payloads are escaped JSON: lone surrogates and NUL in keys and values round-trip exactly
      const payload = { '\uD800k': '\uDC00v', 'n\u0000': ['\u0000', { '\uDBFF': 'x\uD800' }] };
      await bus.publish(ev(run, 1, 'progress.update', payload));
      expect((await bus.getEvents(run))[0]?.payload).toEqual({ n: 1, ...payload });
    });

    it('subscribe replays events after afterSeq, then delivers live ones, and ends after a terminal event', async () => {
      const run = `run-${randomUUID()}`;
      for (let i = 1; i <= 3; i++) await bus.publish(ev(run, i));
      const sub = read(bus.subscribe(run, { afterSeq: 1 }));
      await waitUntil(() => sub.seen.length === 2, 'the stored events to be replayed');
      await bus.publish(ev(run, 4));
      await bus.publish(ev(run, 5, 'run.succeeded'));
      await bus.publish(ev(run, 6));
      expect((await sub.done).map((e) => [e.seq, e.type])).toEqual([
        [2, 'progress.update'],
        [3, 'progress.update'],
        [4, 'progress.update'],
        [5, 'run.succeeded'],
      ]);
    });

    it('delivers live events promptly to several subscribers', async () => {
      const run = `run-${randomUUID()}`;
      const subs = [
        read(bus.subscribe(run)),
        read(bus.subscribe(run)),
        read(bus.subscribe(run, { afterSeq: 2 })),
      ];
      await bus.publish(ev(run, 1));
      await waitUntil(
        () => subs[0]!.seen.length === 1 && subs[1]!.seen.length === 1,
        'both subscribers to see the first event',
      );
      const started = Date.now();
      await bus.publish(ev(run, 2));
      await bus.publish(ev(run, 3, 'run.failed'));
      const results = await Promise.all(subs.map((s) => s.done));
      expect(results.map((r) => r.map((e) => e.seq))).toEqual([[1, 2, 3], [1, 2, 3], [3]]);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('wakes a subscriber for an event stored right after its read of the log came back empty', async () => {
      const run = `run-${randomUUID()}`;
      const getEvents = bus.getEvents.bind(bus);
      let stored = false;
      bus.getEvents = async (runId, options) => {
        const found = await getEvents(runId, options);
        if (!stored && runId === run && found.length === 0) {
          stored = true;
          await bus.publish(ev(run, 1, 'run.succeeded'));
        }
        return found;
      };
      const started = Date.now();
      const sub = read(bus.subscribe(run));
      await waitUntil(() => stored, 'the subscription to read the log through getEvents');
      expect((await sub.done).map((e) => e.seq)).toEqual([1]);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('ends on abort and on break', async () => {
      const run = `run-${randomUUID()}`;
      await bus.publish(ev(run, 1));
      const controller = new AbortController();
      const aborted = read(bus.subscribe(run, { signal: controller.signal }));
      await waitUntil(() => aborted.seen.length === 1, 'the stored event to be delivered');
      controller.abort();
      expect((await aborted.done).map((e) => e.seq)).toEqual([1]);
      const seen: number[] = [];
      for await (const e of bus.subscribe(run, { untilTerminal: false })) {
        seen.push(e.seq);
        break;
      }
      expect(seen).toEqual([1]);
    });
  });
}
