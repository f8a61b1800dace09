// Hostile input and ends a run cannot record itself: Temporal's refusals of a start as typed errors,
// runner options checked at construction, a terminated run's status and events, and tool error
// texts redacted of the worker's secrets before they reach history, events and the model.
// Real Temporal dev server; the official openai client against the local LLM server.
import { randomUUID } from 'node:crypto';
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import type { RunEvent } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import { createRedactor, urlSecrets } from '../../src/redaction';
import { InMemoryEventBus } from '../../src/events/memory';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { alwaysFails } from '../fixtures/tool-defs';
import { historyText } from './history-text';
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

async function refusal(p: Promise<unknown>): Promise<AgentRuntimeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AgentRuntimeError.is(err)) throw new Error(`expected a typed error, got ${String(err)}`);
  return err;
}

test('starts Temporal or the stores would refuse fail with typed errors naming the field', async () => {
  const runner = testRunner(env, uniqueQueue());
  const start = (runId: string, content = 'hi') =>
    runner.start({ agent: 'echo', runId, inputData: { messages: [{ role: 'user', content }] } });
  for (const [runId, why] of [
    ['x'.repeat(1001), /1001 characters/],
    [`run-\u0000-nul`, /NUL/],
    [`run-\uD800-lone`, /lone surrogate/],
    ['', /non-empty/],
  ] as const) {
    const e = await refusal(start(runId));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.details.field).toBe('runId');
    expect(e.message).toMatch(why);
  }
  const conv = await refusal(
    runner.start({
      agent: 'echo',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], conversationId: 'c\u0000' },
    }),
  );
  expect(conv.details.field).toBe('inputData.conversationId');
  // 3 MB of input: the server refuses it (blob size limit); the caller gets PAYLOAD_TOO_LARGE.
  const big = await refusal(start(`run-${randomUUID()}`, 'x'.repeat(3 * 1024 * 1024)));
  expect(big.code).toBe('PAYLOAD_TOO_LARGE');
  expect(big.details.field).toBe('inputData');
});

test('runner options are checked at construction like configure()', () => {
  const bad = (config: unknown) => {
    try {
      new AgentRunner({ client: env.client, config: config as never });
    } catch (err) {
      return err as AgentRuntimeError;
    }
    throw new Error('accepted');
  };
  expect(bad({ runTimeoutSeconds: '30' }).message).toMatch(
    /runTimeoutSeconds was renamed.*runTimeout/,
  );
  expect(bad({ runTimeout: true }).code).toBe('CONFIG_INVALID');
  const unknown = bad({ taskQeue: 'q' });
  expect(unknown.code).toBe('CONFIG_INVALID');
  expect(unknown.message).toMatch(/Unknown RunnerConfig option: taskQeue/);
  expect(bad({ searchAttributes: 'yes' }).details.field).toBe('searchAttributes');
  expect(bad({ runTimeout: '30 parsecs' }).code).toBe('CONFIG_INVALID');
});

test('a terminated run reports terminated and its events end with a synthesized run.terminated', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, {
    generate: () => Promise.reject(new Error('unused')),
  } as never);
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'sleepy',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], params: { seconds: 120 } },
    });
    // Started and recorded its first event.
    for await (const e of handle.events({ follow: true })) if (e.type === 'run.started') break;
    await handle.workflow.terminate('operator stop');
    expect((await handle.status()).status).toBe('terminated');
    const events: RunEvent[] = [];
    for await (const e of handle.events({ follow: false })) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'run.terminated']);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(events[1]?.payload).toMatchObject({ synthesized: true, executionStatus: 'TERMINATED' });
  });
});

test("a tool error quoting the worker's API key and database password reaches no one in clear", async () => {
  const key = `sk-canary-${randomUUID()}`;
  const password = `pw${randomUUID().replace(/-/g, '')}`;
  const dbUrl = `postgres://app:${password}@db.internal:5432/prod`;
  const tq = uniqueQueue();
  server.reset();
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'always_fails', arguments: {} }] },
    { type: 'text', content: 'Sorry.' },
  );
  const leaky = {
    ...alwaysFails,
    handler: () => {
      // Not URL-shaped on purpose: only the configured secret list can catch these.
      throw new Error(`connect failed with key=${key} password ${password} (${dbUrl})`);
    },
  };
  const worker = await createTestWorker(
    env,
    tq,
    new OpenAIClient({ apiKey: 'sk-test', baseURL: server.openaiBaseURL, defaultModel: 'm' }),
    { tools: [leaky], redact: createRedactor({ secrets: [key, ...urlSecrets(dbUrl)] }) },
  );
  const runner = testRunner(env, tq);
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling',
      runId,
      inputData: { messages: [{ role: 'user', content: 'go' }] },
    });
    expect((await handle.result()).error).toBeUndefined();
    const events: RunEvent[] = [];
    for await (const e of handle.events({ follow: false })) events.push(e);
    const history = historyText(await handle.workflow.fetchHistory());
    const prompt = JSON.stringify(server.requests.map((r) => r.body));
    const texts = { history, events: JSON.stringify(events), prompt };
    // The search can find what is there: the tool's name and the redaction mark are in history.
    expect(history).toContain('always_fails');
    expect(history).toContain('[redacted]');
    for (const [where, text] of Object.entries(texts)) {
      expect([where, text.includes(key), text.includes(password)]).toEqual([where, false, false]);
    }
    // The error itself is there, redacted: the model still learns what failed.
    expect(JSON.stringify(events)).toContain(
      'connect failed with key=[redacted] password [redacted]',
    );
    expect(prompt).toContain('[redacted]');
  });
});

test('with the event store down, the final flush does not hold a run past its run timeout', async () => {
  const tq = uniqueQueue();
  // Every publish fails as a database that is down does: a retryable STORAGE_ERROR.
  const down = new InMemoryEventBus();
  down.publish = () =>
    Promise.reject(
      new AgentRuntimeError('STORAGE_ERROR', 'connection refused', { retryable: true }),
    );
  const worker = await createTestWorker(
    env,
    tq,
    { generate: () => Promise.reject(new Error('unused')) } as never,
    { eventBus: down },
  );
  const runner = testRunner(env, tq, { runTimeout: '3s' }, { persistence: { runEvents: true } });
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'sleepy',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], params: { seconds: 60 } },
    });
    const result = await handle.result();
    expect(result.error?.type).toBe('RUN_TIMED_OUT');
    const d = await handle.workflow.describe();
    const ranMs = (d.closeTime?.getTime() ?? Infinity) - d.startTime.getTime();
    // 3 s limit + at most 2 s for the final flush, and scheduling slack; the flush's own retry
    // policy (about 90 s) would otherwise hold it.
    expect(ranMs).toBeLessThan(9000);
    expect((await handle.status()).status).toBe('timed_out');
  });
}, 60_000);
