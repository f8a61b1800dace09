// Node side only: opening Postgres and PGlite pools with the error handling long-running workers need.
import { mkdir } from 'node:fs/promises';
import { Pool } from 'pg';
import type { PoolConfig } from 'pg';
import { PgliteSessionPool, asPool } from './pglite-session';
import type { PgliteInstance } from './pglite-session';

/** Options of `createPostgresPool`. */
export interface PostgresPoolOptions extends PoolConfig {
  /**
   * Called when an idle pooled connection fails (server restart, `pg_terminate_backend`, network
   * loss). The pool drops that connection and opens a new one on the next query; without a
   * listener, node-postgres would crash the process with an unhandled `error` event.
   * @default ignores the error
   */
  onConnectionError?: (err: Error) => void;
}

/** Opens a `pg.Pool` that survives dropped connections. */
export function createPostgresPool(options: PostgresPoolOptions = {}): Pool {
  const { onConnectionError, ...config } = options;
  const pool = new Pool(config);
  guardPool(pool, onConnectionError);
  return pool;
}

/** Attaches the error handler every pool (including one the caller built) needs. */
export function guardPool(pool: Pool, onConnectionError?: (err: Error) => void): Pool {
  pool.on('error', (err) => onConnectionError?.(err));
  // A checked-out client that loses its connection emits on the client, not the pool.
  pool.on('connect', (client) => {
    client.on('error', (err) => onConnectionError?.(err));
  });
  return pool;
}

/** An embedded Postgres opened as a `pg.Pool`. */
export interface PgliteHandle {
  pool: Pool;
  /** Ends the pool and closes the database files. */
  close(): Promise<void>;
}

/** The two PGlite entry points `openPglite` needs. */
export interface PgliteModules {
  /** The `PGlite` class of `@electric-sql/pglite`. */
  PGlite: new (dataDir?: string) => PgliteInstance;
  /** `createPgConfig` of `@electric-sql/pglite/node-postgres`. */
  createPgConfig: (db: unknown) => PoolConfig;
}

/** Options of `openPglite`. */
export interface OpenPgliteOptions {
  /**
   * Loads PGlite's modules. Override it where the default `import()` cannot work, e.g. under
   * Jest, whose module sandbox rejects the dynamic imports inside PGlite unless Node runs with
   * `--experimental-vm-modules`.
   * @default dynamic `import()` of both packages
   */
  load?: () => Promise<PgliteModules>;
}

async function loadPglite(): Promise<PgliteModules> {
  const { PGlite } = await import('@electric-sql/pglite');
  // A subpath export, which this package's `moduleResolution: node` typing cannot see: typed here.
  const adapterPath: string = '@electric-sql/pglite/node-postgres';
  const { createPgConfig } = (await import(adapterPath)) as Pick<PgliteModules, 'createPgConfig'>;
  return { PGlite, createPgConfig };
}

/**
 * Opens PGlite (embedded Postgres in WebAssembly) with files under `dataDir` (`memory://` for a
 * throwaway in-memory database), behind its node-postgres adapter, so the Postgres stores run
 * on it unchanged. PGlite has one session: callers take turns on it (see `PgliteSessionPool`),
 * and a failed statement is rolled back on that session before the next caller gets it, so no
 * error can leak into another call. `close()` is safe after any error and may be called twice.
 */
export async function openPglite(
  dataDir: string,
  options: OpenPgliteOptions = {},
): Promise<PgliteHandle> {
  const { PGlite, createPgConfig } = await (options.load ?? loadPglite)();
  if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
  // The instance form: in 0.5.16 the CommonJS build's data-dir form looks for a missing file.
  const pglite = new PGlite(dataDir);
  const session = new PgliteSessionPool(pglite, () => createPgConfig(pglite));
  const pool = guardPool(asPool(session));
  let closing: Promise<void> | undefined;
  return {
    pool,
    close() {
      closing ??= (async () => {
        await session.end();
        await pglite.close();
      })();
      return closing;
    },
  };
}
