// Migrations (locking, re-runs, newer schemas) and surviving dropped connections, on real Postgres.
import { AgentRuntimeError } from '../../../src/core/errors';
import { MIGRATIONS } from '../../../src/persistence/postgres/migrations';
import {
  PostgresConversationStore,
  PostgresMemoryStore,
  createPostgresPool,
  getSchemaVersion,
  latestSchemaVersion,
  migrate,
} from '../../../src/persistence';
import { expectCode } from '../../../src/testing/conformance/helpers';
import type { TestSchema } from './pg-helpers';
import { PG_URL, createTestSchema } from './pg-helpers';

describe('migrate', () => {
  let db: TestSchema;
  beforeEach(async () => {
    db = await createTestSchema('it_migrate', false);
  });
  afterEach(async () => db.drop());

  it('applies every migration once, even with many workers starting at once', async () => {
    expect(await getSchemaVersion(db.pool)).toBe(0);
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate(db.pool)));
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(results.every((r) => r.version === latestSchemaVersion())).toBe(true);
    const rows = await db.pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(db.pool)).toEqual({ applied: [], version: latestSchemaVersion() });
  });

  it('refuses a database whose schema is newer than the code', async () => {
    await migrate(db.pool);
    await db.pool.query(
      "INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')",
    );
    const err = await expectCode(migrate(db.pool), 'SCHEMA_TOO_NEW');
    expect(err.details).toEqual({ databaseVersion: 999, codeVersion: latestSchemaVersion() });
    expect(err.message).toMatch(/newer than this code/);
  });

  it('leaves the schema at the last complete version when a migration fails', async () => {
    const broken = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE ok_table (a int); SELECT 1/0;',
      },
    ];
    await expectCode(migrate(db.pool, { migrations: broken }), 'VALIDATION_ERROR');
    expect(await getSchemaVersion(db.pool)).toBe(latestSchemaVersion());
    const t = await db.pool.query("SELECT to_regclass('ok_table') AS t");
    expect(t.rows[0]).toEqual({ t: null });
  });

  it('stores never migrate implicitly', async () => {
    const store = new PostgresMemoryStore({ pool: db.pool });
    const err = await expectCode(store.set('k', 1), 'STORAGE_ERROR');
    expect(err.message).toMatch(/kv_entries/);
    expect(await getSchemaVersion(db.pool)).toBe(0);
  });
});

describe('dropped connections', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema('it_drop');
  });
  afterAll(async () => db.drop());

  it('survive pg_terminate_backend on every pooled connection; the next call works', async () => {
    const errors: Error[] = [];
    const appName = `it-drop-${db.schema}`;
    const pool = createPostgresPool({
      connectionString: PG_URL,
      options: `-c search_path="${db.schema}"`,
      max: 4,
      application_name: appName,
      onConnectionError: (e) => errors.push(e),
    });
    const store = new PostgresConversationStore({ pool });
    try {
      const conv = await store.save({ title: 'survivor' });
      // Open several connections so there are idle ones to kill.
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          store.addMessages(conv.id, [{ role: 'user', content: `m${i}` }]),
        ),
      );
      const admin = createPostgresPool({ connectionString: PG_URL, max: 1 });
      const killed = await admin.query<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      );
      await admin.end();
      expect(killed.rows.length).toBeGreaterThan(0);
      // Wait (with a deadline) until the pool has noticed.
      const deadline = Date.now() + 5000;
      while (errors.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(errors.length).toBeGreaterThan(0);
      // Calls may fail while dead connections are discovered, but always with a typed error, and then work again.
      let ok = false;
      for (let i = 0; i < 10 && !ok; i++) {
        try {
          await store.addMessages(conv.id, [{ role: 'user', content: `after-${i}` }]);
          ok = true;
        } catch (err) {
          expect(AgentRuntimeError.is(err) && err.code).toBe('STORAGE_ERROR');
        }
      }
      expect(ok).toBe(true);
      expect((await store.getMessages(conv.id)).length).toBeGreaterThanOrEqual(5);
    } finally {
      await pool.end();
    }
  });
});
