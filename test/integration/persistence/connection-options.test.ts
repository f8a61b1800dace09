// Every Redis/Postgres state store and event bus takes a URL (`redisUrl` / `databaseUrl`) as well as
// a client/pool, owns what it opened from the URL, and a PostgresEventBus subscription that ended
// gives its LISTEN connection back (so `pool.end()` does not wait for `bus.close()`).
import { randomUUID } from 'node:crypto';
import { PostgresEventBus, RedisEventBus } from '../../../src/events';
import { createPostgresPool } from '../../../src/persistence';
import { PostgresStateStore, RedisStateStore } from '../../../src/state';
import { describeEventBus, describeStateStore } from '../../../src/testing';
import { PostgresTranscriptStore, RedisTranscriptStore } from '../../../src/transcripts';
import { PG_URL, createTestSchema, type TestSchema } from './pg-helpers';

const REDIS_URL = 'redis://127.0.0.1:6379';
const keyPrefix = `test:${randomUUID()}:`;
let db: TestSchema;
let url: string;

beforeAll(async () => {
  db = await createTestSchema('it_urls', false);
  url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`;
});
afterAll(async () => db.drop());

describeStateStore(
  'postgres (databaseUrl)',
  async () => new PostgresStateStore({ databaseUrl: url }),
);
describeStateStore(
  'redis (redisUrl)',
  async () => new RedisStateStore({ redisUrl: REDIS_URL, keyPrefix }),
);
describeEventBus(
  'redis (redisUrl)',
  async () => new RedisEventBus({ redisUrl: REDIS_URL, keyPrefix }),
);
describeEventBus('postgres (databaseUrl)', async () => new PostgresEventBus({ databaseUrl: url }));

test('a store opened from a URL migrates its database and releases it on close()', async () => {
  const store = new PostgresTranscriptStore({ databaseUrl: url });
  await store.append('t-url', 0, [
    { message: { role: 'user', content: 'hi' }, hash: 'h0', previousHash: '' },
  ]);
  expect(await store.read('t-url', 1)).toHaveLength(1);
  await store.close();
  await expect(store.read('t-url', 1)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  const redis = new RedisTranscriptStore({ redisUrl: REDIS_URL, keyPrefix });
  await redis.putConstant('t-url', 'o', { model: 'm' });
  expect(await redis.getConstant('t-url', 'o')).toEqual({ model: 'm' });
  await redis.close();
});

test('both or neither of pool/databaseUrl, client/redisUrl are typed errors', () => {
  const code = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: unknown }).code;
    }
    return 'no error';
  };
  expect(code(() => new PostgresStateStore({}))).toBe('CONFIG_MISSING');
  expect(code(() => new PostgresEventBus({ pool: db.pool, databaseUrl: url }))).toBe(
    'CONFIG_INVALID',
  );
  expect(code(() => new RedisStateStore({}))).toBe('CONFIG_MISSING');
  expect(code(() => new RedisEventBus({ client: {} as never, redisUrl: REDIS_URL }))).toBe(
    'CONFIG_INVALID',
  );
});

test('a PostgresEventBus subscription that ended gives its LISTEN connection back', async () => {
  const pool = createPostgresPool({
    connectionString: PG_URL,
    options: `-c search_path=${db.schema}`,
    max: 4,
  });
  const bus = new PostgresEventBus({ pool, pollIntervalMs: 60_000 });
  const runId = `run-${randomUUID()}`;
  await bus.publish({
    runId,
    seq: 1,
    type: 'run.started',
    payload: {},
    timestamp: new Date().toISOString(),
  });
  for await (const e of bus.subscribe(runId)) {
    expect(e.seq).toBe(1);
    expect(pool.totalCount - pool.idleCount).toBe(1); // the LISTEN connection, held while following
    break;
  }
  expect(pool.totalCount - pool.idleCount).toBe(0);
  // Without bus.close(): pool.end() returns at once instead of waiting for the LISTEN connection.
  const ended = await Promise.race([
    pool.end().then(() => 'ended'),
    new Promise((r) => setTimeout(() => r('hung'), 5000)),
  ]);
  expect(ended).toBe('ended');
  await bus.close();
});
