// Token streaming inside real runs: deltas travel from the local server through the official SDK,
// the invokeModel activity and the event bus (memory, Postgres NOTIFY, Redis pub/sub) to
// RunHandle.events(), outside workflow history; a retried streaming call leaves the watcher with
// exactly the successful attempt's text, and the run's usage counts the failed attempt too.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { RunEvent } from '../../src/core/types';
import { InMemoryEventBus, PostgresEventBus, RedisEventBus, type EventBus } from '../../src/events';
import { AnthropicClient } from '../../src/llm/anthropic';
import { isTransientEventType } from '../../src/core/events';
import { StreamedText } from '../../src/llm/deltas';
import { OpenAIClient } from '../../src/llm/openai';
import type { LLMClient } from '../../src/core/llm-types';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/test';

let env: TestEnv;
let server: MockLLMServer;
let pool: Pool;
let redis: Redis;

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  pool = new Pool({ connectionString: PG_URL, max: 4 });
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: false });
});
afterAll(async () => {
  await server?.close();
  await pool?.end();
  redis?.disconnect();
  await env?.close();
});
beforeEach(() => server.reset());

const buses: [string, () => EventBus][] = [
  ['memory', () => new InMemoryEventBus()],
  ['postgres', () => new PostgresEventBus({ pool })],
  ['redis', () => new RedisEventBus({ client: redis, keyPrefix: `test-${randomUUID()}:` })],
];

function anthropic(): LLMClient {
  return new AnthropicClient({
    apiKey: 'sk-ant-test',
    baseURL: server.anthropicBaseURL,
    defaultModel: 'claude-test',
  });
}

function openai(): LLMClient {
  return new OpenAIClient({
    apiKey: 'sk-test',
    baseURL: server.openaiBaseURL,
    defaultModel: 'gpt-test',
  });
}

describe.each(buses)('streaming through the %s bus', (_name, makeBus) => {
  test('a streaming call retried after a mid-stream failure: the watcher ends with exactly the successful text', async () => {
    const bus = makeBus();
    const tq = uniqueQueue('stream');
    const good = 'The successful answer arrives in full, word by word.';
    server.enqueue(
      {
        type: 'stream_then_fail',
        content: 'This attempt breaks off halfway and must vanish',
        failAfterChunks: 4,
        chunkDelayMs: 30,
      },
      {
        type: 'text',
        content: good,
        chunkDelayMs: 5,
        usage: { promptTokens: 100, completionTokens: 20 },
      },
    );
    const worker = await createTestWorker(env, tq, anthropic(), { eventBus: bus });
    const runner = testRunner(env, tq, {}, { eventBus: bus });
    try {
      await worker.runUntil(async () => {
        const runId = `run-${randomUUID()}`;
        const handle = await runner.start({
          agent: 'streaming',
          runId,
          inputData: { messages: [{ role: 'user', content: 'Tell me something' }] },
        });
        const text = new StreamedText();
        const seen: RunEvent[] = [];
        for await (const e of handle.events()) {
          seen.push(e);
          text.apply(e);
        }
        const result = await handle.result();
        expect(result.error).toBeUndefined();
        expect(result.finalOutput).toEqual({ texts: [good] });

        // The watcher saw the failed attempt's partial text, then the marker, then the good text.
        const transient = seen.filter((e) => isTransientEventType(e.type));
        const firstAttempt = transient.filter(
          (e) => e.type === 'assistant.delta' && e.payload.attempt === 1,
        );
        expect(firstAttempt.map((e) => e.payload.delta).join('')).toBe('This attempt breaks off');
        const marker = transient.findIndex((e) => e.type === 'assistant.retry');
        expect(transient[marker]?.payload).toEqual({ turn: 1, attempt: 2 });
        expect(transient.slice(marker + 1).every((e) => e.payload.attempt === 2)).toBe(true);
        expect(text.text(1)).toBe(good);

        // Durable events stay gap-free; transient ones repeat the last durable seq.
        const durable = seen.filter((e) => !isTransientEventType(e.type));
        expect(durable.map((e) => e.seq)).toEqual(durable.map((_, i) => i + 1));
        expect(durable.map((e) => e.type)).toEqual([
          'run.started',
          'assistant.message',
          'run.succeeded',
        ]);
        const message = durable[1]?.payload ?? {};
        expect(message).toMatchObject({
          turn: 1,
          model: 'claude-test',
          finishReason: 'stop',
          content: good,
          toolCalls: [],
          usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 },
        });
        expect(message.latencyMs).toEqual(expect.any(Number));

        // Usage totals the failed attempt too: its input tokens were billed at message_start
        // (3 words of prompt, 1 output token in the mock server's count).
        expect(result.usage).toEqual({ promptTokens: 103, completionTokens: 21, totalTokens: 124 });

        // No delta entered workflow history: the broken attempt's text is nowhere in it.
        const history = JSON.stringify(await handle.workflow.fetchHistory());
        expect(history).not.toContain('breaks off');
        expect(history).not.toContain('assistant.delta');
      });
    } finally {
      await bus.close();
    }
  });
});

test('without an event bus a streaming run behaves as before: only durable events', async () => {
  const tq = uniqueQueue('stream');
  server.enqueue({ type: 'text', content: 'plain streamed answer' });
  const worker = await createTestWorker(env, tq, openai());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'streaming',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'hi' }] },
    });
    const types: string[] = [];
    for await (const e of handle.events()) types.push(e.type);
    expect(types).toEqual(['run.started', 'assistant.message', 'run.succeeded']);
    expect((await handle.result()).finalOutput).toEqual({ texts: ['plain streamed answer'] });
  });
});

describe.each([
  ['openai', openai],
  ['anthropic', anthropic],
])('structured output inside a run (%s)', (_name, make) => {
  test('invalid output is re-asked as a second model call with the validation message, then parsed', async () => {
    const tq = uniqueQueue('structured');
    server.enqueue(
      { type: 'text', content: '{"city":"Oslo","population":-3}' },
      { type: 'text', content: '{"city":"Oslo","population":709000}' },
    );
    const worker = await createTestWorker(env, tq, make());
    const runner = testRunner(env, tq);
    await worker.runUntil(async () => {
      const handle = await runner.start({
        agent: 'structured',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'Oslo as JSON' }] },
      });
      const result = await handle.result();
      expect(result.error).toBeUndefined();
      expect(result.finalOutput).toEqual({ city: { city: 'Oslo', population: 709000 } });
      const reqs = server.requests.filter((r) => r.method === 'POST');
      expect(reqs).toHaveLength(2);
      expect(JSON.stringify(reqs[1]?.body)).toContain('population');
      expect(JSON.stringify(reqs[1]?.body)).toContain('rejected');
      const events: RunEvent[] = [];
      for await (const e of handle.events({ follow: false })) events.push(e);
      expect(events.filter((e) => e.type === 'assistant.message')).toHaveLength(2);
    });
  });

  test('still invalid after the re-ask: the run fails with LLM_OUTPUT_INVALID', async () => {
    const tq = uniqueQueue('structured');
    server.enqueue({ type: 'text', content: 'no json' }, { type: 'text', content: '{"city":2}' });
    const worker = await createTestWorker(env, tq, make());
    const runner = testRunner(env, tq);
    await worker.runUntil(async () => {
      const result = await runner.execute({
        agent: 'structured',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'x' }] },
      });
      expect(result.error?.type).toBe('LLM_OUTPUT_INVALID');
      expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    });
  });
});
