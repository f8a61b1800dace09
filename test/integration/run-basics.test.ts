import { randomUUID } from 'node:crypto';
import { MockLLMClient } from '../../src/testing/mock-llm';
import type { RunEvent } from '../../src/core/types';
import { AgentStatusSearchAttribute } from '../../src/core/run-contract';
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
  const llm = new MockLLMClient({
    respond: (msgs) => ({ role: 'assistant', content: `reply to ${msgs.length} messages` }),
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  });
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
    for await (const ev of handle.events({ follow: true })) seen.push(ev);
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ turns: 3 });
    expect(result.usage.totalTokens).toBe(45);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    // Per turn: the runtime's assistant.message (every model call emits one), then the agent's own.
    expect(seen.map((e) => e.type)).toEqual([
      'run.started',
      'assistant.message',
      'assistant.message',
      'state.checkpoint',
      'assistant.message',
      'assistant.message',
      'state.checkpoint',
      'assistant.message',
      'assistant.message',
      'state.checkpoint',
      'run.succeeded',
    ]);
    expect(seen.every((e) => e.runId === runId && !Number.isNaN(Date.parse(e.timestamp)))).toBe(
      true,
    );
    expect(llm.calls).toHaveLength(3);
    expect((await handle.status()).status).toBe('succeeded');
    // Reading again after the end returns the same log.
    const again: RunEvent[] = [];
    for await (const ev of handle.events({ follow: false })) again.push(ev);
    expect(again).toEqual(seen);
  });
});

test('an unknown agent key fails the run at once with a clear error', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const started = Date.now();
    const result = await runner.execute({
      agent: 'no-such-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [] },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.error?.type).toBe('AGENT_NOT_FOUND');
    expect(result.error?.message).toContain('no-such-agent');
    expect(result.error?.message).toContain('my-agent');
  });
});

test('an error thrown by the agent fails the run with a typed ErrorInfo and a run.failed event', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'failing',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [] },
    });
    const result = await handle.result();
    expect(result.error).toMatchObject({ type: 'Error', message: 'the agent broke' });
    const events: RunEvent[] = [];
    for await (const ev of handle.events({ follow: false })) events.push(ev);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'run.failed']);
    expect(events[1]?.payload).toMatchObject({
      error: { type: 'Error', message: 'the agent broke' },
    });
    const desc = await handle.workflow.describe();
    expect(desc.status.name).toBe('FAILED');
    expect(desc.typedSearchAttributes.get(AgentStatusSearchAttribute)).toBe('failed');
    expect((await handle.status()).status).toBe('failed');
  });
});

test('cancelling a run ends it cancelled promptly, with run.cancelled last and isCancelled() seen', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'sleepy',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], params: { seconds: 600 } },
    });
    const it = handle.events();
    expect((await it.next()).value?.type).toBe('run.started');
    const t0 = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.error?.type).toBe('RUN_CANCELLED');
    const rest: RunEvent[] = [];
    for await (const ev of it) rest.push(ev);
    expect(rest.map((e) => e.type)).toEqual(['cleanup', 'run.cancelled']);
    expect(rest[0]?.payload).toEqual({ isCancelled: true });
    expect((await handle.workflow.describe()).status.name).toBe('CANCELLED');
  });
});

test('a run exceeding runTimeout ends timed_out', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient());
  const runner = testRunner(env, tq, { runTimeout: '1s' });
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'sleepy',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], params: { seconds: 600 } },
    });
    const result = await handle.result();
    expect(result.error).toMatchObject({ type: 'RUN_TIMED_OUT', details: { timeoutMs: 1000 } });
    const types: string[] = [];
    for await (const ev of handle.events({ follow: false })) types.push(ev.type);
    expect(types).toEqual(['run.started', 'cleanup', 'run.timed_out']);
    expect((await handle.status()).status).toBe('timed_out');
  });
});

test('starting a run id that is already running returns a handle to that run', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient());
  const runner = testRunner(env, tq);
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const a = await runner.start({
      agent: 'sleepy',
      runId,
      inputData: { messages: [], params: { seconds: 600 } },
    });
    const b = await runner.start({
      agent: 'sleepy',
      runId,
      inputData: { messages: [], params: { seconds: 600 } },
    });
    const da = await a.workflow.describe();
    const db = await b.workflow.describe();
    expect(db.runId).toBe(da.runId);
    await b.cancel();
    expect((await a.result()).error?.type).toBe('RUN_CANCELLED');
  });
});
