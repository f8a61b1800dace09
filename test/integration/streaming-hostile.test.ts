// Hostile model text through the Postgres bus (NOTIFY payloads are limited to ~8 kB): a long run of
// control characters and emoji reaches the watcher intact. And a retried streaming call's failed
// attempt is priced too: the run's cost covers every billed token.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventBus } from '../../src/events';
import { AnthropicClient } from '../../src/llm/anthropic';
import { StreamedText } from '../../src/llm/deltas';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
let server: MockLLMServer;
let pool: Pool;

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  pool = new Pool({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test', max: 4 });
});
afterAll(async () => {
  await server?.close();
  await pool?.end();
  await env?.close();
});
beforeEach(() => server.reset());

test('hostile streamed text (control characters, emoji, 9000+ code units) reaches the watcher intact through Postgres NOTIFY', async () => {
  const hostile = `${'\u0001'.repeat(5000)}${'😀'.repeat(1500)}"\\\u2028end`;
  // One 9000+-code-unit chunk: the activity must cut it to fit NOTIFY.
  server.enqueue({ type: 'text', content: hostile, maxChunkLength: 20_000 });
  const bus = new PostgresEventBus({ pool });
  const llm = new OpenAIClient({
    apiKey: 'sk-test',
    baseURL: server.openaiBaseURL,
    defaultModel: 'gpt-test',
  });
  const tq = uniqueQueue('hostile');
  const worker = await createTestWorker(env, tq, llm, { eventBus: bus });
  try {
    await worker.runUntil(async () => {
      const handle = await testRunner(env, tq, {}, { eventBus: bus }).start({
        agent: 'streaming',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'say something odd' }] },
      });
      const text = new StreamedText();
      let deltas = 0;
      for await (const e of handle.events()) {
        if (e.type === 'assistant.delta') deltas += 1;
        text.apply(e);
      }
      expect((await handle.result()).finalOutput).toEqual({ texts: [hostile] });
      expect(deltas).toBeGreaterThan(1);
      expect(text.text(1)).toBe(hostile);
    });
  } finally {
    await bus.close();
  }
});

test("a retried streaming call's failed attempt is priced: the run's cost covers every billed token", async () => {
  server.enqueue(
    { type: 'stream_then_fail', content: 'This attempt breaks off halfway', failAfterChunks: 3 },
    { type: 'text', content: 'Whole answer.', usage: { promptTokens: 100, completionTokens: 20 } },
  );
  const llm = new AnthropicClient({
    apiKey: 'sk-ant-test',
    baseURL: server.anthropicBaseURL,
    defaultModel: 'claude-test',
  });
  const tq = uniqueQueue('cost');
  const worker = await createTestWorker(env, tq, llm, {
    modelPrices: {
      'claude-test': { promptPerMillion: 1_000_000, completionPerMillion: 2_000_000 },
    },
  });
  await worker.runUntil(async () => {
    const result = await testRunner(env, tq).execute({
      agent: 'streaming',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Tell me something' }] },
    });
    expect(result.error).toBeUndefined();
    // 103 prompt + 21 completion tokens in all (the failed attempt billed 3 + 1), priced at
    // 1 and 2 per token: 103 + 42.
    expect(result.usage).toMatchObject({ promptTokens: 103, completionTokens: 21 });
    expect(result.usage.cost).toBeCloseTo(145, 6);
  });
});
