// Resuming a step list across runs (same run id) through a real Postgres state store, and the
// seed README's resume example with the in-memory state store.
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../src/core/types';
import { InMemoryStateStore, PostgresStateStore, type StateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import type { RunHandle } from '../../src/client/runner';
import { stepCalls, stepControl, steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let pg: TestSchema;
beforeAll(async () => {
  env = await connectTestEnv();
  pg = await createTestSchema('steps_resume');
});
afterAll(async () => {
  await pg?.drop();
  await env?.close();
});

async function allEvents(handle: RunHandle): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of handle.events({ follow: false })) out.push(e);
  return out;
}

const visits = (runId: string) => stepCalls.filter((c) => c.runId === runId).map((c) => c.stepName);
const threeSteps = (names = ['step1', 'step2', 'step3']) =>
  names.map((name) => ({ name, fn: 'visit' }));

async function withWorker<T>(stateStore: StateStore, fn: (tq: string) => Promise<T>): Promise<T> {
  const tq = uniqueQueue('steps-resume');
  const worker = await createTestWorker(env, tq, new MockLLMClient(), { steps, stateStore });
  return worker.runUntil(() => fn(tq));
}

test('a run failing at step 3, then a new run with the same run id: steps 1-2 skipped, the run completes (Postgres state store)', async () => {
  const store = new PostgresStateStore({ pool: pg.pool });
  await withWorker(store, async (tq) => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `resume-${randomUUID()}`;
    stepControl.failing.add(`${runId}/step3`);
    const first = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    const r1 = await first.result();
    expect(r1.error?.type).toBe('STEP_EXECUTION_ERROR');
    expect(r1.error?.details).toMatchObject({ stepName: 'step3', attempts: 1 });
    // What the run left in Postgres: steps 1 and 2 done, with the state they built.
    const saved = (await store.getCheckpoint(runId)) as {
      _step_executor_state: { completedSteps: string[]; customState: unknown };
    };
    expect(saved._step_executor_state.completedSteps).toEqual(['step1', 'step2']);
    expect(saved._step_executor_state.customState).toEqual({ visited: ['step1', 'step2'] });

    stepControl.failing.delete(`${runId}/step3`);
    const second = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    const r2 = await second.result();
    expect(r2.error).toBeUndefined();
    expect(r2.finalOutput).toEqual({
      results: { step1: 'step1-done', step2: 'step2-done', step3: 'step3-done' },
      state: { visited: ['step1', 'step2', 'step3'] },
    });
    // Steps 1 and 2 ran once in all; step 3 twice (the failure, then the resumed run).
    expect(visits(runId)).toEqual(['step1', 'step2', 'step3', 'step3']);
    const events = await allEvents(second);
    expect(events.filter((e) => e.type === 'step.skipped').map((e) => e.payload)).toEqual([
      { stepName: 'step1', stepIndex: 0, totalSteps: 3, reason: 'already_completed' },
      { stepName: 'step2', stepIndex: 1, totalSteps: 3, reason: 'already_completed' },
    ]);
    expect(events.filter((e) => e.type === 'step.started').map((e) => e.payload.stepName)).toEqual([
      'step3',
    ]);
    // Two executions of one workflow id.
    expect(second.workflow.workflowId).toBe(first.workflow.workflowId);

    // A changed step list that makes the checkpoint unusable: a clear typed error.
    const third = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps(['step1', 'renamed', 'step3']) } },
    });
    expect(third.error?.type).toBe('STEP_CHECKPOINT_INCOMPATIBLE');
    expect(third.error?.message).toContain('completed step "step2" is no longer in the list');
    expect(visits(runId)).toHaveLength(4);

    // Added steps after the completed ones are fine: only the new one runs.
    const fourth = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: {
        messages: [],
        params: { steps: threeSteps(['step1', 'step2', 'step3', 'step4']) },
      },
    });
    expect(fourth.error).toBeUndefined();
    expect(visits(runId).slice(4)).toEqual(['step4']);

    // resume: false runs everything again from the initial state.
    const fifth = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps(), resume: false } },
    });
    expect(fifth.error).toBeUndefined();
    expect(fifth.finalOutput).toMatchObject({ state: { visited: ['step1', 'step2', 'step3'] } });
    expect(visits(runId).slice(5)).toEqual(['step1', 'step2', 'step3']);
  });
});

