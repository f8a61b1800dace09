// Conformance suites for StateStore and EventBus: memory, Postgres and Redis run the same tests.
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../src/core/types';
import type { EventBus } from '../../src/events';
import type { StateStore } from '../../src/state';
import { HOSTILE_TEXTS, expectCode } from '../../src/testing/conformance/helpers';

/** Builds a fresh instance for one test. */
export type Factory<T> = () => Promise<T>;

/** The StateStore contract. */
export function describeStateStore(name: string, factory: Factory<StateStore>): void {
  describe(`StateStore conformance: ${name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => store.close());

    it('keeps the latest checkpoint per run, as a copy', async () => {
      const run = `run-${randomUUID()}`;
      expect(await store.getCheckpoint(run)).toBeNull();
      const state = { step: 1, items: ['a'] };
      await store.saveCheckpoint(run, state);
      state.items.push('mutated');
      await store.saveCheckpoint(`${run}-other`, { other: true });
      expect(await store.getCheckpoint(run)).toEqual({ step: 1, items: ['a'] });
      await store.saveCheckpoint(run, {
        step: 2,
        text: HOSTILE_TEXTS.nul!,
        odd: HOSTILE_TEXTS.loneHigh!,
      });
      expect(await store.getCheckpoint(run)).toEqual({
        step: 2,
        text: HOSTILE_TEXTS.nul,
        odd: HOSTILE_TEXTS.loneHigh,
      });
    });

    it('records run statuses with details', async () => {
      const run = `run-${randomUUID()}`;
      expect(await store.getRunStatus(run)).toBeNull();
      await store.updateRunStatus(run, 'running');
      expect(await store.getRunStatus(run)).toMatchObject({
        runId: run,
        status: 'running',
        details: {},
      });
      await store.updateRunStatus(run, 'failed', { error: 'boom' });
      const s = await store.getRunStatus(run);
      expect(s).toMatchObject({ status: 'failed', details: { error: 'boom' } });
      expect(s?.updatedAt).toBeInstanceOf(Date);
    });

    it('rejects bad input with typed errors', async () => {
      await expectCode(store.saveCheckpoint('a\u0000b', {}), 'VALIDATION_ERROR', 'runId');
      await expectCode(store.saveCheckpoint('r', { x: Number.NaN }), 'VALIDATION_ERROR');
      await expectCode(
        store.updateRunStatus('r', 'exploded' as never),
        'VALIDATION_ERROR',
        'status',
      );
      await expectCode(store.getCheckpoint(''), 'VALIDATION_ERROR', 'runId');
    });
  });
}

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

/** Collects a subscription until it ends, failing after `ms`. */
async function collect(iter: AsyncIterable<RunEvent>, ms = 10_000): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`subscription did not end within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([
      (async () => {
        for await (const e of iter) out.push(e);
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** The EventBus contract. */
export function describeEventBus(name: string, factory: Factory<EventBus>): void {
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
      // Each event is published by several racing "attempts"; out-of-order ones retry.
      const publishWithRetry = async (seq: number) => {
        for (;;) {
          try {
            await bus.publish(ev(run, seq));
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      };
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

    it('subscribe replays events after afterSeq, then delivers live ones, and ends after a terminal event', async () => {
      const run = `run-${randomUUID()}`;
      for (let i = 1; i <= 3; i++) await bus.publish(ev(run, i));
      const received = collect(bus.subscribe(run, { afterSeq: 1 }));
      await new Promise((r) => setTimeout(r, 50));
      await bus.publish(ev(run, 4));
      await bus.publish(ev(run, 5, 'run.succeeded'));
      await bus.publish(ev(run, 6));
      expect((await received).map((e) => [e.seq, e.type])).toEqual([
        [2, 'progress.update'],
        [3, 'progress.update'],
        [4, 'progress.update'],
        [5, 'run.succeeded'],
      ]);
    });

    it('delivers live events promptly to several subscribers', async () => {
      const run = `run-${randomUUID()}`;
      const subs = [
        collect(bus.subscribe(run)),
        collect(bus.subscribe(run)),
        collect(bus.subscribe(run, { afterSeq: 2 })),
      ];
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      for (let i = 1; i <= 3; i++)
        await bus.publish(ev(run, i, i === 3 ? 'run.failed' : 'progress.update'));
      const results = await Promise.all(subs);
      expect(results.map((r) => r.map((e) => e.seq))).toEqual([[1, 2, 3], [1, 2, 3], [3]]);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('ends on abort and on break', async () => {
      const run = `run-${randomUUID()}`;
      await bus.publish(ev(run, 1));
      const controller = new AbortController();
      const aborted = collect(bus.subscribe(run, { signal: controller.signal }));
      await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      expect((await aborted).map((e) => e.seq)).toEqual([1]);
      const seen: number[] = [];
      for await (const e of bus.subscribe(run, { untilTerminal: false })) {
        seen.push(e.seq);
        break;
      }
      expect(seen).toEqual([1]);
    });
  });
}
