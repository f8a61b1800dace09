// Durable budgets: a looping agent stops before the call past its budget with BUDGET_EXCEEDED
// and a `budget.exceeded` event, counted the same across a worker kill; the run's cost and
// tokens land in the AgentCostUsd / AgentTokens search attributes, so the run can be listed by
// cost. Real Temporal dev server (attributes registered by src/testing/temporal-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createAgentWorker } from '../../worker';
import { AgentRunner } from '../../src/client/runner';
import { eventsQuery } from '../../src/core/run-contract';
import type { RunEvent } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, uniqueQueue, type TestEnv } from './helpers';
import { waitUntil } from './tools-helpers';

let env: TestEnv;
let llm: MockLLMServer;
let bundlePath: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  llm = await startMockLLMServer();
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/obs-workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  bundlePath = join(mkdtempSync(join(tmpdir(), 'obs-budget-')), 'bundle.js');
  writeFileSync(bundlePath, bundle.code);
}, 60_000);
afterAll(async () => {
  await llm?.close();
  await env?.close();
});
afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/obs-worker-process.ts')],
    {
      env: {
        ...process.env,
        TASK_QUEUE: taskQueue,
        OBS_WORKFLOW_BUNDLE: bundlePath,
        OPENAI_BASE_URL: llm.openaiBaseURL,
      },
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

function modelRequests(): number {
  return llm.requests.filter((r) => r.path === '/v1/chat/completions').length;
}

test('a budget of 3 model calls stops a looping agent after exactly 3 calls, across a worker kill', async () => {
  llm.reset();
  const taskQueue = uniqueQueue('obs-budget-kill');
  // Call 2 is slow: the first worker dies while it runs; the second retries it.
  llm.enqueue(
    { type: 'text', content: 'one', model: 'test-model' },
    { type: 'text', content: 'two (slow)', model: 'test-model', delayMs: 4000 },
    { type: 'text', content: 'two again', model: 'test-model' },
    { type: 'text', content: 'three', model: 'test-model' },
    { type: 'text', content: 'four: never asked for', model: 'test-model' },
  );
  const first = await startWorkerProcess(taskQueue);
  const runner = new AgentRunner({
    client: env.client,
    config: {
      taskQueue,
      budget: { maxModelCalls: 3 },
      modelCall: { heartbeatTimeout: '2s', retry: { initialInterval: '100ms' } },
    },
  });
  const runId = `obs-budget-kill-${randomUUID()}`;
  const handle = await runner.start({
    agent: 'obs-looping',
    runId,
    inputData: { messages: [{ role: 'user', content: 'loop' }] },
  });
  await waitUntil(() => modelRequests() >= 2, 20_000, 'the second model call');
  first.kill('SIGKILL');
  await startWorkerProcess(taskQueue);
  const result = await handle.result();
  expect(result.error?.type).toBe('BUDGET_EXCEEDED');
  const events = await env.client.workflow.getHandle(runId).query(eventsQuery, 0);
  const log = Array.isArray(events) ? events : (events as { events: RunEvent[] }).events;
  const calls = log.filter((e) => e.type === 'assistant.message').map((e) => e.payload.turn);
  expect(calls).toEqual([1, 2, 3]);
  const exceeded = log.filter((e) => e.type === 'budget.exceeded');
  expect(exceeded.map((e) => e.payload)).toEqual([
    { limit: 'maxModelCalls', max: 3, used: 3, turn: 4 },
  ]);
  expect(log.at(-1)?.type).toBe('run.failed');
  // Four requests (call 2 twice, once per worker), three model calls; the fourth reply unused.
  expect(modelRequests()).toBe(4);
  expect(llm.queueLength).toBe(1);
}, 90_000);

test('a cost budget stops the run and the AgentCostUsd / AgentTokens attributes list it by cost', async () => {
  llm.reset();
  const taskQueue = uniqueQueue('obs-budget-cost');
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundlePath },
    activities: {
      llm: new OpenAIClient({
        apiKey: 'sk-test',
        baseURL: llm.openaiBaseURL,
        defaultModel: 'test-model',
      }),
      // 100 prompt + 0 completion tokens at $100 per million: $0.01 a call.
      modelPrices: { 'test-model': { promptPerMillion: 100, completionPerMillion: 0 } },
    },
  });
  for (let i = 0; i < 5; i++) {
    llm.enqueue({
      type: 'text',
      content: `reply ${i}`,
      model: 'test-model',
      usage: { promptTokens: 100, completionTokens: 0 },
    });
  }
  const runner = new AgentRunner({ client: env.client, config: { taskQueue } });
  const runId = `obs-budget-cost-${randomUUID()}`;
  const result = await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'obs-looping',
      runId,
      inputData: { messages: [{ role: 'user', content: 'loop' }] },
      budget: { maxCostUsd: 0.025 },
    });
    return handle.result();
  });
  expect(result.error?.type).toBe('BUDGET_EXCEEDED');
  expect(result.error?.details).toMatchObject({ limit: 'maxCostUsd', max: 0.025 });
  expect(modelRequests()).toBe(3);
  expect(result.usage.totalTokens).toBe(300);

  const description = await env.client.workflow.getHandle(runId).describe();
  expect(description.searchAttributes.AgentCostUsd?.[0]).toBeCloseTo(0.03, 6);
  expect(description.searchAttributes.AgentTokens).toEqual([300]);
  expect(description.searchAttributes.AgentStatus).toEqual(['failed']);
  // Listable by cost (visibility is eventually consistent).
  const listed = async (): Promise<string[]> => {
    const ids: string[] = [];
    for await (const w of env.client.workflow.list({
      query: `AgentCostUsd > 0.029 AND WorkflowId = '${runId}'`,
    })) {
      ids.push(w.workflowId);
    }
    return ids;
  };
  await waitUntil(async () => (await listed()).length === 1, 10_000, 'the run listed by cost');
}, 60_000);