test('seed resume example: the first run completes step1 and fails in step2; the second skips step1', async () => {
  const store = new InMemoryStateStore();
  await withWorker(store, async (tq) => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `resume-${randomUUID()}`;
    stepControl.failing.add(`${runId}/step2`);
    const r1 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    expect(r1.error?.details).toMatchObject({ stepName: 'step2' });
    stepControl.failing.delete(`${runId}/step2`);
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    const r2 = await handle.result();
    expect(r2.error).toBeUndefined();
    expect(visits(runId)).toEqual(['step1', 'step2', 'step2', 'step3']);
    const events = await allEvents(handle);
    expect(events.filter((e) => e.type === 'step.skipped').map((e) => e.payload.stepName)).toEqual([
      'step1',
    ]);
  });
});

test('a step with checkpoint: false is only saved with the next checkpointing step, so a resume runs it again', async () => {
  const store = new PostgresStateStore({ pool: pg.pool });
  await withWorker(store, async (tq) => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `resume-${randomUUID()}`;
    const list = [
      { name: 'a', fn: 'visit' },
      { name: 'b', fn: 'visit', options: { checkpoint: false } },
      { name: 'c', fn: 'visit' },
    ];
    stepControl.failing.add(`${runId}/c`);
    const r1 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: list } },
    });
    expect(r1.error?.details).toMatchObject({ stepName: 'c' });
    const saved = (await store.getCheckpoint(runId)) as {
      _step_executor_state: { completedSteps: string[] };
    };
    expect(saved._step_executor_state.completedSteps).toEqual(['a']);
    stepControl.failing.delete(`${runId}/c`);
    const r2 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: list } },
    });
    expect(r2.error).toBeUndefined();
    expect(visits(runId)).toEqual(['a', 'b', 'c', 'b', 'c']);
    expect(r2.finalOutput).toMatchObject({ state: { visited: ['a', 'b', 'c'] } });
  });
});

test('resume: false neither loads nor merges an earlier execution checkpoint', async () => {
  const store = new PostgresStateStore({ pool: pg.pool });
  await withWorker(store, async (tq) => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `resume-${randomUUID()}`;
    // An earlier execution with this run id left { count: 1 } in the store.
    const probe = await runner.execute({
      agent: 'checkpoint-probe',
      runId,
      inputData: { messages: [] },
    });
    expect(probe.error).toBeUndefined();
    expect(await store.getCheckpoint(runId)).toEqual({ count: 1 });

    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps(), resume: false } },
    });
    const r = await handle.result();
    expect(r.error).toBeUndefined();
    expect(visits(runId)).toEqual(['step1', 'step2', 'step3']);
    const saved = (await store.getCheckpoint(runId)) as Record<string, unknown>;
    // Only this execution's state: the old `count` is not carried over.
    expect(Object.keys(saved)).toEqual(['_step_executor_state']);
    const history = await handle.workflow.fetchHistory();
    const loads = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadRunCheckpoint',
    );
    expect(loads).toHaveLength(0);
  });
});

test('clearCheckpointOnSuccess: a finished run leaves no executor state, so the next run with its id starts over', async () => {
  const store = new PostgresStateStore({ pool: pg.pool });
  await withWorker(store, async (tq) => {
    const runner = testRunner(env, tq, {}, { persistence: { checkpoints: true } });
    const runId = `resume-${randomUUID()}`;
    const params = { steps: threeSteps(), clearCheckpointOnSuccess: true };
    const r1 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params },
    });
    expect(r1.error).toBeUndefined();
    expect(await store.getCheckpoint(runId)).toEqual({});
    const r2 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params },
    });
    expect(r2.error).toBeUndefined();
    expect(visits(runId)).toEqual(['step1', 'step2', 'step3', 'step1', 'step2', 'step3']);

    // Without the option (the default) the finished checkpoint stays: a third run skips all.
    const r3 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    expect(r3.error).toBeUndefined();
    expect(visits(runId)).toHaveLength(9);
    const r4 = await runner.execute({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params: { steps: threeSteps() } },
    });
    expect(r4.finalOutput).toMatchObject({ results: { step3: 'step3-done' } });
    expect(visits(runId)).toHaveLength(9);
  });
});
