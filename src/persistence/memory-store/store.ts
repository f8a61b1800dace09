// Node side only: the MemoryStore interface (key/value memory an agent keeps per scope).
import type { JsonValue } from '../../core/types';
import type { ScopeArg } from '../validation';

/**
 * Key/value memory an agent keeps per scope. Values are JSON. The default scope is PROJECT.
 * Every method validates its arguments and throws `VALIDATION_ERROR` on bad input.
 */
export interface MemoryStore {
  /** The value under `key`, or `undefined`. */
  get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined>;
  /** Stores `value` under `key`, replacing any previous value. */
  set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void>;
  /** Removes `key`; whether it existed. */
  delete(key: string, scope?: ScopeArg): Promise<boolean>;
  /** Keys in the scope, sorted; `prefix` matches literally (no wildcards). */
  listKeys(options?: { prefix?: string }, scope?: ScopeArg): Promise<string[]>;
  /** Removes every key in the scope; how many were removed. */
  clear(scope?: ScopeArg): Promise<number>;
  /** Releases resources the store owns. */
  close(): Promise<void>;
}
