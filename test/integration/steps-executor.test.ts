// StepExecutor on the real dev server: the seed README's examples, retries, timeouts, progress,
// cancellation inside a step.
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { RunEvent } from '../../src/core/types';
import { InMemoryEventBus } from '../../src/events';
import { MockLLMClient } from '../../src/testing/mock-llm';
import type { RunHandle } from '../../src/client/runner';
import { stepCalls, steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.close();
});

async function withWorker<T>(fn: (tq: string) => Promise<T>): Promise<T> {
  const tq = uniqueQueue('steps');
  const worker: Worker = await createTestWorker(env, tq, new MockLLMClient(), { steps });
  return worker.runUntil(() => fn(tq));
}

async function allEvents(handle: RunHandle): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of handle.events({ follow: false })) out.push(e);
  return out;
}

const types = (events: RunEvent[]) => events.map((e) => e.type);
const callsOf = (runId: string) => stepCalls.filter((c) => c.runId === runId);
const newRunId = () => `steps-${randomUUID()}`;
const input = (params: Record<string, unknown> = {}) => ({ messages: [], params });

test('seed basic example: three steps in order, results by name, events in the seed order', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({ agent: 'steps-basic', runId, inputData: input() });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({
      fetch: { items: [1, 2, 3] },
      process: { processed: true, count: 3 },
      validate: { valid: true },
    });
    expect(callsOf(runId).map((c) => c.fn)).toEqual([
      'fetchData',
      'processData',
      'validateResults',
    ]);
    const events = await allEvents(handle);
    const perStep = ['step.started', 'progress.update', 'step.completed', 'state.checkpoint'];
    expect(types(events)).toEqual([
      'run.started',
      ...perStep,
      ...perStep,
      ...perStep,
      'progress.update',
      'run.succeeded',
    ]);
    const started = events.filter((e) => e.type === 'step.started').map((e) => e.payload);
    expect(started[1]).toEqual({
      stepName: 'process',
      stepIndex: 1,
      totalSteps: 3,
      attempt: 1,
      maxAttempts: 4,
      description: null,
    });
    const progress = events
      .filter((e) => e.type === 'progress.update')
      .map((e) => e.payload.progressPercent);
    expect(progress).toEqual([0, 33.3, 66.7, 100]);
    const completed = events.filter((e) => e.type === 'step.completed').map((e) => e.payload);
    for (const c of completed) expect(typeof c.durationMs).toBe('number');
    expect(completed.map((c) => c.stepName)).toEqual(['fetch', 'process', 'validate']);
    // The checkpoint query answers the executor's state.
    const cp = (await handle.checkpoint()) as {
      _step_executor_state: { completedSteps: string[] };
    };
    expect(cp._step_executor_state.completedSteps).toEqual(['fetch', 'process', 'validate']);
  });
});

test('seed step options example: description reaches the events, the step runs with its options', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({ agent: 'steps-options', runId, inputData: input() });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({
      fetch: { items: [1, 2, 3] },
      process: { processed: true, count: 3 },
    });
    const events = await allEvents(handle);
    const started = events.find(
      (e) => e.type === 'step.started' && e.payload.stepName === 'process',
    );
    expect(started?.payload).toMatchObject({ description: 'Process data', maxAttempts: 4 });
    const progress = events.find(
      (e) => e.type === 'progress.update' && e.payload.stepName === 'process',
    );
    expect(progress?.payload.description).toBe('Process data');
    // The activity carries the step's timeout as its start-to-close timeout.
    const history = await handle.workflow.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'runStep');
    expect(scheduled).toHaveLength(2);
    expect(Number(scheduled[1]?.startToCloseTimeout?.seconds)).toBe(30);
    expect(scheduled[1]?.retryPolicy?.maximumAttempts).toBe(1);
    // The UI shows each step activity with the step's name in its summary.
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runStep')
      .map((e) => {
        const data = e.userMetadata?.summary?.data;
        return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined;
      });
    expect(summaries).toEqual(['step fetch (1/2)', 'step process (2/2) attempt 1/4']);
  });
});

test('seed custom state example: steps share and change the state (counter becomes 2)', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const result = await runner.execute({
      agent: 'steps-custom-state',
      runId: newRunId(),
      inputData: input(),
    });
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({
      results: { step1: 'done', step2: 2 },
      state: { counter: 2 },
    });
  });
});

test('a step failing twice with retries 3 / retryDelay 1s: three attempts about a second apart', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [{ name: 'flaky', fn: 'flaky', options: { retries: 3, retryDelay: 1 } }],
        initialState: { failTimes: 2 },
      }),
    });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toMatchObject({ results: { flaky: { succeededOnAttempt: 3 } } });
    const calls = callsOf(runId);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    for (let i = 1; i < calls.length; i++) {
      const gap = (calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(3000);
    }
    const events = await allEvents(handle);
    const retrying = events.filter((e) => e.type === 'step.retrying').map((e) => e.payload);
    expect(retrying).toEqual([
      {
        stepName: 'flaky',
        stepIndex: 0,
        attempt: 1,
        maxAttempts: 4,
        error: 'Error: flaky failure 1',
        retryDelayMs: 1000,
      },
      {
        stepName: 'flaky',
        stepIndex: 0,
        attempt: 2,
        maxAttempts: 4,
        error: 'Error: flaky failure 2',
        retryDelayMs: 1000,
      },
    ]);
    expect(events.filter((e) => e.type === 'step.started').map((e) => e.payload.attempt)).toEqual([
      1, 2, 3,
    ]);
    expect(events.find((e) => e.type === 'step.completed')?.payload.attempt).toBe(3);
  });
});

