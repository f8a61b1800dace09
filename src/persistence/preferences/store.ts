// Node side only: the PreferencesStore interface (user preferences per scope).
import type { JsonValue } from '../../core/types';
import type { ScopeArg } from '../validation';

/** User preferences per scope. The default scope is GLOBAL (as in the seed). */
export interface PreferencesStore {
  get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void>;
  delete(key: string, scope?: ScopeArg): Promise<boolean>;
  /** Every preference of the scope. */
  getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>>;
  close(): Promise<void>;
}
