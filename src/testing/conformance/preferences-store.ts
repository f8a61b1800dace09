// Node side (tests only): the PreferencesStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { randomUUID } from 'node:crypto';
import { Scope } from '../../persistence/models';
import type { PreferencesStore } from '../../persistence/preferences/store';
import type { StoreFactory } from './helpers';
import { expectCode, scopeOptions, testRunner } from './helpers';

/**
 * The `PreferencesStore` contract: GLOBAL by default, scopes kept apart, bad keys refused.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describePreferencesStore(
  name: string,
  factory: StoreFactory<PreferencesStore>,
): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`PreferencesStore conformance: ${name}`, () => {
    let store: PreferencesStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    it('defaults to GLOBAL scope and keeps scopes apart', async () => {
      const key = `theme-${randomUUID()}`;
      await store.set(key, 'dark');
      expect(await store.get(key)).toBe('dark');
      expect(await store.get(key, Scope.GLOBAL)).toBe('dark');
      expect(await store.get(key, Scope.PROJECT)).toBeUndefined();
      await store.set(key, 'light', Scope.PROJECT);
      expect(await store.getAll(Scope.PROJECT)).toEqual({ [key]: 'light' });
      expect((await store.getAll())[key]).toBe('dark');
      expect(await store.delete(key)).toBe(true);
      expect(await store.delete(key)).toBe(false);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.get(key, Scope.PROJECT)).toBe('light');
    });

    it('rejects bad keys', async () => {
      await expectCode(store.set('\u0000', 'x', Scope.SESSION), 'VALIDATION_ERROR', 'key');
    });
  });
}