test('retries exhausted: the run fails with StepExecutionError naming step, attempts and last error', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [
          {
            name: 'always',
            fn: 'flaky',
            options: { retry: { maximumAttempts: 2, initialInterval: '200ms' } },
          },
        ],
        initialState: { failTimes: 99 },
      }),
    });
    const result = await handle.result();
    expect(result.error?.type).toBe('STEP_EXECUTION_ERROR');
    expect(result.error?.message).toBe(
      "Step 'always' failed after 2 attempts: Error: flaky failure 2",
    );
    expect(result.error?.details).toEqual({
      stepName: 'always',
      attempts: 2,
      error: 'Error: flaky failure 2',
    });
    const events = await allEvents(handle);
    expect(events.find((e) => e.type === 'step.failed')?.payload).toEqual({
      stepName: 'always',
      stepIndex: 0,
      totalSteps: 1,
      attempts: 2,
      error: 'Error: flaky failure 2',
    });
    expect(types(events).slice(-2)).toEqual(['step.failed', 'run.failed']);
  });
});

test('a failure type listed in retry.nonRetryableErrorTypes is not retried', async () => {
  await withWorker(async (tq) => {
    const runId = newRunId();
    const result = await testRunner(env, tq).execute({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [
          {
            name: 'fussy',
            fn: 'flaky',
            options: { retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['Error'] } },
          },
        ],
        initialState: { failTimes: 99 },
      }),
    });
    expect(result.error?.message).toBe(
      "Step 'fussy' failed after 1 attempt: Error: flaky failure 1",
    );
    expect(callsOf(runId).map((c) => c.attempt)).toEqual([1]);
  });
});

test('a step exceeding its timeout fails as timed out and is retried per its policy', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [
          {
            name: 'slow',
            fn: 'slow',
            options: {
              startToCloseTimeout: '1s',
              retry: { maximumAttempts: 2, initialInterval: 500 },
            },
          },
        ],
        initialState: { slowMs: 5000, slowAttempts: 1 },
      }),
    });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toMatchObject({ results: { slow: { attempt: 2 } } });
    const events = await allEvents(handle);
    const retrying = events.find((e) => e.type === 'step.retrying');
    expect(retrying?.payload).toMatchObject({ attempt: 1, error: 'Step timed out after 1s' });
    // The timed-out attempt was told to stop through its AbortSignal.
    const first = callsOf(runId).find((c) => c.attempt === 1);
    expect(first?.abortedAt).toBeDefined();
    expect(first?.finishedAt).toBeUndefined();
  });
});

test('a step timing out on every attempt fails the run as timed out', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const result = await runner.execute({
      agent: 'steps-configured',
      runId: newRunId(),
      inputData: input({
        steps: [{ name: 'slow', fn: 'slow', options: { timeout: 1 } }],
        initialState: { slowMs: 5000, slowAttempts: 9 },
      }),
    });
    expect(result.error?.type).toBe('STEP_EXECUTION_ERROR');
    expect(result.error?.message).toBe(
      "Step 'slow' failed after 1 attempt: Step timed out after 1s",
    );
  });
});

test('progress from inside a step reaches watching clients live through history, coarsely, ending at 100', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [
          { name: 'first', fn: 'visit' },
          { name: 'long', fn: 'longRunning' },
        ],
        initialState: { longMs: 3000 },
      }),
    });
    const seen: { e: RunEvent; at: number }[] = [];
    for await (const e of handle.events()) seen.push({ e, at: Date.now() });
    const inStep = seen.filter(
      (x) => x.e.type === 'progress.update' && x.e.payload.stepPercent !== undefined,
    );
    // Without a transient bus, progress goes through history: the first at once, then at most
    // one per 5 s when it changed, and the final value: 2 for this 3 s step (not ~30 reports).
    expect(inStep).toHaveLength(2);
    const signals = ((await handle.workflow.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes,
    );
    expect(signals).toHaveLength(2);
    const percents = inStep.map((x) => x.e.payload.stepPercent as number);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(percents.at(-1)).toBe(100);
    // Overall progress of step 2 of 2 runs from 50 to 100.
    for (const x of inStep) expect(x.e.payload.progressPercent).toBeGreaterThanOrEqual(50);
    // Live: the first in-step update arrived well before the step completed.
    const completedAt = seen.find(
      (x) => x.e.type === 'step.completed' && x.e.payload.stepName === 'long',
    )?.at;
    expect((completedAt ?? 0) - (inStep[0]?.at ?? 0)).toBeGreaterThan(1500);
    const last = seen.filter((x) => x.e.type === 'progress.update').at(-1);
    expect(last?.e.payload.progressPercent).toBe(100);
  });
});

