// Property-based tests (fast-check) over every public method of every store, on memory, Postgres
// and PGlite at once: each generated call (valid arguments mixed with hostile ones: wrong types,
// NUL and lone surrogates, 10k-deep values, out-of-range dates, null filters) runs on all three
// backends, then a read of the store's state runs too. Properties: every failure is a typed
// `AgentRuntimeError` other than `STORAGE_ERROR` (nothing here is a storage fault); the three
// backends give the same outcome (same error code, or the same result once server-set times and
// generated ids are masked); and they hold the same state afterwards, so a failed call wrote
// nothing anywhere (the memory stores copy on write). CI-sized: FC_RUNS (default 25) inputs per
// method; FC_RUNS=1000 for a long run. Prints one summary line per store.
import fc from 'fast-check';
import type { Pool } from 'pg';
import { AgentRuntimeError } from '../../../src/core/errors';
import { InMemoryEventBus, PostgresEventBus } from '../../../src/events';
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
import { InMemoryStateStore, PostgresStateStore } from '../../../src/state';
import { InMemoryTranscriptStore, PostgresTranscriptStore } from '../../../src/transcripts';
import { createTestPglite, createTestSchema } from './pg-helpers';

const RUNS = Number(process.env.FC_RUNS ?? 25);
const ENGINES = ['memory', 'postgres', 'pglite'] as const;
type Engine = (typeof ENGINES)[number];

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

// ---------------------------------------------------------------- stores under test

type AnyStore = Record<string, (...args: unknown[]) => Promise<unknown>>;
interface Spec {
  name: string;
  make: (engine: Engine, pool: Pool | undefined) => AnyStore;
  methods: Record<string, fc.Arbitrary<unknown[]>>;
  /** Reads the whole state the generated calls can touch (compared across backends). */
  probe: (s: AnyStore) => Promise<unknown>;
}

