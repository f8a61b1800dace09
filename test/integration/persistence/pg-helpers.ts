// Helpers for tests against the machine's Postgres: one fresh schema per test file.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createPostgresPool, migrate, openPglite } from '../../../src/persistence';
import type { PgliteHandle } from '../../../src/persistence';
import { loadPgliteOutsideJest } from '../../conformance/pglite-loader';

/** The test server; trust auth. */
export const PG_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** A migrated schema of its own, dropped by `drop()`. */
export interface TestSchema {
  schema: string;
  pool: Pool;
  /** Empties every table (between tests that share GLOBAL scope). */
  truncate(): Promise<void>;
  drop(): Promise<void>;
}

/** Creates a schema, a pool whose search_path is that schema, and migrates it. */
export async function createTestSchema(prefix: string, migrateIt = true): Promise<TestSchema> {
  const schema = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = createPostgresPool({ connectionString: PG_URL, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const pool = createPostgresPool({
    connectionString: PG_URL,
    options: `-c search_path="${schema}"`,
    max: 20,
  });
  if (migrateIt) await migrate(pool);
  return {
    schema,
    pool,
    truncate: () => truncateAll(pool),
    async drop() {
      await pool.end();
      const a = createPostgresPool({ connectionString: PG_URL, max: 1 });
      await a.query(`DROP SCHEMA "${schema}" CASCADE`);
      await a.end();
    },
  };
}

/** Empties every table of the current schema except the migration record. */
export async function truncateAll(pool: Pool): Promise<void> {
  const res = await pool.query<{ t: string }>(
    `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
  );
  if (res.rows.length > 0)
    await pool.query(`TRUNCATE ${res.rows.map((r) => r.t).join(', ')} CASCADE`);
}

/** A migrated in-memory PGlite. */
export async function createTestPglite(dataDir = 'memory://'): Promise<PgliteHandle> {
  const handle = await openPglite(dataDir, { load: loadPgliteOutsideJest });
  await migrate(handle.pool);
  return handle;
}
