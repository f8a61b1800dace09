// Node side only: the Postgres MemoryStore (table `kv_entries`). It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import { checkListKeys } from '../arguments';
import { Scope } from '../models';
import { PostgresKeyValue } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ScopeArg } from '../validation';
import type { MemoryStore } from './store';

/** Postgres `MemoryStore` (table `kv_entries`, namespace `memory`). */
export class PostgresMemoryStore extends PostgresKeyValue implements MemoryStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT, 'memory');
  }
  async listKeys(options?: { prefix?: string }, scope?: ScopeArg): Promise<string[]> {
    const prefix = checkListKeys(options).prefix ?? '';
    return (await this.entries(scope, prefix)).map((r) => r.key);
  }
  async clear(scope?: ScopeArg): Promise<number> {
    return this.clearAll(scope);
  }
}
