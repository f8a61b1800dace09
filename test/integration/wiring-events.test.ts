// Runs publish their events to the event store (Postgres, Redis) and their status to the state
// store; another process reads the same log after the run. Real dev server, Postgres, Redis.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Redis } from 'ioredis';
import { AgentRunner } from '../../src/client/runner';
import type { RunEvent } from '../../src/core/types';
import { PostgresEventBus, RedisEventBus, readRunEvents } from '../../src/events';
import { PostgresStateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import type { RunPersistenceOptions } from '../../src/core/run-contract';
import type { Duration } from '../../src/core/durations';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, PG_URL, type TestSchema } from './persistence/pg-helpers';

const READER = join(__dirname, '../fixtures/wiring-read-events.ts');

let env: TestEnv;
let db: TestSchema;
let bus: PostgresEventBus;
let stateStore: PostgresStateStore;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_events');
  bus = new PostgresEventBus({ pool: db.pool });
  stateStore = new PostgresStateStore({ pool: db.pool });
});
afterAll(async () => {
  await bus?.close();
  await db?.drop();
  await env?.close();
});

function runner(
  tq: string,
  persistence?: RunPersistenceOptions,
  runTimeout?: Duration,
): AgentRunner {
  return new AgentRunner({
    client: env.client,
    config: { taskQueue: tq, ...(runTimeout !== undefined ? { runTimeout } : {}) },
    ...(persistence ? { persistence } : {}),
  });
}

/** Reads the run's events in another Node process, through its own pool. */
function readInOtherProcess(runId: string): RunEvent[] {
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', READER, PG_URL, db.schema, runId],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as RunEvent[];
}

/** Activity types scheduled by the run, in order. */
async function scheduledActivities(workflow: WorkflowHandle): Promise<string[]> {
  const history = await workflow.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => typeof n === 'string');
}

/** A model that answers every call. */
function llm(): MockLLMClient {
  return new MockLLMClient({
    respond: (msgs) => ({ role: 'assistant', content: `reply to ${msgs.length} messages` }),
  });
}

async function collect(it: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('a succeeded run: another process reads the same events from Postgres after the run, terminal included', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  let seen: RunEvent[] = [];
  let activities: string[] = [];
  await worker.runUntil(async () => {
    const handle = await runner(tq, { runEvents: true }).start({
      agent: 'multi-turn',
      runId,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 3 } },
    });
    seen = await collect(handle.events());
    expect((await handle.result()).error).toBeUndefined();
    activities = await scheduledActivities(handle.workflow);
  });
  // The worker is gone: the event store is the only reader left.
  const stored = readInOtherProcess(runId);
  expect(seen.at(-1)?.type).toBe('run.succeeded');
  expect(stored).toEqual(seen);
  expect(stored.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
  // A background flush starts at each model call (without holding it up, so it may overlap
  // the next call, and a flush still queued covers the calls after it), then the final one: at
  // most one batch per turn plus run.started and the terminal event.
  expect(activities[0]).toBe('publishRunEvents');
  expect(activities[1]).toBe('invokeModel');
  expect(activities.at(-1)).toBe('publishRunEvents');
  expect(activities.filter((a) => a === 'invokeModel')).toHaveLength(3);
  const flushes = activities.filter((a) => a === 'publishRunEvents').length;
  expect(flushes).toBeGreaterThanOrEqual(2);
  expect(flushes).toBeLessThanOrEqual(5);
  const status = await stateStore.getRunStatus(runId);
  expect(status?.status).toBe('succeeded');
  expect(status?.details).toMatchObject({ agentKey: 'multi-turn', lastSeq: seen.length });
});

test('a failed run: its events, run.failed last, are in the event store, and its status is failed', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  let seen: RunEvent[] = [];
  await worker.runUntil(async () => {
    const handle = await runner(tq, { runEvents: true }).start({
      agent: 'wiring-audit',
      runId,
      inputData: { messages: [{ role: 'user', content: 'go' }], params: { fail: true } },
    });
    const result = await handle.result();
    expect(result.error?.message).toBe('audit agent gave up');
    seen = await collect(handle.events({ follow: false }));
  });
  const stored = readInOtherProcess(runId);
  expect(stored.at(-1)?.type).toBe('run.failed');
  expect(stored).toEqual(seen);
  expect(stored.at(-1)?.payload).toMatchObject({ error: { message: 'audit agent gave up' } });
  const status = await stateStore.getRunStatus(runId);
  expect(status?.status).toBe('failed');
  expect(status?.details).toMatchObject({ error: { message: 'audit agent gave up' } });
});

test('a cancelled run: the events before the cancel and run.cancelled are in the event store', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  let seen: RunEvent[] = [];
  await worker.runUntil(async () => {
    const handle = await runner(tq, { runEvents: true }).start({
      agent: 'wiring-sleepy',
      runId,
      inputData: { messages: [{ role: 'user', content: 'wait' }], params: { seconds: 120 } },
    });
    // Published mid-run, before the model call: another reader sees the run start live.
    const live = bus.subscribe(runId)[Symbol.asyncIterator]();
    const first = (await live.next()) as IteratorResult<RunEvent, undefined>;
    expect(first.value?.type).toBe('run.started');
    await live.return?.();
    for await (const e of handle.events()) {
      if (e.type === 'progress.update') break;
    }
    await handle.cancel();
    expect((await handle.result()).error?.type).toBe('RUN_CANCELLED');
    seen = await collect(handle.events({ follow: false }));
  });
  const stored = readInOtherProcess(runId);
  expect(stored.map((e) => e.type)).toEqual([
    'run.started',
    'assistant.message',
    'progress.update',
    'run.cancelled',
  ]);
  expect(stored).toEqual(seen);
  expect((await stateStore.getRunStatus(runId))?.status).toBe('cancelled');
});

