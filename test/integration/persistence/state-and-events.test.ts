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
import { RedisTranscriptStore } from '../../../src/transcripts';
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
