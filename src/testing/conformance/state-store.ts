// Node side: the StateStore conformance suite of `agent-runtime-core/testing`: every backend (ours
// and yours) runs the same tests, so they cannot drift apart.
import { randomUUID } from 'node:crypto';
import type { StateStore } from '../../state/state-store';
import { HOSTILE_TEXTS, expectCode, testRunner } from './helpers';

/** Builds the store one test uses; the suite closes it after the test. */
export type StateStoreFactory = () => Promise<StateStore>;

/**
 * Declares the `StateStore` contract as a `describe` block of tests for one backend: checkpoints
 * kept per run as copies (hostile strings intact), statuses with details, typed validation
 * errors. Every test uses fresh run ids, so stores may share a database or key prefix.
 *
 * Call it at the top level of a test file run by Jest, or by Vitest with `globals: true`: it uses
 * the runner's global `describe`, `it`, `beforeEach`, `afterEach` and `expect`.
 *
 * @example
 * describeStateStore('redis', async () => new RedisStateStore({ client: redis, keyPrefix }));
 */
export function describeStateStore(name: string, factory: StateStoreFactory): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`StateStore conformance: ${name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => store.close());

    it('keeps the latest checkpoint per run, as a copy', async () => {
      const run = `run-${randomUUID()}`;
      expect(await store.getCheckpoint(run)).toBeNull();
      const state = { step: 1, items: ['a'] };
      await store.saveCheckpoint(run, state);
      state.items.push('mutated');
      await store.saveCheckpoint(`${run}-other`, { other: true });
      expect(await store.getCheckpoint(run)).toEqual({ step: 1, items: ['a'] });
      await store.saveCheckpoint(run, {
        step: 2,
        text: HOSTILE_TEXTS.nul!,
        odd: HOSTILE_TEXTS.loneHigh!,
      });
      expect(await store.getCheckpoint(run)).toEqual({
        step: 2,
        text: HOSTILE_TEXTS.nul,
        odd: HOSTILE_TEXTS.loneHigh,
      });
    });

    it('records run statuses with details', async () => {
      const run = `run-${randomUUID()}`;
      expect(await store.getRunStatus(run)).toBeNull();
      await store.updateRunStatus(run, 'running');
      expect(await store.getRunStatus(run)).toMatchObject({
        runId: run,
        status: 'running',
        details: {},
      });
      await store.updateRunStatus(run, 'failed', { error: 'boom' });
      const s = await store.getRunStatus(run);
      expect(s).toMatchObject({ status: 'failed', details: { error: 'boom' } });
      expect(s?.updatedAt).toBeInstanceOf(Date);
    });

    it('rejects bad input with typed errors', async () => {
      await expectCode(store.saveCheckpoint('a\u0000b', {}), 'VALIDATION_ERROR', 'runId');
      await expectCode(store.saveCheckpoint('r', { x: Number.NaN }), 'VALIDATION_ERROR');
      await expectCode(
        store.updateRunStatus('r', 'exploded' as never),
        'VALIDATION_ERROR',
        'status',
      );
      await expectCode(store.getCheckpoint(''), 'VALIDATION_ERROR', 'runId');
      await expectCode(store.saveCheckpoint('a\uD800', {}), 'VALIDATION_ERROR', 'runId');
      await expectCode(store.getRunStatus('\uDC00b'), 'VALIDATION_ERROR', 'runId');
    });

    it('keeps lone surrogates and NUL in JSON keys and values exactly', async () => {
      const run = `run-${randomUUID()}`;
      const value = { '\uD800k': '\uDC00v', 'n\u0000': ['\u0000', { '\uDBFF': 'x\uD800' }] };
      await store.saveCheckpoint(run, value);
      expect(await store.getCheckpoint(run)).toEqual(value);
      await store.updateRunStatus(run, 'running', value);
      expect((await store.getRunStatus(run))?.details).toEqual(value);
    });
  });
}
