// Redis failures surface as typed STORAGE_ERRORs from the Redis event bus and state store.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AgentRuntimeError } from '../../src/core/errors';
import { RedisEventBus } from '../../src/events';
import { RedisStateStore } from '../../src/state';

const prefix = `wiring-redis-err:${randomUUID()}:`;
let good: Redis;

beforeAll(() => {
  good = new Redis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  const keys = await good.keys(`${prefix}*`);
  if (keys.length > 0) await good.del(...keys);
  good.disconnect();
});

async function failure(p: Promise<unknown>): Promise<AgentRuntimeError> {
  try {
    await p;
  } catch (err) {
    if (AgentRuntimeError.is(err)) return err;
    throw new Error(`expected an AgentRuntimeError, got ${String(err)}`);
  }
  throw new Error('expected a failure');
}

const event = (runId: string, seq: number) => ({
  seq,
  runId,
  type: 'run.started',
  payload: {},
  timestamp: new Date().toISOString(),
});

test('an unreachable server: every call is a retryable STORAGE_ERROR, and nothing crashes', async () => {
  // Nothing listens on port 1; no reconnecting, no offline queue: calls fail at once.
  const down = new Redis({
    host: '127.0.0.1',
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  down.on('error', () => undefined);
  const bus = new RedisEventBus({ client: down, keyPrefix: prefix });
  const state = new RedisStateStore({ client: down, keyPrefix: prefix });
  try {
    for (const p of [
      bus.publish(event('r1', 1)),
      bus.getEvents('r1'),
      state.updateRunStatus('r1', 'running'),
      state.getRunStatus('r1'),
      state.saveCheckpoint('r1', { step: 1 }),
      state.getCheckpoint('r1'),
    ]) {
      const err = await failure(p);
      expect(err.code).toBe('STORAGE_ERROR');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/^Redis failed: /);
      expect(err.details).toMatchObject({ backend: 'redis' });
    }
  } finally {
    down.disconnect();
  }
});

test('an error reply (a key of the wrong type) is a non-retryable STORAGE_ERROR', async () => {
  const bus = new RedisEventBus({ client: good, keyPrefix: prefix });
  const state = new RedisStateStore({ client: good, keyPrefix: prefix });
  await good.set(`${prefix}events:wrong`, 'not a stream');
  await good.lpush(`${prefix}status:wrong`, 'not a string');
  for (const p of [
    bus.publish(event('wrong', 1)),
    bus.getEvents('wrong'),
    state.getRunStatus('wrong'),
  ]) {
    const err = await failure(p);
    expect(err.code).toBe('STORAGE_ERROR');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('WRONGTYPE');
    expect(err.details).toMatchObject({ backend: 'redis', redisError: 'ReplyError' });
  }
  // The same client goes on working.
  await bus.publish(event('right', 1));
  expect((await bus.getEvents('right')).map((e) => e.seq)).toEqual([1]);
});
