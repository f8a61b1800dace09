// Node side only: applies the numbered, forward-only schema migrations.
import type { Pool } from 'pg';
import { AgentRuntimeError } from '../../core/errors';
import { MIGRATIONS } from './migrations';
import type { Migration } from './migrations';
import { toStorageError } from './sql';

/** What `migrate` did. */
export interface MigrateResult {
  /** Versions applied by this call, in order; empty when the schema was current. */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /** The migrations to apply. @default MIGRATIONS */
  migrations?: readonly Migration[];
}

/** The newest schema version this code knows. */
export function latestSchemaVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Brings the schema (in the connection's `search_path`) up to date.
 *
 * - Holds a session advisory lock (keyed by the schema name) for the whole run, so workers that
 *   start together apply each migration once; the others wait, then find nothing to do.
 * - Applies each pending migration in its own transaction with its row in `schema_migrations`,
 *   so a failure leaves the schema at the last complete version.
 * - Throws `SCHEMA_TOO_NEW` when the database has a version this code does not know: running old
 *   code against a newer schema could corrupt data.
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        `Migration versions must be 1, 2, 3, …; found ${m.version} at position ${i + 1}`,
      );
  });
  const latest = latestSchemaVersion(migrations);
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStorageError(err);
  }
  let broken: Error | undefined;
  try {
    await client.query(
      `SELECT pg_advisory_lock(hashtext('agent_runtime_core.migrate'), hashtext(current_schema()))`,
    );
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const res = await client.query<{ v: number | null }>(
        'SELECT max(version) AS v FROM schema_migrations',
      );
      const current = res.rows[0]?.v ?? 0;
      if (current > latest) {
        throw new AgentRuntimeError(
          'SCHEMA_TOO_NEW',
          `Database schema version ${current} is newer than this code's ${latest}: upgrade agent-runtime-core before using this database`,
          { details: { databaseVersion: current, codeVersion: latest } },
        );
      }
      const applied: number[] = [];
      for (const m of migrations.filter((x) => x.version > current)) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return { applied, version: Math.max(current, ...applied) };
    } finally {
      await client.query(
        `SELECT pg_advisory_unlock(hashtext('agent_runtime_core.migrate'), hashtext(current_schema()))`,
      );
    }
  } catch (err) {
    if (!AgentRuntimeError.is(err)) broken = err instanceof Error ? err : new Error(String(err));
    throw toStorageError(err);
  } finally {
    client.release(broken);
  }
}

/** The schema version recorded in the database (0 when never migrated). */
export async function getSchemaVersion(pool: Pool): Promise<number> {
  try {
    const exists = await pool.query<{ e: boolean }>(
      `SELECT to_regclass('schema_migrations') IS NOT NULL AS e`,
    );
    if (exists.rows[0]?.e !== true) return 0;
    const res = await pool.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    return res.rows[0]?.v ?? 0;
  } catch (err) {
    throw toStorageError(err);
  }
}
