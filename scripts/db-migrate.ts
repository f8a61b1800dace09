// Applies the database migrations: `npm run db:migrate`. Uses DATABASE_URL when set, otherwise
// the zero-setup PGlite database under ./.data/pglite (what PersistenceManager uses by default).
import { join } from 'node:path';
import { AgentRuntimeError } from '../src/core/errors';
import { createPostgresPool, latestSchemaVersion, migrate, openPglite } from '../src/persistence';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const target = url
    ? { pool: createPostgresPool({ connectionString: url }), close: undefined }
    : undefined;
  const pglite = target ? undefined : await openPglite(join(process.cwd(), '.data', 'pglite'));
  const pool = target?.pool ?? pglite!.pool;
  try {
    const result = await migrate(pool);
    const where = url ? 'DATABASE_URL' : 'PGlite (.data/pglite)';
    console.log(
      result.applied.length > 0
        ? `${where}: applied migrations ${result.applied.join(', ')}; schema is at version ${result.version}`
        : `${where}: schema already at version ${result.version} (code knows ${latestSchemaVersion()})`,
    );
  } finally {
    if (target) await target.pool.end();
    if (pglite) await pglite.close();
  }
}

main().catch((err: unknown) => {
  console.error(AgentRuntimeError.is(err) ? `${err.code}: ${err.message}` : err);
  process.exitCode = 1;
});
