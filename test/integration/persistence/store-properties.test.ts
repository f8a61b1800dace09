// Property-based tests (fast-check) over every public method of every store, on memory, Postgres
// and PGlite at once (and Redis for the state store, event bus and transcript store): each
// generated call (valid arguments mixed with hostile ones: wrong types, NUL and lone surrogates,
// 10k-deep values, out-of-range dates, null filters) runs on every backend, then a read of the
// store's state runs too. Properties: every failure is a typed `AgentRuntimeError` other than
// `STORAGE_ERROR` (nothing here is a storage fault); the backends give the same outcome (same
// error code, or the same result once server-set times and generated ids are masked); and they
// hold the same state afterwards, so a failed call wrote nothing anywhere (the memory stores copy
// on write). Before each method's inputs, every backend gets the same seed records, and each
// method's generator is biased towards valid calls on them, so every method round-trips: the run
// fails if a method never succeeded. CI-sized: FC_RUNS (default 25) inputs per method;
// FC_RUNS=1000 for a long run. Prints ok/typed-error counts per method and per store.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { AgentRuntimeError } from '../../../src/core/errors';
import { InMemoryEventBus, PostgresEventBus, RedisEventBus } from '../../../src/events';
import {
  InMemoryAuditStore,
  InMemoryConversationStore,
  InMemoryKnowledgeStore,
  InMemoryMemoryStore,
  InMemoryPreferencesStore,
  InMemoryTaskStore,
  PostgresAuditStore,
  PostgresConversationStore,
  PostgresKnowledgeStore,
  PostgresMemoryStore,
  PostgresPreferencesStore,
  PostgresTaskStore,
} from '../../../src/persistence';
import { InMemoryStateStore, PostgresStateStore, RedisStateStore } from '../../../src/state';
import {
  InMemoryTranscriptStore,
  PostgresTranscriptStore,
  RedisTranscriptStore,
} from '../../../src/transcripts';
import { createTestPglite, createTestSchema } from './pg-helpers';

const RUNS = Number(process.env.FC_RUNS ?? 25);
/** Fixed by default, so the CI run is reproducible; FC_SEED=random (or a number) to explore. */
const SEED =
  process.env.FC_SEED === 'random' ? Date.now() | 0 : Number(process.env.FC_SEED ?? 20261129);
const SQL_ENGINES = ['memory', 'postgres', 'pglite'] as const;
const ALL_ENGINES = [...SQL_ENGINES, 'redis'] as const;
type Engine = (typeof ALL_ENGINES)[number];
/** A method must round-trip at least once in a run of this many inputs (the default run). */
const MIN_RUNS_FOR_OK = 10;

// ---------------------------------------------------------------- generated arguments

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
const DEEP = deep(10_000);

/** A few fixed ids, so generated calls meet each other's records. */
const IDS = [
  '00000000-0000-4000-8000-000000000001',
  '00000000-0000-4000-8000-000000000002',
  '00000000-0000-4000-8000-000000000003',
  '00000000-0000-4000-8000-000000000004',
];
const KEYS = ['a', 'b', 'a/b', 'a%_\\', 'ü'];
/** Ids of the seed messages of the seed conversations. */
const MSG_IDS = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
/** Strings a backend did not choose itself (not masked when comparing). */
const FIXED = [...IDS, ...MSG_IDS];

