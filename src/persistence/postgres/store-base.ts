// Node side only: what the Postgres stores share: the pool, scope resolution, transactions, and
// the key/value base of the memory and preferences stores (table `kv_entries`). The stores speak
// `pg` only, so they run unchanged on a Postgres server and on PGlite. A given `pool` is never
// migrated (run `migrate(pool)` first); a store given `databaseUrl` opens, migrates and owns its pool.
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { z } from 'zod';
import type { JsonValue } from '../../core/types';
import type { Scope } from '../models';
import {
  resolveConnection,
  type PostgresConnectionOptions,
  type ResolvedConnection,
} from './connection-option';
import type { ResolvedScope, ScopeArg, ScopeContext, StoreScopeOptions } from '../validation';
import { parseKey, parseModel, resolveScope, toScopeContext } from '../validation';
import { decodeJson, encodeJson, escapeLike, query, resolvePool, withTransaction } from './sql';

/**
 * Options of every Postgres store: exactly one of `pool` (a migrated pool, or a function giving
 * one; the store does not own it and `close()` leaves it open) or `databaseUrl` (the store opens
 * its own pool of 4 connections, migrates the database on first use, and `close()` ends the pool).
 */
export interface PostgresStoreOptions extends StoreScopeOptions, PostgresConnectionOptions {}

const JsonValueSchema = z.json();

/** Pool, scope resolution and transaction helpers every Postgres store builds on. */
export abstract class PostgresStoreBase {
  private readonly connection: ResolvedConnection;
  private readonly ctx: ScopeContext;
  constructor(
    options: PostgresStoreOptions,
    private readonly fallback: Scope,
  ) {
    this.connection = resolveConnection(options, new.target.name || 'A Postgres store');
    this.ctx = toScopeContext(options);
  }
  protected pool(): Promise<Pool> {
    return resolvePool(this.connection.source);
  }
  protected scope(arg: ScopeArg | undefined): ResolvedScope {
    return resolveScope(arg, this.ctx, this.fallback);
  }
  protected async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(await this.pool(), fn);
  }
  protected async q<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return query<R>(await this.pool(), text, values);
  }
  /** Ends the pool it opened from `databaseUrl` (never a given `pool`). */
  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** get/set/delete over `kv_entries` in one namespace, shared by the memory and preferences stores. */
export class PostgresKeyValue extends PostgresStoreBase {
  constructor(
    options: PostgresStoreOptions,
    fallback: Scope,
    private readonly namespace: string,
  ) {
    super(options, fallback);
  }
  async get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined> {
    const s = this.scope(scope);
    const rows = await this.q<{ value_json: string }>(
      'SELECT value_json FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key = $4',
      [this.namespace, s.scope, s.scopeId, parseKey(key)],
    );
    return rows[0] ? (decodeJson(rows[0].value_json) as JsonValue) : undefined;
  }
  async set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void> {
    const s = this.scope(scope);
    const k = parseKey(key);
    const v = parseModel(JsonValueSchema, value, 'value');
    await this.q(
      `INSERT INTO kv_entries (namespace, scope, scope_id, key, value_json, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (namespace, scope, scope_id, key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_at = now()`,
      [this.namespace, s.scope, s.scopeId, k, encodeJson(v)],
    );
  }
  async delete(key: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key = $4 RETURNING 1',
      [this.namespace, s.scope, s.scopeId, parseKey(key)],
    );
    return rows.length > 0;
  }
  protected async entries(
    scope: ScopeArg | undefined,
    prefix: string,
  ): Promise<{ key: string; value_json: string }[]> {
    const s = this.scope(scope);
    return this.q<{ key: string; value_json: string }>(
      `SELECT key, value_json FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key LIKE $4 ESCAPE '\\'
       ORDER BY key`,
      [this.namespace, s.scope, s.scopeId, `${escapeLike(prefix)}%`],
    );
  }
  protected async clearAll(scope: ScopeArg | undefined): Promise<number> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 RETURNING 1',
      [this.namespace, s.scope, s.scopeId],
    );
    return rows.length;
  }
}
