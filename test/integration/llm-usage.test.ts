// Usage and cost of a whole run: every model call's usage is in its assistant.message event, the
// run's usage totals them, and the worker's price table turns them into cost.
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
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

test('run usage totals every call (a retried 500 in between) and the price table gives its cost', async () => {
  const tq = uniqueQueue('usage');
  server.enqueue(
    { type: 'text', content: 'one', usage: { promptTokens: 1000, completionTokens: 200 } },
    { type: 'error', status: 500 },
    { type: 'text', content: 'two', usage: { promptTokens: 3000, completionTokens: 400 } },
  );
  const llm = new OpenAIClient({
    apiKey: 'sk-t',
    baseURL: server.openaiBaseURL,
    defaultModel: 'gpt-4o',
  });
  const worker = await createTestWorker(env, tq, llm, {
    // Prefix match: `gpt-4o` prices `gpt-4o-2024-08-06` too.
    modelPrices: { 'gpt-4o': { promptPerMillion: 2.5, completionPerMillion: 10 } },
  });
  const runner = testRunner(env, tq, { modelCall: { retry: { initialInterval: '100ms' } } });
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'multi-turn',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
    });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.usage.promptTokens).toBe(4000);
    expect(result.usage.completionTokens).toBe(600);
    expect(result.usage.totalTokens).toBe(4600);
    // 4000 * 2.5 / 1e6 + 600 * 10 / 1e6
    expect(result.usage.cost).toBeCloseTo(0.016, 10);
    const events: RunEvent[] = [];
    for await (const e of handle.events({ follow: false })) events.push(e);
    const calls = events.filter((e) => e.type === 'assistant.message' && 'latencyMs' in e.payload);
    expect(calls.map((e) => e.payload.usage)).toEqual([
      { promptTokens: 1000, completionTokens: 200, totalTokens: 1200, cost: 0.0045 },
      { promptTokens: 3000, completionTokens: 400, totalTokens: 3400, cost: 0.0115 },
    ]);
    expect(calls.map((e) => e.payload.model)).toEqual(['gpt-4o', 'gpt-4o']);
    expect(server.requests).toHaveLength(3);
  });
});