/** Values a store must refuse or handle the same way everywhere. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    0,
    -1,
    1.5,
    Number.NaN,
    true,
    '',
    'a\u0000b',
    'x\uD800y',
    '\uDC00',
    'x'.repeat(5000),
    DEEP,
    [],
    {},
    [[['x']]],
    { a: { b: 1 } },
    new Date('+010000-01-01T00:00:00Z'),
    new Date(Number.NaN),
    new Date('0001-01-01T00:00:00Z'),
  ),
  fc.anything({ maxDepth: 2 }),
);

const id = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom(...IDS) },
  { weight: 1, arbitrary: hostile },
);
const key = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: hostile },
);
const text = fc.oneof(
  { weight: 14, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
  { weight: 1, arbitrary: hostile },
);
const json = fc.oneof(
  { weight: 14, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: hostile },
);
const jsonObject = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  },
  { weight: 1, arbitrary: hostile },
);
const date = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.date({
      min: new Date('2000-01-01'),
      max: new Date('2100-01-01'),
      noInvalidDate: true,
    }),
  },
  { weight: 1, arbitrary: hostile },
);
const count = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: hostile },
);
const bool = fc.oneof({ weight: 12, arbitrary: fc.boolean() }, { weight: 1, arbitrary: hostile });
/** An optional field: absent, or generated. */
function opt<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(a, { nil: undefined });
}
/** An options object, sometimes replaced by a hostile value. */
function options(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record(shape, { requiredKeys: [] }) },
    { weight: 1, arbitrary: hostile },
  );
}
function record(
  shape: Record<string, fc.Arbitrary<unknown>>,
  required: string[],
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.record(shape, { requiredKeys: required }) },
    { weight: 1, arbitrary: hostile },
  );
}
const messageFields = {
  id,
  role: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('system', 'user', 'assistant', 'tool') },
    { weight: 1, arbitrary: hostile },
  ),
  content: fc.oneof(text, fc.constant(null)),
  timestamp: date,
  metadata: jsonObject,
};
/** A message; now and then one that starts or continues a branch. */
const message = fc.oneof(
  { weight: 8, arbitrary: record(messageFields, ['id', 'role']) },
  {
    weight: 1,
    arbitrary: record({ ...messageFields, branchId: id, parentMessageId: id }, ['id', 'role']),
  },
);

/** Mostly `valid` (a call that should succeed on the seeded state), sometimes `anything`. */
function biased(
  valid: fc.Arbitrary<unknown[]>,
  anything: fc.Arbitrary<unknown[]>,
): fc.Arbitrary<unknown[]> {
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: anything });
}
const freshId = fc.uuid({ version: 4 });
/** A 3-vector every backend accepts (no subnormal components, which are refused). */
const goodVector = fc.array(
  fc.integer({ min: -100, max: 100 }).map((x) => x / 100),
  { minLength: 3, maxLength: 3 },
);
/** A metric tag name or value: mostly plain, some with NUL or lone surrogates, some random. */
const tagText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('model', 'k', 'a') },
  { weight: 1, arbitrary: fc.constantFrom('', 'a\u0000', 'x\uD800', '\uDC00') },
  { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'binary' }) },
);
const seeded = fc.constantFrom(IDS[0]!, IDS[1]!);
const goodText = fc.string({ maxLength: 20, unit: 'grapheme' });
const goodDate = fc.date({
  min: new Date('2000-01-01'),
  max: new Date('2100-01-01'),
  noInvalidDate: true,
});
const goodMessage = fc.record(
  {
    id: freshId,
    role: fc.constantFrom('system', 'user', 'assistant'),
    content: fc.oneof(goodText, fc.constant(null)),
    timestamp: goodDate,
    metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 2,
    }),
  },
  { requiredKeys: ['id', 'role'] },
);

// ---------------------------------------------------------------- stores under test

type AnyStore = Record<string, (...args: unknown[]) => Promise<unknown>>;
/** What a backend is built on: a database pool, or a Redis client and a key prefix. */
interface Backend {
  pool?: Pool;
  redis?: Redis;
  prefix: string;
}
interface Spec {
  name: string;
  /** The backends compared (memory first). @default memory, postgres, pglite */
  engines?: readonly Engine[];
  make: (engine: Engine, b: Backend) => AnyStore;
  /** Writes the same records to every backend before each method's inputs (errors ignored). */
  seed?: (s: AnyStore) => Promise<void>;
  methods: Record<string, fc.Arbitrary<unknown[]>>;
  /** Reads the whole state the generated calls can touch (compared across backends). */
  probe: (s: AnyStore) => Promise<unknown>;
}

