// StateStore, EventBus and TranscriptStore conformance against the machine's Redis and Postgres
// (the Postgres transcript store runs in stores.test.ts, with PGlite).
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { PostgresEventBus, RedisEventBus } from '../../../src/events';
import { PostgresStateStore, RedisStateStore } from '../../../src/state';
import {
  describeEventBus,
  describeStateStore,
  describeTranscriptStore,
} from '../../../src/testing';
import { PostgresTranscriptStore, RedisTranscriptStore } from '../../../src/transcripts';
import type { TestSchema } from './pg-helpers';
import { createTestSchema } from './pg-helpers';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test:${randomUUID()}:`;
let db: TestSchema;
let redis: Redis;

beforeAll(async () => {
  db = await createTestSchema('it_state');
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  // Remove every key this file created.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  await db.drop();
});

describeStateStore('postgres', async () => new PostgresStateStore({ pool: db.pool }));
describeStateStore('redis', async () => new RedisStateStore({ client: redis, keyPrefix: prefix }));
describeEventBus(
  'postgres',
  async () => new PostgresEventBus({ pool: db.pool, pollIntervalMs: 60_000 }),
);
describeEventBus(
  'postgres (polling only)',
  async () => new PostgresEventBus({ pool: db.pool, listen: false, pollIntervalMs: 50 }),
);
describeEventBus(
  'redis',
  async () => new RedisEventBus({ client: redis, keyPrefix: prefix, blockMs: 60_000 }),
);
describeTranscriptStore(
  'redis',
  async () => new RedisTranscriptStore({ client: redis, keyPrefix: prefix }),
);

const entry = (content: string, i: number) => ({
  message: { role: 'user' as const, content },
  hash: `h${i}`,
  previousHash: i === 0 ? '' : `h${i - 1}`,
});

test('RedisTranscriptStore: keys expire, and every append renews the constants with the messages', async () => {
  const store = new RedisTranscriptStore({ client: redis, keyPrefix: prefix, ttlSeconds: 600 });
  const id = `t-${randomUUID()}`;
  await store.putConstant(id, 'o1', { model: 'm' });
  await redis.expire(`${prefix}transcript-constants:${id}`, 5);
  await store.append(id, 0, [entry('a', 0)]);
  expect(await redis.ttl(`${prefix}transcript-constants:${id}`)).toBeGreaterThan(500);
  expect(await redis.ttl(`${prefix}transcript:${id}`)).toBeGreaterThan(500);
});

test('PostgresTranscriptStore.prune deletes what was last written before the date', async () => {
  const store = new PostgresTranscriptStore({ pool: db.pool });
  const id = `t-${randomUUID()}`;
  await store.append(id, 0, [entry('a', 0), entry('b', 1)]);
  await store.putConstant(id, 'o1', { model: 'm' });
  expect(await store.prune(new Date(Date.now() - 60_000))).toBe(0);
  expect(await store.read(id, 2)).toHaveLength(2);
  expect(await store.prune(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(3);
  expect(await store.read(id, 1)).toBeNull();
  expect(await store.getConstant(id, 'o1')).toBeNull();
});
