// Node side only: the in-memory PreferencesStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describePreferencesStore` from `agent-runtime-core/testing`).
import type { JsonValue } from '../../core/types';
import { InMemoryKeyValue } from '../in-memory';
import { deepClone } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import type { PreferencesStore } from './store';

/** In-memory `PreferencesStore` (default scope GLOBAL). */
export class InMemoryPreferencesStore extends InMemoryKeyValue implements PreferencesStore {
  constructor(options: StoreScopeOptions = {}) {
    super(options, Scope.GLOBAL);
  }
  async getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>> {
    return Object.fromEntries([...this.data.of(scope)].map(([k, v]) => [k, deepClone(v)]));
  }
}