const args = (...a: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown[]> => fc.tuple(...a);
const pgOpts = (b: Backend) => ({ pool: b.pool! });
const probeEach = async (s: AnyStore, method: string, extra: unknown[] = []) =>
  Promise.all(IDS.map((i) => s[method]!(i, ...extra).catch((e: unknown) => errCode(e))));

const SPECS: Spec[] = [
  {
    name: 'ConversationStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryConversationStore()
        : new PostgresConversationStore(pgOpts(b))) as unknown as AnyStore,
    seed: async (s) => {
      await s.save!({
        id: IDS[0],
        title: 'seed',
        createdAt: new Date('2020-01-01T00:00:00Z'),
        messages: [
          { id: MSG_IDS[0], role: 'user', content: 'hi', timestamp: new Date('2020-01-01') },
          { id: MSG_IDS[1], role: 'assistant', content: 'yo', timestamp: new Date('2020-01-02') },
        ],
      });
      await s.save!({ id: IDS[1], title: 'seed 2', createdAt: new Date('2020-01-01T00:00:00Z') });
    },
    methods: {
      save: args(
        record(
          {
            id,
            title: text,
            messages: fc.array(message, { maxLength: 3 }),
            metadata: jsonObject,
            agentKey: key,
            createdAt: date,
            activeBranchId: id,
          },
          ['id'],
        ),
      ),
      get: args(id),
      delete: args(id),
      list: args(
        options({ limit: count, offset: count, agentKey: fc.oneof(key, fc.constant(null)) }),
      ),
      addMessages: biased(
        args(seeded, fc.array(goodMessage, { minLength: 1, maxLength: 3 })),
        args(id, fc.oneof(fc.array(message, { maxLength: 3 }), hostile)),
      ),
      getMessages: biased(
        args(
          seeded,
          fc.record(
            { allBranches: fc.boolean(), limit: fc.integer({ min: 0, max: 5 }), before: goodDate },
            { requiredKeys: [] },
          ),
        ),
        args(
          id,
          options({
            branchId: fc.oneof(id, fc.constant(null)),
            allBranches: bool,
            before: date,
            limit: count,
          }),
        ),
      ),
      createBranch: biased(
        args(
          fc.constant(IDS[0]),
          fc.constantFrom(...MSG_IDS),
          goodMessage,
          fc.record({ activate: fc.boolean() }, { requiredKeys: [] }),
        ),
        args(id, id, message, options({ activate: bool })),
      ),
      setActiveBranch: args(id, fc.oneof(id, fc.constant(null))),
      listBranches: args(id),
      fork: biased(
        args(
          fc.constant(IDS[0]),
          fc.constantFrom(...MSG_IDS),
          fc.record({ id: freshId, title: goodText }, { requiredKeys: [] }),
        ),
        args(id, id, options({ id, title: text })),
      ),
    },
    probe: async (s) => ({
      convs: await probeEach(s, 'get'),
      all: await probeEach(s, 'getMessages', [{ allBranches: true }]),
      branches: await probeEach(s, 'listBranches'),
    }),
  },
  {
    name: 'MemoryStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryMemoryStore()
        : new PostgresMemoryStore(pgOpts(b))) as unknown as AnyStore,
    methods: {
      get: args(key),
      set: args(key, json),
      delete: args(key),
      listKeys: args(options({ prefix: fc.oneof(text, fc.constant(null)) })),
      clear: args(),
    },
    probe: async (s) => {
      const keys = (await s.listKeys!()) as string[];
      return Promise.all(keys.map(async (k) => [k, await s.get!(k)]));
    },
  },
  {
    name: 'PreferencesStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryPreferencesStore()
        : new PostgresPreferencesStore(pgOpts(b))) as unknown as AnyStore,
    methods: { get: args(key), set: args(key, json), delete: args(key), getAll: args() },
    probe: (s) => s.getAll!(),
  },
  {
    name: 'TaskStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryTaskStore()
        : new PostgresTaskStore(pgOpts(b))) as unknown as AnyStore,
    seed: async (s) => {
      for (const i of [IDS[0], IDS[1]]) {
        await s.save!({ id: i, name: 'seed', createdAt: new Date('2020-01-01T00:00:00Z') });
      }
    },
    methods: {
      saveList: args(record({ id, name: text, conversationId: id, runId: key }, ['id'])),
      getList: args(id),
      deleteList: args(id),
      getListByConversation: args(id),
      save: biased(
        args(
          fc.record(
            {
              id: fc.oneof(freshId, seeded),
              name: goodText.filter((x) => x.length > 0),
              priority: fc.integer({ min: -5, max: 5 }),
              dueAt: goodDate,
            },
            { requiredKeys: ['name'] },
          ),
        ),
        args(
          record(
            {
              id,
              name: text,
              state: fc.oneof(
                fc.constantFrom('not_started', 'in_progress', 'complete', 'cancelled'),
                hostile,
              ),
              taskListId: id,
              conversationId: id,
              priority: count,
              dueAt: date,
              dependencies: fc.oneof(fc.array(id, { maxLength: 2 }), hostile),
              metadata: jsonObject,
            },
            ['id', 'name'],
          ),
        ),
      ),
      get: args(id),
      delete: args(id),
      list: biased(
        args(
          fc.record(
            {
              state: fc.constantFrom('not_started', 'in_progress', 'complete'),
              limit: fc.integer({ min: 0, max: 5 }),
            },
            { requiredKeys: [] },
          ),
        ),
        args(options({ taskListId: id, conversationId: id, state: text, limit: count })),
      ),
      update: biased(
        args(
          seeded,
          fc.record(
            {
              name: goodText.filter((x) => x.length > 0),
              priority: fc.integer({ min: -5, max: 5 }),
              dueAt: fc.oneof(goodDate, fc.constant(null)),
              lastError: fc.oneof(goodText, fc.constant(null)),
              metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
                maxKeys: 2,
              }),
            },
            { requiredKeys: [] },
          ),
        ),
        args(
          id,
          options({
            name: text,
            priority: count,
            dueAt: fc.oneof(date, fc.constant(null)),
            lastError: fc.oneof(text, fc.constant(null)),
            metadata: jsonObject,
          }),
        ),
      ),
      getReady: args(options({ taskListId: id, limit: count })),
      saveCheckpoint: args(id, jsonObject),
      recordAttempt: args(id, opt(text)),
    },
    probe: async (s) => ({
      tasks: await probeEach(s, 'get'),
      lists: await probeEach(s, 'getList'),
    }),
  },
  {
    name: 'KnowledgeStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryKnowledgeStore()
        : new PostgresKnowledgeStore(pgOpts(b))) as unknown as AnyStore,
    methods: {
      saveFact: args(
        record(
          {
            id,
            key,
            value: json,
            confidence: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile),
            expiresAt: date,
          },
          ['id', 'key', 'value'],
        ),
      ),
      getFact: args(id),
      getFactByKey: args(key),
      listFacts: args(options({ factType: text, limit: count })),
      deleteFact: args(id),
      purgeExpiredFacts: args(),
      saveSummary: args(
        record(
          {
            id,
            content: text,
            conversationId: id,
            conversationIds: fc.oneof(fc.array(id, { maxLength: 2 }), hostile),
          },
          ['id', 'content'],
        ),
      ),
      getSummary: args(id),
      getSummariesForConversation: args(id),
      deleteSummary: args(id),
      saveEmbedding: biased(
        args(
          fc.record(
            {
              id: freshId,
              vector: goodVector,
              content: goodText,
              contentType: fc.constantFrom('text', 'note'),
            },
            { requiredKeys: ['vector'] },
          ),
        ),
        args(
          record(
            {
              id,
              vector: fc.oneof(
                fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
                  minLength: 3,
                  maxLength: 3,
                }),
                hostile,
              ),
              contentText: text,
            },
            ['id', 'vector'],
          ),
        ),
      ),
      getEmbedding: args(id),
      searchSimilar: biased(
        args(
          goodVector,
          fc.record({ limit: fc.integer({ min: 0, max: 5 }) }, { requiredKeys: [] }),
        ),
        args(
          fc.oneof(
            fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
            hostile,
          ),
          options({ limit: count }),
        ),
      ),
      deleteEmbedding: args(id),
    },
    probe: async (s) => ({
      facts: await probeEach(s, 'getFact'),
      summaries: await probeEach(s, 'getSummary'),
      embeddings: await probeEach(s, 'getEmbedding'),
    }),
  },
  {
    name: 'AuditStore',
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryAuditStore()
        : new PostgresAuditStore(pgOpts(b))) as unknown as AnyStore,
    methods: {
      logEvent: args(
        record(
          {
            id,
            eventType: fc.oneof(fc.constantFrom('custom', 'run_started'), hostile),
            runId: key,
            agentKey: key,
            action: text,
            details: jsonObject,
            timestamp: date,
          },
          ['id', 'eventType'],
        ),
      ),
      getEvents: args(options({ runId: key, agentKey: key, limit: count, startTime: date })),
      logError: args(
        record({ id, message: text, errorType: text, runId: key, timestamp: date }, ['id']),
      ),
      getErrors: args(options({ runId: key, resolved: bool, limit: count })),
      resolveError: args(id, opt(text)),
      recordMetric: biased(
        args(
          fc.record(
            {
              id: freshId,
              name: fc.constantFrom(...KEYS),
              value: fc.integer({ min: 0, max: 1000 }),
              unit: goodText,
              timestamp: goodDate,
              tags: fc.dictionary(fc.constantFrom('model', 'k'), fc.constantFrom('a', 'b'), {
                maxKeys: 2,
              }),
            },
            { requiredKeys: ['name', 'value'] },
          ),
        ),
        args(
          record(
            {
              id,
              name: key,
              value: fc.oneof(fc.integer({ min: 0, max: 1000 }), hostile),
              unit: text,
              tags: fc.oneof(fc.dictionary(tagText, tagText, { maxKeys: 2 }), hostile),
            },
            ['name', 'value'],
          ),
        ),
      ),
      getMetrics: args(
        options({
          name: key,
          limit: count,
          startTime: date,
          tags: fc.oneof(fc.dictionary(tagText, tagText, { maxKeys: 2 }), hostile),
        }),
      ),
      getMetricSummary: args(key, options({ startTime: date, endTime: date })),
    },
    probe: async (s) => ({
      events: await s.getEvents!({ limit: 1000 }),
      errors: await s.getErrors!({ limit: 1000 }),
      metrics: await s.getMetrics!({ limit: 1000 }),
    }),
  },
  {
    name: 'StateStore',
    engines: ALL_ENGINES,
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryStateStore()
        : e === 'redis'
          ? new RedisStateStore({ client: b.redis!, keyPrefix: b.prefix })
          : new PostgresStateStore(pgOpts(b))) as unknown as AnyStore,
    methods: {
      saveCheckpoint: args(key, jsonObject),
      getCheckpoint: args(key),
      updateRunStatus: args(
        key,
        fc.oneof(fc.constantFrom('running', 'succeeded', 'failed'), hostile),
        opt(jsonObject),
      ),
      getRunStatus: args(key),
    },
    probe: async (s) =>
      Promise.all(KEYS.map(async (k) => [await s.getCheckpoint!(k), await s.getRunStatus!(k)])),
  },
  {
    name: 'EventBus',
    engines: ALL_ENGINES,
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryEventBus()
        : e === 'redis'
          ? new RedisEventBus({ client: b.redis!, keyPrefix: b.prefix })
          : new PostgresEventBus({ pool: b.pool!, listen: false })) as unknown as AnyStore,
    methods: {
      publish: biased(
        args(
          fc.record({
            runId: fc.constantFrom(...KEYS),
            seq: fc.integer({ min: 1, max: 2 }),
            type: fc.constantFrom('run.started', 'progress.update'),
            payload: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
              maxKeys: 2,
            }),
            timestamp: fc.constant('2026-01-01T00:00:00.000Z'),
          }),
        ),
        args(
          record(
            {
              runId: key,
              seq: fc.oneof(fc.integer({ min: 1, max: 4 }), hostile),
              type: fc.oneof(fc.constantFrom('run.started', 'x'), text),
              payload: jsonObject,
              timestamp: fc.oneof(fc.constant('2026-01-01T00:00:00.000Z'), text),
            },
            ['runId', 'seq', 'type', 'payload', 'timestamp'],
          ),
        ),
      ),
      getEvents: args(key, options({ afterSeq: count, limit: count })),
    },
    probe: async (s) => Promise.all(KEYS.map((k) => s.getEvents!(k))),
  },
  {
    name: 'TranscriptStore',
    engines: ALL_ENGINES,
    make: (e, b) =>
      (e === 'memory'
        ? new InMemoryTranscriptStore()
        : e === 'redis'
          ? new RedisTranscriptStore({ client: b.redis!, keyPrefix: b.prefix })
          : new PostgresTranscriptStore({ pool: b.pool! })) as unknown as AnyStore,
    methods: {
      append: args(
        key,
        count,
        fc.oneof(
          fc.array(
            fc.record({
              message: fc.record({ role: fc.constantFrom('user', 'assistant'), content: text }),
              hash: fc.constantFrom('h1', 'h2'),
              previousHash: fc.constantFrom('', 'h1'),
            }),
            { maxLength: 2 },
          ),
          hostile,
        ),
      ),
      read: args(key, count),
      putConstant: args(key, key, jsonObject),
      getConstant: args(key, key),
    },
    probe: async (s) =>
      Promise.all(KEYS.map((k) => s.read!(k, 0).catch((e: unknown) => errCode(e)))),
  },
];

