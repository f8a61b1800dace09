// ctx.checkpoint / ctx.getState through the worker's state store (Postgres, Redis, none).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { PostgresStateStore, RedisStateStore, type StateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let pg: TestSchema;
let redis: Redis;
beforeAll(async () => {
  env = await connectTestEnv();
  pg = await createTestSchema('checkpoint_store');
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await pg?.drop();
  redis?.disconnect();
  await env?.close();
});

async function probeTwice(stateStore: StateStore | undefined) {
  const tq = uniqueQueue('checkpoint');
  const worker = await createTestWorker(
    env,
    tq,
    new MockLLMClient(),
    stateStore ? { stateStore } : {},
  );
  return worker.runUntil(async () => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `cp-${randomUUID()}`;
    const opts = { agent: 'checkpoint-probe', runId, inputData: { messages: [] } };
    const first = await runner.execute(opts);
    const secondHandle = await runner.start(opts);
    const second = await secondHandle.result();
    const history = await secondHandle.workflow.fetchHistory();
    const activities = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    return { runId, first, second, activities };
  });
}

test('with a Postgres state store: a new run with the same run id reads the state the last one saved', async () => {
  const store = new PostgresStateStore({ pool: pg.pool });
  const { runId, first, second, activities } = await probeTwice(store);
  expect(first.error).toBeUndefined();
  expect(first.finalOutput).toEqual({ before: null, after: { count: 1 } });
  expect(second.finalOutput).toEqual({ before: { count: 1 }, after: { count: 2 } });
  expect(await store.getCheckpoint(runId)).toEqual({ count: 2 });
  expect(activities).toEqual(['loadRunCheckpoint', 'saveRunCheckpoint']);
});

test('with a Redis state store: the same', async () => {
  const store = new RedisStateStore({ client: redis, keyPrefix: `cp-test-${randomUUID()}:` });
  const { runId, second } = await probeTwice(store);
  expect(second.finalOutput).toEqual({ before: { count: 1 }, after: { count: 2 } });
  expect(await store.getCheckpoint(runId)).toEqual({ count: 2 });
});

test('without a state store: a run that asked for checkpoints fails with CONFIG_MISSING, not silently', async () => {
  const { first, second, activities } = await probeTwice(undefined);
  for (const r of [first, second]) {
    expect(r.error?.type).toBe('CONFIG_MISSING');
    expect(r.error?.message).toContain('stateStore');
    expect(r.finalOutput).toEqual({});
  }
  // Not retried: one attempt of the first checkpoint activity, then the run failed.
  expect(activities).toEqual(['loadRunCheckpoint']);
});
