// A default StepExecutor run logs no WARN: the default step timeout (1 h) is above the default
// runTimeout (300 s), which must not warn on every run. A step whose timeout was set above the time
// the run has left still warns, once. Captured from the worker's logger (the Runtime's, which the
// workflow log sink and the activities' loggers both feed) below its level filter.
import { randomUUID } from 'node:crypto';
import { Runtime } from '@temporalio/worker';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.close();
});

interface Logged {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** Runs `fn` with a worker, recording every log call the Runtime's logger receives meanwhile. */
async function loggedDuring(fn: (tq: string) => Promise<void>): Promise<Logged[]> {
  const logged: Logged[] = [];
  const logger = Runtime.instance().logger;
  const spy = jest.spyOn(logger, 'log').mockImplementation((level, message, meta) => {
    logged.push({ level, message, ...(meta ? { meta } : {}) });
  });
  try {
    const tq = uniqueQueue('steps-warn');
    const worker = await createTestWorker(env, tq, new MockLLMClient(), { steps });
    await worker.runUntil(() => fn(tq));
  } finally {
    spy.mockRestore();
  }
  return logged;
}

const warnings = (logged: Logged[]) =>
  logged.filter((l) => l.level === 'WARN' || l.level === 'ERROR').map((l) => l.message);
const runIdOf = (l: Logged): unknown => l.meta?.workflowId;

test('a default StepExecutor run (no step timeout, default runTimeout) logs no WARN', async () => {
  const runId = `steps-warn-${randomUUID()}`;
  const logged = await loggedDuring(async (tq) => {
    const result = await testRunner(env, tq)
      .start({ agent: 'steps-basic', runId, inputData: { messages: [], params: {} } })
      .then((h) => h.result());
    expect(result.error).toBeUndefined();
  });
  // The capture works: the worker logged this run's workflow and activities (below WARN).
  expect(logged.filter((l) => runIdOf(l) === runId).length).toBeGreaterThan(0);
  expect(warnings(logged)).toEqual([]);
});

test('a step timeout set above the run timeout warns once, naming both', async () => {
  const runId = `steps-warn-${randomUUID()}`;
  const logged = await loggedDuring(async (tq) => {
    const params = {
      steps: [
        { name: 'fetch', fn: 'fetchData', options: { timeout: 7200 } },
        { name: 'process', fn: 'processData' },
      ],
    };
    const result = await testRunner(env, tq, { runTimeout: '300s' })
      .start({ agent: 'steps-configured', runId, inputData: { messages: [], params } })
      .then((h) => h.result());
    expect(result.error).toBeUndefined();
  });
  const warned = logged.filter((l) => l.level === 'WARN');
  expect(warned.map((l) => l.message)).toEqual([
    expect.stringMatching(/^StepExecutor: a step may run up to 7200s but the run times out in \d/),
  ]);
  expect(runIdOf(warned[0] as Logged)).toBe(runId);
});
