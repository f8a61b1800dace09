// Node side only: what the in-memory stores share: per-scope partitions and the key/value base
// of the memory and preferences stores. Values are copied in and out so callers never alias
// stored state.
import { z } from 'zod';
import type { JsonValue } from '../core/types';
import { deepClone } from './logic';
import type { Scope } from './models';
import type { ScopeArg, ScopeContext, StoreScopeOptions } from './validation';
import { parseKey, parseModel, resolveScope, scopeKey, toScopeContext } from './validation';

const JsonValueSchema = z.json();

/** A per-scope map of maps: one map per resolved scope. */
export class Partitions<V> {
  private readonly parts = new Map<string, Map<string, V>>();
  constructor(
    private readonly ctx: ScopeContext,
    private readonly fallback: Scope,
  ) {}
  of(scope: ScopeArg | undefined): Map<string, V> {
    const key = scopeKey(resolveScope(scope, this.ctx, this.fallback));
    let part = this.parts.get(key);
    if (!part) {
      part = new Map();
      this.parts.set(key, part);
    }
    return part;
  }
}

/** get/set/delete over one partitioned map, shared by the in-memory memory and preferences stores. */
export class InMemoryKeyValue {
  protected readonly data: Partitions<JsonValue>;
  constructor(options: StoreScopeOptions, fallback: Scope) {
    this.data = new Partitions(toScopeContext(options), fallback);
  }
  async get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined> {
    const v = this.data.of(scope).get(parseKey(key));
    return v === undefined ? undefined : deepClone(v);
  }
  async set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void> {
    const k = parseKey(key);
    const v = parseModel(JsonValueSchema, value, 'value');
    this.data.of(scope).set(k, deepClone(v));
  }
  async delete(key: string, scope?: ScopeArg): Promise<boolean> {
    return this.data.of(scope).delete(parseKey(key));
  }
  async close(): Promise<void> {}
}
