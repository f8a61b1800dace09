import { randomUUID } from 'node:crypto';
import { MockLLMClient } from '../../src/testing/mock-llm';
import type { RunEvent } from '../../src/core/types';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.close();
});

test('a run completes and its events arrive in order, once each, through events({ follow: true })', async () => {
  const tq = uniqueQueue();
  const llm = new MockLLMClient({ respond: (msgs) => ({ role: 'assistant', content: `reply to ${msgs.length} messages` }) });
  const worker = await createTestWorker(env, tq, llm);
  const runner = testRunner(env, tq);
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'multi-turn',
      runId,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 3 } },
    });
    const seen: RunEvent[] = [];
    for await (const ev of handle.events({ follow: true, pollTimeoutMs: 5000 })) seen.push(ev);
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ turns: 3 });
    expect(result.usage.totalTokens).toBe(45);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.map((e) => e.type)).toEqual([
      'run.started',
      'assistant.message',
      'state.checkpoint',
      'assistant.message',
      'state.checkpoint',
      'assistant.message',
      'state.checkpoint',
      'run.succeeded',
    ]);
    expect(seen.every((e) => e.runId === runId && !Number.isNaN(Date.parse(e.timestamp)))).toBe(true);
    expect(llm.calls).toHaveLength(3);
    expect((await handle.status()).status).toBe('succeeded');
    // Reading again after the end returns the same log.
    const again: RunEvent[] = [];
    for await (const ev of handle.events({ follow: false })) again.push(ev);
    expect(again).toEqual(seen);
  });
});
