// Node side (tests only): the MemoryStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { Scope } from '../../persistence/models';
import type { StoreScopeOptions } from '../../persistence/validation';
import type { MemoryStore } from '../../persistence/memory-store/store';
import type { StoreFactory } from './helpers';
import { expectCode, HOSTILE_TEXTS, scopeOptions, testRunner } from './helpers';

/**
 * The `MemoryStore` contract: JSON values by key, copies in and out, scopes kept apart, literal
 * prefix listing, hostile values intact, bad keys and values refused with `VALIDATION_ERROR`.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describeMemoryStore(name: string, factory: StoreFactory<MemoryStore>): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`MemoryStore conformance: ${name}`, () => {
    let store: MemoryStore;
    let opts: StoreScopeOptions;
    beforeEach(async () => {
      opts = scopeOptions();
      store = await factory(opts);
    });
    afterEach(async () => store.close());

    it('gets, sets, overwrites and deletes JSON values', async () => {
      expect(await store.get('missing')).toBeUndefined();
      await store.set('user_name', 'Alice');
      expect(await store.get('user_name')).toBe('Alice');
      await store.set('user_name', { first: 'Alice', tags: [1, true, null] });
      expect(await store.get('user_name')).toEqual({ first: 'Alice', tags: [1, true, null] });
      expect(await store.delete('user_name')).toBe(true);
      expect(await store.delete('user_name')).toBe(false);
      expect(await store.get('user_name')).toBeUndefined();
    });

    it('returns copies, not references', async () => {
      const value = { n: 1 };
      await store.set('k', value);
      value.n = 2;
      const got = (await store.get('k')) as { n: number };
      expect(got.n).toBe(1);
      got.n = 3;
      expect(await store.get('k')).toEqual({ n: 1 });
    });

    it('keeps GLOBAL, PROJECT, SESSION and different projects apart', async () => {
      await store.set('k', 'project');
      await store.set('k', 'global', Scope.GLOBAL);
      await store.set('k', 'session', Scope.SESSION);
      await store.set('k', 'other-project', {
        scope: 'project',
        projectId: `${opts.projectId}-other`,
      });
      await store.set('k', 'other-session', { scope: 'session', sessionId: 'another' });
      expect(await store.get('k')).toBe('project');
      expect(await store.get('k', Scope.PROJECT)).toBe('project');
      expect(await store.get('k', Scope.GLOBAL)).toBe('global');
      expect(await store.get('k', Scope.SESSION)).toBe('session');
      expect(await store.get('k', { scope: 'session', sessionId: 'another' })).toBe(
        'other-session',
      );
      expect(await store.clear(Scope.SESSION)).toBe(1);
      expect(await store.get('k', Scope.SESSION)).toBeUndefined();
      expect(await store.get('k')).toBe('project');
      await store.clear(Scope.GLOBAL);
    });

    it('rejects SESSION scope without a session id', async () => {
      const noSession = await factory({ projectId: opts.projectId ?? 'x' });
      await expectCode(noSession.get('k', Scope.SESSION), 'VALIDATION_ERROR', 'scope.sessionId');
      await noSession.close();
    });

    it('lists keys sorted, with prefixes matched literally', async () => {
      const keys = ['a%b', 'a_b', 'axb', 'a\\b', "a'b", 'ab', 'b', 'a%'];
      for (const k of keys) await store.set(k, k);
      expect(await store.listKeys()).toEqual([...keys].sort());
      expect(await store.listKeys({ prefix: 'a%' })).toEqual(['a%', 'a%b']);
      expect(await store.listKeys({ prefix: 'a_' })).toEqual(['a_b']);
      expect(await store.listKeys({ prefix: 'a\\' })).toEqual(['a\\b']);
      expect(await store.listKeys({ prefix: "a'" })).toEqual(["a'b"]);
      expect(await store.listKeys({ prefix: 'zz' })).toEqual([]);
      expect(await store.clear()).toBe(keys.length);
      expect(await store.listKeys()).toEqual([]);
    });

    it('stores hostile text values intact', async () => {
      for (const [k, v] of Object.entries(HOSTILE_TEXTS)) {
        await store.set(k, { v });
        expect(await store.get(k)).toEqual({ v });
      }
    });

    it('refuses non-string keys, deep values and bad options the same way everywhere', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 10_000; i++) deep = [deep];
      await expectCode(store.get(deep as string), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('k', deep as never), 'VALIDATION_ERROR', 'value');
      await expectCode(store.delete({} as string), 'VALIDATION_ERROR', 'key');
      await expectCode(
        store.listKeys({ prefix: null as unknown as string }),
        'VALIDATION_ERROR',
        'options.prefix',
      );
      await store.set('k', -0);
      expect(Object.is(await store.get('k'), 0)).toBe(true);
    });

    it('rejects bad keys and non-JSON values with a typed error', async () => {
      await expectCode(store.set('', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('a\u0000b', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('a\uD800', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.get('\uDC00'), 'VALIDATION_ERROR', 'key');
      // a prefix is matched as is: a lone surrogate or NUL could not match the same keys everywhere
      await expectCode(store.listKeys({ prefix: 'a\uD800' }), 'VALIDATION_ERROR', 'options.prefix');
      await expectCode(store.listKeys({ prefix: 'a\u0000' }), 'VALIDATION_ERROR', 'options.prefix');
      await expectCode(store.set('k', Number.NaN), 'VALIDATION_ERROR', 'value');
      await expectCode(store.set('k', { d: new Date() } as never), 'VALIDATION_ERROR');
      expect(await store.listKeys()).toEqual([]);
    });
  });
}