test('with a transient event bus, fine-grained step progress goes live outside history', async () => {
  const bus = new InMemoryEventBus();
  const tq = uniqueQueue('steps');
  const worker = await createTestWorker(env, tq, new MockLLMClient(), { steps, eventBus: bus });
  await worker.runUntil(async () => {
    const runner = testRunner(env, tq, {}, { eventBus: bus });
    const handle = await runner.start({
      agent: 'steps-configured',
      runId: newRunId(),
      inputData: input({
        steps: [
          { name: 'first', fn: 'visit' },
          { name: 'long', fn: 'longRunning' },
        ],
        initialState: { longMs: 3000 },
      }),
    });
    const seen: { e: RunEvent; at: number }[] = [];
    for await (const e of handle.events()) seen.push({ e, at: Date.now() });
    const live = seen.filter((x) => x.e.type === 'progress.update' && x.e.payload.transient);
    // Reports every 100 ms, published at most every 250 ms: about 12 in 3 s.
    expect(live.length).toBeGreaterThanOrEqual(6);
    const percents = live.map((x) => x.e.payload.stepPercent as number);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(percents.at(-1)).toBe(100);
    expect(live[0]?.e.payload).toMatchObject({ stepName: 'long', stepIndex: 1, totalSteps: 2 });
    for (const x of live) expect(x.e.payload.progressPercent).toBeGreaterThanOrEqual(50);
    const completedAt = seen.find(
      (x) => x.e.type === 'step.completed' && x.e.payload.stepName === 'long',
    )?.at;
    expect((completedAt ?? 0) - (live[0]?.at ?? 0)).toBeGreaterThan(1500);
    // History holds only the coarse durable progress: 2 signals.
    const signals = ((await handle.workflow.fetchHistory()).events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes,
    );
    expect(signals).toHaveLength(2);
    const durable = (await allEvents(handle)).filter(
      (e) => e.type === 'progress.update' && e.payload.stepPercent !== undefined,
    );
    expect(durable.map((e) => e.payload.stepPercent).at(-1)).toBe(100);
    expect(durable.some((e) => e.payload.transient)).toBe(false);
  });
});

test('cancel inside a long step: its AbortSignal fires and the run ends cancelled within 2 s', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [
          { name: 'long', fn: 'longRunning' },
          { name: 'after', fn: 'visit' },
        ],
        initialState: { longMs: 60_000 },
      }),
    });
    const deadline = Date.now() + 20_000;
    while (!callsOf(runId).some((c) => c.fn === 'longRunning') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const call = callsOf(runId)[0];
    expect(call?.fn).toBe('longRunning');
    const t0 = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.error?.type).toBe('RUN_CANCELLED');
    const abortDeadline = Date.now() + 5000;
    while (call?.abortedAt === undefined && Date.now() < abortDeadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(call?.abortedAt).toBeDefined();
    expect((call?.abortedAt ?? 0) - t0).toBeLessThan(2000);
    expect(call?.finishedAt).toBeUndefined();
    // The step after it never ran.
    expect(callsOf(runId).map((c) => c.stepName)).toEqual(['long']);
    const events = await allEvents(handle);
    expect(types(events).at(-1)).toBe('run.cancelled');
  });
});

test('an unknown step function fails the step at once with STEP_NOT_FOUND, without retries', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const result = await runner.execute({
      agent: 'steps-configured',
      runId: newRunId(),
      inputData: input({
        steps: [{ name: 'x', fn: 'noSuchStep', options: { retries: 3 } }],
      }),
    });
    expect(result.error?.type).toBe('STEP_EXECUTION_ERROR');
    expect(result.error?.details).toMatchObject({ stepName: 'x', attempts: 1 });
    expect(result.error?.message).toContain('STEP_NOT_FOUND: No step function "noSuchStep"');
  });
});

test('bad step options fail the run with INVALID_INPUT naming the option', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const result = await runner.execute({
      agent: 'steps-configured',
      runId: newRunId(),
      inputData: input({ steps: [{ name: 'x', fn: 'visit', options: { retries: -1 } }] }),
    });
    expect(result.error?.type).toBe('INVALID_INPUT');
    expect(result.error?.message).toContain('retries');
  });
});

test('cancel while waiting to retry a step: the run ends cancelled at once, no further attempt', async () => {
  await withWorker(async (tq) => {
    const runner = testRunner(env, tq);
    const runId = newRunId();
    const handle = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: input({
        steps: [{ name: 'flaky', fn: 'flaky', options: { retries: 2, retryDelay: 60 } }],
        initialState: { failTimes: 1 },
      }),
    });
    for await (const e of handle.events()) if (e.type === 'step.retrying') break;
    const t0 = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.error?.type).toBe('RUN_CANCELLED');
    expect(callsOf(runId).map((c) => c.attempt)).toEqual([1]);
  });
});
