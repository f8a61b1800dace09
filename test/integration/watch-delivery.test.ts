// RunHandle.events() and result() without history writes: a watched run's history is the same size
// as an unwatched one's; watching survives a worker restart; with no worker it fails typed after
// the watch deadline, or reads a finished run from the event store; live step progress comes in
// causal order, each update once. Real dev server.
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { AgentRuntimeError } from '../../src/core/errors';
import type { RunEvent } from '../../src/core/types';
import { InMemoryEventBus } from '../../src/events';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.close();
});

function llm(): MockLLMClient {
  return new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) });
}

async function collect(it: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Waits for `check` to hold, polling, up to `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function historyEvents(handle: { workflow: { fetchHistory(): Promise<unknown> } }) {
  const history = (await handle.workflow.fetchHistory()) as {
    events?: { workflowExecutionUpdateAcceptedEventAttributes?: unknown }[];
  };
  return history.events ?? [];
}

const ticker = (ticks: number, intervalMs: number) => ({
  agent: 'ticker',
  inputData: { messages: [], params: { ticks, intervalMs, callModel: true } },
});

test('a watched run has exactly as many history events as an unwatched one', async () => {
  const tq = uniqueQueue('watch');
  const worker = await createTestWorker(env, tq, llm());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    // Unwatched: only result().
    const quiet = await runner.start({ runId: `run-${randomUUID()}`, ...ticker(6, 300) });
    expect((await quiet.result()).error).toBeUndefined();
    // Watched from start to end by two followers, plus reads of what exists now meanwhile.
    const watched = await runner.start({ runId: `run-${randomUUID()}`, ...ticker(6, 300) });
    const [a, b] = await Promise.all([
      collect(watched.events()),
      collect(watched.events()),
      (async () => {
        for (let i = 0; i < 5; i++) await collect(watched.events({ follow: false }));
      })(),
    ]);
    expect((await watched.result()).error).toBeUndefined();
    expect(a.map((e) => e.type)).toEqual([
      'run.started',
      ...Array.from({ length: 6 }, () => ['assistant.message', 'tick']).flat(),
      'run.succeeded',
    ]);
    expect(b).toEqual(a);
    const quietHistory = await historyEvents(quiet);
    const watchedHistory = await historyEvents(watched);
    console.log(
      `history events: unwatched ${quietHistory.length}, watched ${watchedHistory.length}`,
    );
    expect(watchedHistory.length).toBe(quietHistory.length);
    expect(watchedHistory.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(
      false,
    );
  });
});

test('a long log comes in pages: every event once, in order, following or not', async () => {
  const tq = uniqueQueue('watch');
  const worker = await createTestWorker(env, tq, llm());
  await worker.runUntil(async () => {
    const handle = await testRunner(env, tq).start({
      runId: `run-${randomUUID()}`,
      agent: 'ticker',
      inputData: { messages: [], params: { ticks: 1200, intervalMs: 0 } },
    });
    const followed = await collect(handle.events());
    expect(followed).toHaveLength(1202);
    expect(followed.map((e) => e.seq)).toEqual(followed.map((_, i) => i + 1));
    expect(await collect(handle.events({ follow: false }))).toEqual(followed);
    expect(await collect(handle.events({ follow: false, afterSeq: 700 }))).toEqual(
      followed.slice(700),
    );
  });
});

test('events() and result() carry on across a worker restart: every event once, the terminal one last', async () => {
  const tq = uniqueQueue('watch');
  const runner = testRunner(env, tq);
  let worker: Worker = await createTestWorker(env, tq, llm());
  let running = worker.run();
  const handle = await runner.start({ runId: `run-${randomUUID()}`, ...ticker(12, 250) });
  const seen: RunEvent[] = [];
  const watching = (async () => {
    for await (const e of handle.events()) seen.push(e);
  })();
  const result = handle.result();
  await until(() => seen.filter((e) => e.type === 'tick').length >= 3, 30_000, 'three ticks');
  worker.shutdown();
  await running;
  const ticksAtStop = seen.filter((e) => e.type === 'tick').length;
  // No worker for a while: the watcher waits (a query needs a worker), it does not fail.
  await new Promise((r) => setTimeout(r, 1500));
  worker = await createTestWorker(env, tq, llm());
  running = worker.run();
  try {
    await watching;
    expect((await result).error).toBeUndefined();
  } finally {
    worker.shutdown();
    await running;
  }
  const ticks = seen.filter((e) => e.type === 'tick').map((e) => e.payload.i);
  expect(ticks).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
  expect(seen.at(-1)?.type).toBe('run.succeeded');
  expect(ticksAtStop).toBeLessThan(12);
});

test('no worker: events() fails with WORKER_UNAVAILABLE after watchTimeout, naming the task queue', async () => {
  const tq = uniqueQueue('nobody');
  const runner = testRunner(env, tq, { watchTimeout: '3s' });
  const handle = await runner.start({ runId: `run-${randomUUID()}`, ...ticker(1, 10) });
  const t0 = Date.now();
  let caught: AgentRuntimeError | undefined;
  try {
    await collect(handle.events());
  } catch (err) {
    caught = err as AgentRuntimeError;
  }
  const ms = Date.now() - t0;
  expect(caught?.code).toBe('WORKER_UNAVAILABLE');
  expect(caught?.retryable).toBe(true);
  expect(caught?.message).toContain(`Start a worker on the run's task queue "${tq}"`);
  expect(caught?.details).toMatchObject({ closed: false, lastSeq: 0, taskQueue: tq });
  expect(ms).toBeGreaterThanOrEqual(2900);
  expect(ms).toBeLessThan(15_000);
  await handle.workflow.terminate('test over');
  // Not retried: a run that does not exist.
  const missing = await runner.getHandle(`run-${randomUUID()}`);
  await expect(collect(missing.events())).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
});