const args = (...a: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown[]> => fc.tuple(...a);
const pgOpts = (pool: Pool | undefined) => ({ pool: pool! });
const probeEach = async (s: AnyStore, method: string, extra: unknown[] = []) =>
  Promise.all(IDS.map((i) => s[method]!(i, ...extra).catch((e: unknown) => errCode(e))));

const SPECS: Spec[] = [
  {
    name: 'ConversationStore',
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryConversationStore()
        : new PostgresConversationStore(pgOpts(pool))) as unknown as AnyStore,
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
      addMessages: args(id, fc.oneof(fc.array(message, { maxLength: 3 }), hostile)),
      getMessages: args(
        id,
        options({
          branchId: fc.oneof(id, fc.constant(null)),
          allBranches: bool,
          before: date,
          limit: count,
        }),
      ),
      createBranch: args(id, id, message, options({ activate: bool })),
      setActiveBranch: args(id, fc.oneof(id, fc.constant(null))),
      listBranches: args(id),
      fork: args(id, id, options({ id, title: text })),
    },
    probe: async (s) => ({
      convs: await probeEach(s, 'get'),
      all: await probeEach(s, 'getMessages', [{ allBranches: true }]),
      branches: await probeEach(s, 'listBranches'),
    }),
  },
  {
    name: 'MemoryStore',
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryMemoryStore()
        : new PostgresMemoryStore(pgOpts(pool))) as unknown as AnyStore,
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
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryPreferencesStore()
        : new PostgresPreferencesStore(pgOpts(pool))) as unknown as AnyStore,
    methods: { get: args(key), set: args(key, json), delete: args(key), getAll: args() },
    probe: (s) => s.getAll!(),
  },
  {
    name: 'TaskStore',
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryTaskStore()
        : new PostgresTaskStore(pgOpts(pool))) as unknown as AnyStore,
    methods: {
      saveList: args(record({ id, name: text, conversationId: id, runId: key }, ['id'])),
      getList: args(id),
      deleteList: args(id),
      getListByConversation: args(id),
      save: args(
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
      get: args(id),
      delete: args(id),
      list: args(options({ taskListId: id, conversationId: id, state: text, limit: count })),
      update: args(
        id,
        options({
          name: text,
          priority: count,
          dueAt: fc.oneof(date, fc.constant(null)),
          lastError: fc.oneof(text, fc.constant(null)),
          metadata: jsonObject,
        }),
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
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryKnowledgeStore()
        : new PostgresKnowledgeStore(pgOpts(pool))) as unknown as AnyStore,
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
      saveEmbedding: args(
        record(
          {
            id,
            vector: fc.oneof(
              fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
              hostile,
            ),
            contentText: text,
          },
          ['id', 'vector'],
        ),
      ),
      getEmbedding: args(id),
      searchSimilar: args(
        fc.oneof(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
          hostile,
        ),
        options({ limit: count }),
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
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryAuditStore()
        : new PostgresAuditStore(pgOpts(pool))) as unknown as AnyStore,
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
      getEvents: args(options({ runId: key, agentKey: key, limit: count, since: date })),
      logError: args(
        record({ id, message: text, errorType: text, runId: key, timestamp: date }, ['id']),
      ),
      getErrors: args(options({ runId: key, resolved: bool, limit: count })),
      resolveError: args(id, opt(text)),
      recordMetric: args(
        record(
          {
            id,
            metricName: key,
            value: fc.oneof(fc.integer({ min: 0, max: 1000 }), hostile),
            unit: text,
          },
          ['id', 'metricName', 'value'],
        ),
      ),
      getMetrics: args(options({ metricName: key, limit: count })),
      getMetricSummary: args(key, options({ since: date })),
    },
    probe: async (s) => ({
      events: await s.getEvents!({ limit: 1000 }),
      errors: await s.getErrors!({ limit: 1000 }),
    }),
  },
  {
    name: 'StateStore',
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryStateStore()
        : new PostgresStateStore(pgOpts(pool))) as unknown as AnyStore,
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
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryEventBus()
        : new PostgresEventBus({ pool: pool!, listen: false })) as unknown as AnyStore,
    methods: {
      publish: args(
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
      getEvents: args(key, options({ afterSeq: count, limit: count })),
    },
    probe: async (s) => Promise.all(KEYS.map((k) => s.getEvents!(k))),
  },
  {
    name: 'TranscriptStore',
    make: (e, pool) =>
      (e === 'memory'
        ? new InMemoryTranscriptStore()
        : new PostgresTranscriptStore({ pool: pool! })) as unknown as AnyStore,
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
beforeAll(async () => {
  databases.postgres = await createTestSchema('it_props');
  databases.pglite = await createTestPglite();
});
afterAll(async () => {
  await databases.postgres?.drop();
  await databases.pglite?.close();
});

const summary: string[] = [];
afterAll(() => {
  console.log(`store properties (FC_RUNS=${RUNS} per method):\n${summary.join('\n')}`);
});

describe.each(SPECS)('$name', (spec) => {
  // One instance per backend for all of the store's methods: state carries over from one
  // method's inputs to the next, the same on every backend.
  let stores: Record<Engine, AnyStore>;
  beforeAll(() => {
    stores = Object.fromEntries(
      ENGINES.map((e) => [e, spec.make(e, e === 'memory' ? undefined : databases[e]!.pool)]),
    ) as Record<Engine, AnyStore>;
  });
  test.each(Object.keys(spec.methods))(
    '%s: typed error or the same result on memory, Postgres and PGlite, and the same state after',
    async (method) => {
      const stats = { tried: 0, typedErrors: 0, ok: 0 };
      await fc.assert(
        fc.asyncProperty(spec.methods[method]!, async (a) => {
          stats.tried++;
          const known = stringsIn(a, new Set(IDS));
          const results: Record<string, unknown> = {};
          for (const e of ENGINES) {
            const r = await outcome(() => stores[e][method]!(...a));
            results[e] = 'ok' in r ? { ok: normalize(r.ok, known) } : r;
          }
          for (const e of ENGINES) {
            const r = results[e] as { err?: string };
            if (r.err !== undefined) {
              expect(`${e} ${method}: ${r.err}`).not.toMatch(/untyped|STORAGE_ERROR/);
            }
          }
          expect({ method, postgres: results.postgres }).toEqual({
            method,
            postgres: results.memory,
          });
          expect({ method, pglite: results.pglite }).toEqual({ method, pglite: results.memory });
          if ('err' in (results.memory as object)) stats.typedErrors++;
          else stats.ok++;
          // the same state everywhere: nothing partially written by a failed call
          const states: Record<string, unknown> = {};
          for (const e of ENGINES) states[e] = normalize(await spec.probe(stores[e]), known);
          expect({ after: method, state: states.postgres }).toEqual({
            after: method,
            state: states.memory,
          });
          expect({ after: method, state: states.pglite }).toEqual({
            after: method,
            state: states.memory,
          });
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      summary.push(
        `  ${spec.name}.${method}: inputs=${stats.tried} typedErrors=${stats.typedErrors} ok=${stats.ok} (x3 backends)`,
      );
    },
    Math.max(60_000, RUNS * 2_000),
  );
});
