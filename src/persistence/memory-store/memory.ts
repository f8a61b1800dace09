// Node side only: the in-memory MemoryStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describeMemoryStore` from `agent-runtime-core/testing`).
import { checkListKeys } from '../arguments';
import { InMemoryKeyValue } from '../in-memory';
import { compareCodePoints } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import type { MemoryStore } from './store';

/** In-memory `MemoryStore`. */
export class InMemoryMemoryStore extends InMemoryKeyValue implements MemoryStore {
  constructor(options: StoreScopeOptions = {}) {
    super(options, Scope.PROJECT);
  }
  async listKeys(options?: { prefix?: string }, scope?: ScopeArg): Promise<string[]> {
    const prefix = checkListKeys(options).prefix ?? '';
    return [...this.data.of(scope).keys()]
      .filter((k) => k.startsWith(prefix))
      .sort(compareCodePoints);
  }
  async clear(scope?: ScopeArg): Promise<number> {
    const part = this.data.of(scope);
    const n = part.size;
    part.clear();
    return n;
  }
}