// ---------------------------------------------------------------- comparing outcomes

function errCode(e: unknown): string {
  return AgentRuntimeError.is(e)
    ? `error:${e.code}`
    : `untyped:${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Masks what a backend chooses itself: times it sets, ids it generates (not given in `known`). */
function normalize(v: unknown, known: Set<string>, d = 0): unknown {
  if (d > 50) return '<deep>';
  if (v instanceof Date) return '<date>';
  if (typeof v === 'string') return UUID.test(v) && !known.has(v) ? '<generated id>' : v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v * 1e9) / 1e9;
  if (Array.isArray(v)) return v.map((x) => normalize(x, known, d + 1));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, normalize(x, known, d + 1)]),
    );
  }
  return v;
}

function stringsIn(v: unknown, out: Set<string>, d = 0): Set<string> {
  if (d > 20) return out;
  if (typeof v === 'string') out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsIn(x, out, d + 1));
  else if (v !== null && typeof v === 'object' && !(v instanceof Date))
    Object.values(v).forEach((x) => stringsIn(x, out, d + 1));
  return out;
}

async function outcome(fn: () => Promise<unknown>): Promise<{ ok: unknown } | { err: string }> {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { err: errCode(e) };
  }
}

// ---------------------------------------------------------------- the properties

const databases: {
  postgres?: { pool: Pool; drop(): Promise<void> };
  pglite?: { pool: Pool; close(): Promise<void> };
} = {};
let redis: Redis | undefined;
/** Unique per test file run, so parallel runs and other helpers never share keys. */
const REDIS_PREFIX = `it_props:${randomUUID()}:`;
beforeAll(async () => {
  databases.postgres = await createTestSchema('it_props');
  databases.pglite = await createTestPglite();
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await databases.postgres?.drop();
  await databases.pglite?.close();
  if (redis) {
    const keys = await redis.keys(`${REDIS_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

/** Counts per store and method: inputs, typed errors, successful round-trips. */
interface Stats {
  tried: number;
  typedErrors: number;
  ok: number;
}
const stats = new Map<string, Map<string, Stats>>();
afterAll(() => {
  const lines: string[] = [];
  for (const [store, methods] of stats) {
    const total = { tried: 0, typedErrors: 0, ok: 0 };
    const parts: string[] = [];
    for (const [method, m] of methods) {
      total.tried += m.tried;
      total.typedErrors += m.typedErrors;
      total.ok += m.ok;
      parts.push(`    ${method}: inputs=${m.tried} typedErrors=${m.typedErrors} ok=${m.ok}`);
    }
    const engines = SPECS.find((x) => x.name === store)?.engines ?? SQL_ENGINES;
    lines.push(
      `  ${store} (${engines.join(', ')}): inputs=${total.tried} typedErrors=${total.typedErrors} ok=${total.ok}`,
      ...parts,
    );
  }
  console.log(
    `store properties (FC_RUNS=${RUNS} per method, FC_SEED=${SEED}):\n${lines.join('\n')}`,
  );
});

describe.each(SPECS)('$name', (spec) => {
  const engines = spec.engines ?? SQL_ENGINES;
  // One instance per backend for all of the store's methods: state carries over from one
  // method's inputs to the next, the same on every backend.
  let stores: Partial<Record<Engine, AnyStore>>;
  beforeAll(() => {
    stores = Object.fromEntries(
      engines.map((e) => [
        e,
        spec.make(e, {
          pool: e === 'postgres' || e === 'pglite' ? databases[e]!.pool : undefined,
          redis,
          prefix: `${REDIS_PREFIX}${spec.name}:`,
        }),
      ]),
    );
  });
  test.each(Object.keys(spec.methods))(
    `%s: typed error or the same result on ${engines.join(', ')}, and the same state after`,
    async (method) => {
      const m: Stats = { tried: 0, typedErrors: 0, ok: 0 };
      if (!stats.has(spec.name)) stats.set(spec.name, new Map());
      stats.get(spec.name)!.set(method, m);
      if (spec.seed) {
        for (const e of engines) await spec.seed(stores[e]!).catch(() => undefined);
      }
      await fc.assert(
        fc.asyncProperty(spec.methods[method]!, async (a) => {
          m.tried++;
          const known = stringsIn(a, new Set(FIXED));
          const results: Record<string, unknown> = {};
          for (const e of engines) {
            const r = await outcome(() => stores[e]![method]!(...a));
            results[e] = 'ok' in r ? { ok: normalize(r.ok, known) } : r;
          }
          for (const e of engines) {
            const r = results[e] as { err?: string };
            if (r.err !== undefined) {
              expect(`${e} ${method}: ${r.err}`).not.toMatch(/untyped|STORAGE_ERROR/);
            }
          }
          for (const e of engines.slice(1)) {
            expect({ method, [e]: results[e] }).toEqual({ method, [e]: results.memory });
          }
          if ('err' in (results.memory as object)) m.typedErrors++;
          else m.ok++;
          // the same state everywhere: nothing partially written by a failed call
          const states: Record<string, unknown> = {};
          for (const e of engines) states[e] = normalize(await spec.probe(stores[e]!), known);
          for (const e of engines.slice(1)) {
            expect({ after: method, [e]: states[e] }).toEqual({
              after: method,
              [e]: states.memory,
            });
          }
        }),
        { numRuns: RUNS, endOnFailure: true, seed: SEED },
      );
      // a generator that never yields a valid call tests only the refusals
      if (RUNS >= MIN_RUNS_FOR_OK) {
        expect({ method, okRoundTrips: m.ok > 0 }).toEqual({ method, okRoundTrips: true });
      }
    },
    Math.max(60_000, RUNS * 2_000),
  );
});
