// Every Redis/Postgres state store, event bus, persistence store and the Postgres payload driver
// takes a URL (`redisUrl` / `databaseUrl`) as well as a client/pool, owns what it opened from the
// URL (migrating the database on first use), and a PostgresEventBus subscription that ended gives
// its LISTEN connection back (so `pool.end()` does not wait for `bus.close()`).
import { randomUUID } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { PostgresEventBus, RedisEventBus } from '../../../src/events';
import { PostgresPayloadDriver } from '../../../src/payloads';
import {
  PostgresAuditStore,
  PostgresConversationStore,
  PostgresKnowledgeStore,
  PostgresMemoryStore,
  PostgresPreferencesStore,
  PostgresTaskStore,
  createPostgresPool,
} from '../../../src/persistence';
import { PostgresStateStore, RedisStateStore } from '../../../src/state';
import {
  describeAuditStore,
  describeConversationStore,
  describeEventBus,
  describeKnowledgeStore,
  describeMemoryStore,
  describePreferencesStore,
  describeStateStore,
  describeTaskStore,
} from '../../../src/testing';
import { PostgresTranscriptStore, RedisTranscriptStore } from '../../../src/transcripts';
import { PG_URL, createTestSchema, truncateAll, type TestSchema } from './pg-helpers';

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

// Each test's store opens its own pool from the URL (migrating on first use) and the suite's
// `store.close()` ends it. GLOBAL scope is shared, so each test starts from empty tables.
const fresh = async () => truncateAll(db.pool);
describeMemoryStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresMemoryStore({ databaseUrl: url, ...o })),
);
describePreferencesStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresPreferencesStore({ databaseUrl: url, ...o })),
);
describeConversationStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresConversationStore({ databaseUrl: url, ...o })),
);
describeTaskStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresTaskStore({ databaseUrl: url, ...o })),
);
describeKnowledgeStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresKnowledgeStore({ databaseUrl: url, ...o })),
);
describeAuditStore(
  'postgres (databaseUrl)',
  async (o) => (await fresh(), new PostgresAuditStore({ databaseUrl: url, ...o })),
);

test('a persistence store opened from a URL migrates a fresh database, owns its pool, and leaves a given pool open', async () => {
  const fresh = await createTestSchema('it_urls_fresh', false);
  try {
    const freshUrl = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${fresh.schema}`)}`;
    const tables = async () =>
      (
        await fresh.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()`,
        )
      ).rows[0]?.n;
    expect(await tables()).toBe('0');
    const conversations = new PostgresConversationStore({ databaseUrl: freshUrl });
    const tasks = new PostgresTaskStore({ databaseUrl: freshUrl });
    const saved = await conversations.save({ title: 'from a URL' });
    expect(Number(await tables())).toBeGreaterThan(0);
    expect((await conversations.get(saved.id))?.title).toBe('from a URL');
    const task = await tasks.save({ name: 't' });
    expect((await tasks.get(task.id))?.name).toBe('t');
    // Written through the URL's pool, read through another connection: the same database.
    const rows = await fresh.pool.query<{ n: string }>('SELECT count(*) AS n FROM conversations');
    expect(rows.rows[0]?.n).toBe('1');
    await conversations.close();
    await tasks.close();
    await expect(conversations.get(saved.id)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(tasks.get(task.id)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    // A store given a pool does not end it on close().
    const given = new PostgresMemoryStore({ pool: fresh.pool });
    await given.set('k', 1);
    await given.close();
    expect(await new PostgresMemoryStore({ pool: fresh.pool }).get('k')).toBe(1);
  } finally {
    await fresh.drop();
  }
});

test('a PostgresPayloadDriver opened from a URL stores and retrieves payloads, and close() ends its pool', async () => {
  const writer = new PostgresPayloadDriver({ databaseUrl: url });
  const reader = new PostgresPayloadDriver({ databaseUrl: url });
  const data = new TextEncoder().encode(`"${randomUUID()}"`);
  const payload: Payload = {
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data,
  };
  const claims = await writer.store({}, [payload]);
  const [back] = await reader.retrieve({}, claims);
  expect(Buffer.from(back?.data as Uint8Array)).toEqual(Buffer.from(data));
  await writer.close();
  await reader.close();
  await expect(reader.retrieve({}, claims)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  // A driver given a pool leaves it open.
  const onPool = new PostgresPayloadDriver({ pool: db.pool });
  await onPool.close();
  expect((await onPool.retrieve({}, claims))[0]?.data).toEqual(back?.data);
});

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
  expect(code(() => new PostgresConversationStore({}))).toBe('CONFIG_MISSING');
  expect(code(() => new PostgresTaskStore({ pool: db.pool, databaseUrl: url }))).toBe(
    'CONFIG_INVALID',
  );
  expect(code(() => new PostgresMemoryStore({ databaseUrl: '' }))).toBe('CONFIG_MISSING');
  expect(code(() => new PostgresPayloadDriver({}))).toBe('CONFIG_MISSING');
  expect(code(() => new PostgresPayloadDriver({ pool: db.pool, databaseUrl: url }))).toBe(
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