test('a timed-out run: run.timed_out is in the event store', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq, { runEvents: true }, '2s').start({
      agent: 'wiring-sleepy',
      runId,
      inputData: { messages: [{ role: 'user', content: 'wait' }], params: { seconds: 120 } },
    });
    expect((await handle.result()).error?.type).toBe('RUN_TIMED_OUT');
  });
  const stored = await readRunEvents(bus, runId);
  expect(stored.map((e) => e.type)).toEqual([
    'run.started',
    'assistant.message',
    'progress.update',
    'run.timed_out',
  ]);
  expect((await stateStore.getRunStatus(runId))?.status).toBe('timed_out');
});

test('the Redis event bus receives a run the same way', async () => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: false });
  const redisBus = new RedisEventBus({ client: redis, keyPrefix: `wiring:${randomUUID()}:` });
  try {
    const tq = uniqueQueue();
    const worker = await createTestWorker(env, tq, llm(), { eventBus: redisBus });
    const runId = `run-${randomUUID()}`;
    let seen: RunEvent[] = [];
    await worker.runUntil(async () => {
      const handle = await runner(tq, { runEvents: true }).start({
        agent: 'multi-turn',
        runId,
        inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
      });
      await handle.result();
      seen = await collect(handle.events({ follow: false }));
    });
    expect(await readRunEvents(redisBus, runId)).toEqual(seen);
    expect(seen.at(-1)?.type).toBe('run.succeeded');
  } finally {
    await redisBus.close();
    redis.disconnect();
  }
});

test('a run with no stores configured schedules none of the persistence activities', async () => {
  const tq = uniqueQueue();
  // Neither the worker nor the runner has stores.
  const worker = await createTestWorker(env, tq, llm());
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'multi-turn',
      runId,
      inputData: {
        messages: [{ role: 'user', content: 'hi' }],
        params: { turns: 2 },
        conversationId: randomUUID(),
      },
    });
    expect((await handle.result()).error).toBeUndefined();
    expect(await scheduledActivities(handle.workflow)).toEqual(['invokeModel', 'invokeModel']);
    const history = await handle.workflow.fetchHistory();
    // No persistence patch marker either (the markers are those of model calls by reference and
    // of the cost search attributes written at the end).
    const markers = (history.events ?? []).flatMap((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
    });
    expect(markers).toEqual([
      'agent-runtime.transcript-by-reference',
      'agent-runtime.cost-search-attributes',
    ]);
  });
  expect(await readRunEvents(bus, runId)).toEqual([]);
});

test('a worker without an event bus: the run still succeeds, publishing stops after CONFIG_MISSING', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm());
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq, { runEvents: true }).start({
      agent: 'multi-turn',
      runId,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
    });
    expect((await handle.result()).error).toBeUndefined();
    // The first flush failed for good (non-retryable), so no other was scheduled.
    expect(await scheduledActivities(handle.workflow)).toEqual([
      'publishRunEvents',
      'invokeModel',
      'invokeModel',
    ]);
    const history = JSON.stringify(await handle.workflow.fetchHistory());
    expect(history).toContain('CONFIG_MISSING');
  });
});

test('a run id started again: the stored log keeps the first execution and continues with the second', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  const logs: RunEvent[][] = [];
  await worker.runUntil(async () => {
    for (let i = 0; i < 2; i++) {
      const handle = await runner(tq, { runEvents: true }).start({
        agent: 'multi-turn',
        runId,
        inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 1 } },
      });
      expect((await handle.result()).error).toBeUndefined();
      logs.push(await collect(handle.events({ follow: false })));
    }
  });
  expect(logs[1]).not.toEqual(logs[0]);
  const n1 = logs[0]!.length;
  // Not mixed, not dropped: the first execution's log, then the second's, numbered after it.
  expect(await readRunEvents(bus, runId)).toEqual([
    ...logs[0]!,
    ...logs[1]!.map((e) => ({ ...e, seq: e.seq + n1 })),
  ]);
  expect((await stateStore.getRunStatus(runId))?.details).toMatchObject({
    lastSeq: n1 + logs[1]!.length,
  });
});

test('RunHandle.storedEvents() reads the event store through the runner; without a bus it says so', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { eventBus: bus });
  const runId = `run-${randomUUID()}`;
  const withBus = new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { runEvents: true },
    eventBus: bus,
  });
  let seen: RunEvent[] = [];
  await worker.runUntil(async () => {
    const handle = await withBus.start({
      agent: 'multi-turn',
      runId,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 1 } },
    });
    await handle.result();
    seen = await collect(handle.events({ follow: false }));
  });
  // A handle made later, with no worker running.
  const later = await withBus.getHandle(runId);
  expect(await later.storedEvents()).toEqual(seen);
  expect(await later.storedEvents({ afterSeq: 2 })).toEqual(seen.slice(2));
  await expect((await runner(tq).getHandle(runId)).storedEvents()).rejects.toMatchObject({
    code: 'CONFIG_MISSING',
  });
});
