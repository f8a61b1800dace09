// Node side only: the Postgres PreferencesStore (table `kv_entries`). It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import type { JsonValue } from '../../core/types';
import { Scope } from '../models';
import { decodeJson } from '../postgres/sql';
import { PostgresKeyValue } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ScopeArg } from '../validation';
import type { PreferencesStore } from './store';

/** Postgres `PreferencesStore` (table `kv_entries`, namespace `preferences`; default scope GLOBAL). */
export class PostgresPreferencesStore extends PostgresKeyValue implements PreferencesStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.GLOBAL, 'preferences');
  }
  async getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>> {
    const rows = await this.entries(scope, '');
    return Object.fromEntries(rows.map((r) => [r.key, decodeJson(r.value_json) as JsonValue]));
  }
}
