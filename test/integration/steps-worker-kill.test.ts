// SIGKILL of the worker in the middle of step 2 of 3: a new worker finishes the run; step 1 ran once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/core/types';
import { connectTestEnv, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
const children: ChildProcess[] = [];
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.close();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChild));
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function startWorkerProcess(
  taskQueue: string,
  extraEnv: Record<string, string>,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/step-worker-process.ts')],
    {
      env: { ...process.env, TASK_QUEUE: taskQueue, ...extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker-ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}

function logLines(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGKILL of the worker during step 2 of 3: a new worker finishes, step 1 ran once', async () => {
  const tq = uniqueQueue('steps-kill');
  const log = join(mkdtempSync(join(tmpdir(), 'steps-kill-')), 'calls.log');
  const first = await startWorkerProcess(tq, { STEP_LOG_FILE: log, STEP_HANG: 'step2' });
  const runner = testRunner(env, tq);
  const handle = await runner.start({
    agent: 'steps-configured',
    runId: `kill-${randomUUID()}`,
    inputData: {
      messages: [],
      params: {
        steps: ['step1', 'step2', 'step3'].map((name) => ({
          name,
          fn: 'visit',
          options: { heartbeatTimeout: '2s' },
        })),
      },
    },
  });
  await waitFor(() => logLines(log).some((l) => l[1] === 'step2'), 20_000);
  await stopChild(first);
  const second = await startWorkerProcess(tq, { STEP_LOG_FILE: log });
  const result = await handle.result();
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({
    results: { step1: 'step1-done', step2: 'step2-done', step3: 'step3-done' },
    state: { visited: ['step1', 'step2', 'step3'] },
  });
  const lines = logLines(log);
  const firstPid = String(first.pid);
  const secondPid = String(second.pid);
  // [fn, step, attempt, pid]: step 1 once on the killed worker, step 2 started there and again on
  // the new one (same attempt: a lost worker does not use up a retry), step 3 on the new one.
  expect(lines).toEqual([
    ['visit', 'step1', '1', firstPid],
    ['visit', 'step2', '1', firstPid],
    ['visit', 'step2', '1', secondPid],
    ['visit', 'step3', '1', secondPid],
  ]);
  const events: RunEvent[] = [];
  for await (const e of handle.events({ follow: false })) events.push(e);
  expect(events.filter((e) => e.type === 'step.started').map((e) => e.payload.stepName)).toEqual([
    'step1',
    'step2',
    'step3',
  ]);
  expect(events.some((e) => e.type === 'step.retrying' || e.type === 'step.failed')).toBe(false);
});
