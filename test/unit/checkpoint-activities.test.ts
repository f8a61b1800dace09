// The checkpoint activities on a worker without a state store: a clear, non-retryable
// CONFIG_MISSING (runs only schedule them when they asked for checkpoints).
import { ApplicationFailure } from '@temporalio/common';
import { createCheckpointActivities } from '../../activities/checkpoint';
import { InMemoryStateStore } from '../../src/state';

test('without a state store, saving and loading fail with CONFIG_MISSING, not retried', async () => {
  const acts = createCheckpointActivities({});
  for (const call of [
    () => acts.saveRunCheckpoint({ runId: 'r', state: { a: 1 } }),
    () => acts.loadRunCheckpoint({ runId: 'r' }),
  ]) {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'CONFIG_MISSING', nonRetryable: true });
    expect((err as Error).message).toContain('stateStore');
  }
});

test('with a state store: saved, then loaded', async () => {
  const acts = createCheckpointActivities({ stateStore: new InMemoryStateStore() });
  expect(await acts.loadRunCheckpoint({ runId: 'r' })).toBeNull();
  expect(await acts.saveRunCheckpoint({ runId: 'r', state: { a: 1 } })).toEqual({ saved: true });
  expect(await acts.loadRunCheckpoint({ runId: 'r' })).toEqual({ a: 1 });
});
