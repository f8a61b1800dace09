// Hostile input must not poison a store's database session: after each hostile call (ids that are
// not strings, 20k-deep arrays, NUL in a filter or branch id, statements Postgres rejects, a
// transaction left aborted), the next 100 calls succeed, on PGlite (one shared session) and on
// the machine's Postgres; and PGlite's `close()` is safe after any of it.
import type { Pool } from 'pg';
import {
  PostgresConversationStore,
  PostgresMemoryStore,
  PostgresTaskStore,
} from '../../../src/persistence';
import { AgentRuntimeError } from '../../../src/core/errors';
import { createTestPglite, createTestSchema } from './pg-helpers';

function deepArray(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** The store calls the issue found poisoning PGlite, each expected to fail with a typed error. */
function hostileCalls(
  conv: PostgresConversationStore,
  mem: PostgresMemoryStore,
  tasks: PostgresTaskStore,
  convId: string,
  messageId: string,
): [string, () => Promise<unknown>][] {
  const deep = deepArray(20_000) as string;
  return [
    ['addMessages(deep id)', () => conv.addMessages(deep, [{ role: 'user', content: 'hi' }])],
    ['get(deep id)', () => conv.get(deep)],
    ['get(object id)', () => conv.get({ a: 1 } as unknown as string)],
    ['get(number id)', () => conv.get(42 as unknown as string)],
    ['list(null agentKey)', () => conv.list({ agentKey: null as unknown as string })],
    ['save(year 10000)', () => conv.save({ title: 't', createdAt: new Date('+010000-01-01') })],
    ['getMessages(NUL branch)', () => conv.getMessages(convId, { branchId: 'a\u0000b' })],
    ['get(NUL id)', () => conv.get('a\u0000b')],
    ['list(NUL agentKey)', () => conv.list({ agentKey: 'a\u0000' })],
    ['getMessages(before: string)', () => conv.getMessages(convId, { before: 'x' as never })],
    ['fork onto itself', () => conv.fork(convId, messageId, { id: convId })],
    ['memory.set(deep value)', () => mem.set('k', deepArray(10_000) as never)],
    ['memory.get(NUL key)', () => mem.get('k\u0000')],
    ['tasks.getList(deep id)', () => tasks.getList(deep)],
  ];
}

async function rawHostile(pool: Pool): Promise<void> {
  // Statements the server rejects, outside and inside a transaction; a transaction released
  // while aborted.
  await expect(pool.query('SELECT 1/0')).rejects.toThrow();
  await expect(pool.query('SELECT $1::text', ['a\u0000b'])).rejects.toThrow();
  const c = await pool.connect();
  await c.query('BEGIN');
  await expect(c.query('SELECT * FROM no_such_table')).rejects.toThrow();
  c.release();
}

const engines: {
  name: string;
  open: () => Promise<{ pool: Pool; close: () => Promise<void> }>;
  /** PGlite only: the pool itself survives a value pg cannot encode (Postgres relies on the stores' check). */
  rawEncodeFailure: boolean;
}[] = [
  {
    name: 'pglite',
    open: async () => {
      const db = await createTestPglite();
      return { pool: db.pool, close: () => db.close() };
    },
    rawEncodeFailure: true,
  },
  {
    name: 'postgres',
    open: async () => {
      const db = await createTestSchema('it_poison');
      return { pool: db.pool, close: () => db.drop() };
    },
    rawEncodeFailure: false,
  },
];

describe.each(engines)('$name session after hostile input', ({ open, rawEncodeFailure }) => {
  it('gives typed errors, then the next 100 calls succeed; close() is safe', async () => {
    const db = await open();
    const pool = () => Promise.resolve(db.pool);
    const conv = new PostgresConversationStore({ pool });
    const mem = new PostgresMemoryStore({ pool });
    const tasks = new PostgresTaskStore({ pool });
    const c = await conv.save({ title: 'victim' });
    const [m] = await conv.addMessages(c.id, [{ role: 'user', content: 'first' }]);
    const failures: string[] = [];
    for (const [name, call] of hostileCalls(conv, mem, tasks, c.id, m!.id)) {
      const err = await call().then(
        () => new Error(`${name} succeeded`),
        (e: unknown) => e,
      );
      if (!AgentRuntimeError.is(err) || !['VALIDATION_ERROR', 'INVALID_INPUT'].includes(err.code))
        failures.push(`${name}: ${String((err as Error).message)}`);
      // the very next call, unrelated to the hostile one, succeeds
      expect((await conv.get(c.id))?.id).toBe(c.id);
    }
    expect(failures).toEqual([]);
    // fork refuses its own id but still works with a fresh one
    expect((await conv.fork(c.id, m!.id)).parentConversationId).toBe(c.id);

    await rawHostile(db.pool);
    if (rawEncodeFailure) {
      await expect(db.pool.query('SELECT $1::text', [deepArray(20_000)])).rejects.toThrow();
      const t = await db.pool.connect();
      await t.query('BEGIN');
      await expect(t.query('SELECT $1::text', [deepArray(20_000)])).rejects.toThrow();
      t.release(new Error('broken'));
    }

    for (let i = 0; i < 50; i++) {
      await conv.addMessages(c.id, [{ role: 'user', content: `m${i}` }]);
      await mem.set(`k${i}`, { i });
    }
    const msgs = await conv.getMessages(c.id);
    expect(msgs.map((x) => x.content)).toEqual([
      'first',
      ...Array.from({ length: 50 }, (_, i) => `m${i}`),
    ]);
    expect(await mem.get('k49')).toEqual({ i: 49 });

    // close after errors, twice: no unhandled 'error', no crash
    if (rawEncodeFailure) await expect(db.pool.query('SELECT 1/0')).rejects.toThrow();
    await db.close();
    if (rawEncodeFailure) await db.close();
  });
});
