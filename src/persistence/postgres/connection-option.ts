// Node side only: `pool` or `databaseUrl`, the two ways every Postgres store and bus is given its
// database. A store given `databaseUrl` owns the pool it opens (and migrates it on first use);
// its `close()` ends that pool. A given `pool` stays the caller's.
import type { Pool } from 'pg';
import { AgentRuntimeError } from '../../core/errors';
import { migrate } from './migrator';
import { createPostgresPool } from './pool';
import type { PoolSource } from './sql';

/** The connection fields of a Postgres store's or bus's options: exactly one of them. */
export interface PostgresConnectionOptions {
  /** A migrated pool (see `migrate`), or a function giving one. Not closed by `close()`. */
  pool?: PoolSource;
  /**
   * A Postgres URL instead of `pool`: the store opens its own pool (4 connections), migrates the
   * database on first use, and `close()` ends the pool.
   */
  databaseUrl?: string;
}

/** The pool a store uses, and how to release what it opened. */
export interface ResolvedConnection {
  source: PoolSource;
  close(): Promise<void>;
}

/** Checks that exactly one of `pool` / `databaseUrl` is given (`CONFIG_INVALID` / `CONFIG_MISSING`). */
export function resolveConnection(
  options: PostgresConnectionOptions | undefined,
  owner: string,
): ResolvedConnection {
  const pool = options?.pool;
  const url = options?.databaseUrl;
  if (pool !== undefined && url !== undefined) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `${owner}: give either pool or databaseUrl, not both`,
    );
  }
  if (pool !== undefined) return { source: pool, close: async () => undefined };
  if (typeof url !== 'string' || url === '') {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      `${owner} needs a database: pass { databaseUrl: 'postgres://…' } or { pool }`,
    );
  }
  let opened: Promise<Pool> | undefined;
  let closed = false;
  return {
    source: () => {
      if (closed) {
        return Promise.reject(new AgentRuntimeError('STORAGE_ERROR', `${owner} is closed`));
      }
      opened ??= (async () => {
        const p = createPostgresPool({ connectionString: url, max: 4 });
        try {
          await migrate(p);
        } catch (err) {
          await p.end().catch(() => undefined);
          throw err;
        }
        return p;
      })().catch((err: unknown) => {
        opened = undefined;
        throw err;
      });
      return opened;
    },
    async close() {
      closed = true;
      const p = opened;
      opened = undefined;
      await p?.then((x) => x.end()).catch(() => undefined);
    },
  };
}