test("a finished run's events: from the event store with no worker; without a store, WORKER_UNAVAILABLE", async () => {
  const tq = uniqueQueue('watch');
  const bus = new InMemoryEventBus();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus });
  const withStore = testRunner(
    env,
    tq,
    { watchTimeout: '3s' },
    { eventBus: bus, persistence: { runEvents: true } },
  );
  const runId = `run-${randomUUID()}`;
  let live: RunEvent[] = [];
  await worker.runUntil(async () => {
    const handle = await withStore.start({ runId, ...ticker(3, 10) });
    live = await collect(handle.events());
  });
  expect(live.at(-1)?.type).toBe('run.succeeded');
  // The worker is gone. The runner with the event store reads the run from it at once.
  const later = await withStore.getHandle(runId);
  const t0 = Date.now();
  expect(await collect(later.events())).toEqual(live);
  expect(await collect(later.events({ follow: false, afterSeq: 2 }))).toEqual(live.slice(2));
  expect(Date.now() - t0).toBeLessThan(2000);
  // A runner without it: Temporal needs a worker to answer the query; the error says so.
  const bare = await testRunner(env, tq, { watchTimeout: '3s' }).getHandle(runId);
  let caught: AgentRuntimeError | undefined;
  try {
    await collect(bare.events({ follow: false }));
  } catch (err) {
    caught = err as AgentRuntimeError;
  }
  expect(caught?.code).toBe('WORKER_UNAVAILABLE');
  expect(caught?.details).toMatchObject({ closed: true });
  expect(caught?.message).toContain('has ended');
  expect(caught?.message).toContain('runEvents: true');
  // result() needs no worker.
  expect((await bare.result()).finalOutput).toEqual({ ticks: 3 });
});

test('live step progress in causal order: after run.started and its step.started, each update once', async () => {
  const bus = new InMemoryEventBus();
  const tq = uniqueQueue('steps');
  const worker = await createTestWorker(env, tq, llm(), { steps, eventBus: bus });
  await worker.runUntil(async () => {
    const runner = testRunner(env, tq, {}, { eventBus: bus });
    const handle = await runner.start({
      agent: 'steps-configured',
      runId: `run-${randomUUID()}`,
      inputData: {
        messages: [],
        params: {
          steps: [
            { name: 'first', fn: 'visit' },
            { name: 'long', fn: 'longRunning' },
            { name: 'again', fn: 'longRunning' },
          ],
          initialState: { longMs: 1200 },
        },
      },
    });
    const seen = await collect(handle.events());
    expect(seen[0]?.type).toBe('run.started');
    expect(seen.at(-1)?.type).toBe('run.succeeded');
    // The durable events in order, each once; skipped: the durable copies of in-step progress
    // (the live updates of those steps were shown instead).
    const all = await collect(handle.events({ follow: false }));
    const copies = all.filter(
      (e) => e.type === 'progress.update' && typeof e.payload.stepPercent === 'number',
    );
    expect(copies.length).toBeGreaterThanOrEqual(2);
    expect(seen.filter((e) => !e.payload.transient)).toEqual(
      all.filter((e) => !copies.includes(e)),
    );

    const inStep = seen.filter(
      (e) => e.type === 'progress.update' && typeof e.payload.stepPercent === 'number',
    );
    const live = inStep.filter((e) => e.payload.transient);
    expect(live.length).toBeGreaterThanOrEqual(4);
    // Each update once: with live progress shown, the durable copies are skipped.
    expect(inStep).toEqual(live);
    const keys = inStep.map((e) =>
      JSON.stringify([e.payload.stepName, e.payload.attempt, e.payload.stepPercent]),
    );
    expect(new Set(keys).size).toBe(keys.length);
    // Never before its step's step.started (and the executor's announcement), never after its end.
    for (const p of inStep) {
      const at = seen.indexOf(p);
      const before = seen.slice(0, at);
      const started = before.findIndex(
        (e) => e.type === 'step.started' && e.payload.stepName === p.payload.stepName,
      );
      expect(started).toBeGreaterThanOrEqual(0);
      expect(
        before.some(
          (e) => e.type === 'step.completed' && e.payload.stepName === p.payload.stepName,
        ),
      ).toBe(false);
      expect(before[started + 1]).toMatchObject({
        type: 'progress.update',
        payload: { stepName: p.payload.stepName },
      });
    }
    // Both long steps reported live up to 100, in order.
    for (const name of ['long', 'again']) {
      const percents = live
        .filter((e) => e.payload.stepName === name)
        .map((e) => e.payload.stepPercent as number);
      expect([...percents].sort((x, y) => x - y)).toEqual(percents);
      expect(percents.at(-1)).toBe(100);
    }
  });
});
