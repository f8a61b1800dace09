// Tests behave like runs: the same agent, given the same model answers, produces the same events
// (types, payloads, sequence), usage and result through `runAgentTest` with a scripted
// `MockLLMClient` as on Temporal (a real worker calling the local model server through the OpenAI
// client). Only timestamps and latency values may differ.
import { randomUUID } from 'node:crypto';
import type { RunEvent, RunResult, Usage } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import {
  createTestContext,
  runAgentTest,
  type MockRunContext,
} from '../../src/testing/mock-context';
import { MockLLMClient, type MockResponse } from '../../src/testing/mock-llm';
import { RunParityAgent } from '../fixtures/parity-agents';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
let server: MockLLMServer;
beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});
afterEach(() => server.reset());

/** One model answer, given to both sides: the local server (Temporal) and the scripted mock. */
interface Answer {
  content: string;
  promptTokens: number;
  completionTokens: number;
}

const ANSWERS: Answer[] = [
  { content: 'A long draft answer about durable runs.', promptTokens: 12, completionTokens: 7 },
  { content: 'Durable runs survive crashes.', promptTokens: 30, completionTokens: 4 },
  { content: '{"summary":"Runs survive crashes."}', promptTokens: 41, completionTokens: 9 },
];

function usageOf(a: Answer): Usage {
  return {
    promptTokens: a.promptTokens,
    completionTokens: a.completionTokens,
    totalTokens: a.promptTokens + a.completionTokens,
  };
}

function scripted(answers: Answer[]): MockLLMClient {
  const responses: MockResponse[] = answers.map((a) => ({
    message: { role: 'assistant', content: a.content },
    usage: usageOf(a),
  }));
  return new MockLLMClient({ responses });
}

/** Runs the agent on Temporal against the local model server; returns its result and events. */
async function onTemporal(
  runId: string,
  answers: Answer[],
  params: Record<string, unknown>,
): Promise<{ result: RunResult; events: RunEvent[] }> {
  server.enqueue(
    ...answers.map((a) => ({
      type: 'text' as const,
      content: a.content,
      usage: { promptTokens: a.promptTokens, completionTokens: a.completionTokens },
    })),
  );
  const tq = uniqueQueue('parity');
  const llm = new OpenAIClient({
    apiKey: 'sk-parity',
    baseURL: server.openaiBaseURL,
    defaultModel: 'gpt-4o',
  });
  const worker = await createTestWorker(env, tq, llm);
  const runner = testRunner(env, tq);
  return worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'run-parity',
      runId,
      inputData: { messages: [{ role: 'user', content: 'What is a durable run?' }], params },
    });
    const result = await handle.result();
    const events: RunEvent[] = [];
    for await (const e of handle.events({ follow: false })) events.push(e);
    expect(server.queueLength).toBe(0);
    return { result, events };
  });
}

/** Runs the agent through `runAgentTest` with a scripted mock giving the same answers. */
async function inTest(
  runId: string,
  answers: Answer[],
  params: Record<string, unknown>,
): Promise<{ result: RunResult; events: RunEvent[]; ctx: MockRunContext }> {
  const ctx = createTestContext({
    runId,
    inputMessages: [{ role: 'user', content: 'What is a durable run?' }],
    params,
    llm: scripted(answers),
  });
  const result = await runAgentTest(new RunParityAgent(), ctx);
  return { result, events: ctx.events, ctx };
}

/** An event without what may differ between the runtimes: its timestamp and latency value. */
function comparable(e: RunEvent): Record<string, unknown> {
  const { timestamp, ...rest } = e;
  expect(Number.isNaN(Date.parse(timestamp))).toBe(false);
  const payload = { ...e.payload };
  if ('latencyMs' in payload) {
    expect(typeof payload.latencyMs).toBe('number');
    payload.latencyMs = '(latency)';
  }
  if (payload.error && typeof payload.error === 'object') {
    payload.error = withoutStack(payload.error as Record<string, unknown>);
  }
  return { ...rest, payload };
}

function withoutStack(error: Record<string, unknown>): Record<string, unknown> {
  const { stack: _stack, ...rest } = error;
  return rest;
}

test('a run through runAgentTest matches the same run on Temporal: events, payloads, usage, result', async () => {
  const runId = `run-${randomUUID()}`;
  const params = { model: 'gpt-4o-mini' };
  const real = await onTemporal(runId, ANSWERS, params);
  const test = await inTest(runId, ANSWERS, params);

  expect(real.result.error).toBeUndefined();
  expect(real.events.map((e) => e.type)).toEqual([
    'run.started',
    'assistant.message',
    'parity.note',
    'state.checkpoint',
    'assistant.message',
    'assistant.message',
    'run.succeeded',
  ]);
  // Same types, same payload fields, same values (latency and timestamps aside), same order.
  expect(test.events.map((e) => e.type)).toEqual(real.events.map((e) => e.type));
  expect(test.events.map((e) => Object.keys(e.payload).sort())).toEqual(
    real.events.map((e) => Object.keys(e.payload).sort()),
  );
  expect(test.events.map(comparable)).toEqual(real.events.map(comparable));

  // Every model call's usage, and the run's total, as the provider reported them.
  const total = ANSWERS.map(usageOf).reduce((a, u) => ({
    promptTokens: a.promptTokens + u.promptTokens,
    completionTokens: a.completionTokens + u.completionTokens,
    totalTokens: a.totalTokens + u.totalTokens,
  }));
  const callUsage = (events: RunEvent[]) =>
    events.filter((e) => e.type === 'assistant.message').map((e) => e.payload.usage);
  expect(callUsage(real.events)).toEqual(ANSWERS.map(usageOf));
  expect(callUsage(test.events)).toEqual(callUsage(real.events));
  expect(real.result.usage).toEqual(total);
  expect(test.result).toEqual(real.result);
  expect(test.result.finalOutput).toEqual({
    short: 'Durable runs survive crashes.',
    summary: 'Runs survive crashes.',
    state: { stage: 'drafted', draft: ANSWERS[0]?.content },
  });
  expect(test.ctx.usage).toEqual(total);
});

test('a run that fails after a model call matches too: run.failed, its ErrorInfo, partial usage', async () => {
  const runId = `run-${randomUUID()}`;
  const params = { model: 'gpt-4o-mini', failAfterDraft: true };
  const answers = ANSWERS.slice(0, 1);
  const real = await onTemporal(runId, answers, params);
  const test = await inTest(runId, answers, params);

  expect(real.events.map((e) => e.type)).toEqual([
    'run.started',
    'assistant.message',
    'parity.note',
    'state.checkpoint',
    'run.failed',
  ]);
  expect(test.events.map(comparable)).toEqual(real.events.map(comparable));
  expect(real.result.error).toMatchObject({
    type: 'AGENT_ERROR',
    message: 'stopped after the draft',
    details: { stage: 'drafted' },
  });
  // The failed run still reports the usage of the call it made.
  expect(real.result.usage).toEqual(usageOf(answers[0]!));
  const { error: realError, ...realRest } = real.result;
  const { error: testError, ...testRest } = test.result;
  expect(testRest).toEqual(realRest);
  expect(withoutStack({ ...testError })).toEqual(withoutStack({ ...realError }));
});
