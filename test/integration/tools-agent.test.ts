// Tools inside real runs: the README example, the ToolCallingAgent loop (parallel calls, bad
// model output, failing tools, iteration budget) and cancellation reaching a running tool.
// Real Temporal dev server; the official openai client against the local LLM server over HTTP.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import type { RunEvent } from '../../src/core/types';
import {
  addTool,
  alwaysFails,
  readmeTools,
  slowEcho,
  tooSlow,
  waitForAbort,
} from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { scheduledActivities, startedAttempts, waitUntil } from './tools-helpers';

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
beforeEach(() => server.reset());

function openai(): OpenAIClient {
  return new OpenAIClient({
    apiKey: 'sk-test',
    baseURL: server.openaiBaseURL,
    defaultModel: 'test-model',
  });
}

type ChatBody = {
  messages: { role: string; content?: string | null; tool_call_id?: string }[];
  tools?: unknown[];
};
function chatBodies(): ChatBody[] {
  return server.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => r.body as ChatBody);
}
function toolMessages(body: ChatBody | undefined) {
  return (body?.messages ?? []).filter((m) => m.role === 'tool');
}

const timings = new Map<string, { start: number; end: number }>();
let abortSeen = false;
let abortStarted = false;

function workerTools(): ToolRegistry {
  return new ToolRegistry([
    ...readmeTools.list(),
    addTool,
    alwaysFails,
    slowEcho.implement(async ({ text, delayMs }, ctx) => {
      const start = Date.now();
      await sleep(delayMs);
      timings.set(ctx.toolCallId, { start, end: Date.now() });
      return { echo: text };
    }),
    tooSlow.implement(async (_args, ctx) => {
      await sleep(10_000, undefined, { signal: ctx.signal }).catch(() => undefined);
      return 'late';
    }),
    waitForAbort.implement(
      (_args, ctx) =>
        new Promise((_resolve, reject) => {
          abortStarted = true;
          ctx.signal.addEventListener('abort', () => {
            abortSeen = true;
            reject(new Error('aborted'));
          });
        }),
    ),
  ]);
}

/** The id of the call a `tool.call` event carries. */
function callId(e: RunEvent): string | undefined {
  return (e.payload.toolCall as { id?: string } | undefined)?.id;
}

function toolEvents(events: RunEvent[]) {
  return events
    .filter((e) => e.type.startsWith('tool.'))
    .map((e) => `${e.type} ${String((e.payload.toolCallId as string | undefined) ?? callId(e))}`);
}

test('the seed README "Using Tools" example runs to completion, each call one executeTool activity', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'call_w', name: 'get_weather', arguments: { location: 'Paris' } },
        { id: 'call_s', name: 'search_web', arguments: { query: 'durable agents' } },
      ],
    },
    { type: 'text', content: 'It is sunny in Paris.' },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: readmeTools });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Weather in Paris?' }] },
    });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'It is sunny in Paris.' });
    expect(result.finalMessages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
    ]);
    const second = chatBodies()[1];
    expect(toolMessages(second)).toEqual([
      expect.objectContaining({
        tool_call_id: 'call_w',
        content: 'The weather in Paris is sunny, 72°F',
      }),
      expect.objectContaining({
        tool_call_id: 'call_s',
        content: 'Search results for: durable agents',
      }),
    ]);
    // The model was given both tools as JSON Schema derived from zod.
    const specs = chatBodies()[0]?.tools as { function: Record<string, unknown> }[];
    expect(specs.map((t) => t.function.name)).toEqual(['get_weather', 'search_web']);
    expect(specs[0]?.function.parameters).toEqual({
      type: 'object',
      properties: { location: { type: 'string' } },
      required: ['location'],
    });
    const tools = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'executeTool',
    );
    expect(tools.map((a) => a.summary)).toEqual(['get_weather', 'search_web']);
    expect(tools[0]?.input).toEqual({
      runId: handle.runId,
      // A direct registry.execute has no model call id: the run numbers the calls.
      toolCallId: 'exec-1',
      name: 'get_weather',
      arguments: { location: 'Paris' },
      idempotencyKey: `${handle.runId}:${(await handle.workflow.describe()).runId}:exec-1`,
    });
  });
});

test('three turns, two parallel calls in one: concurrent, results back in call order, events in order', async () => {
  const tq = uniqueQueue();
  timings.clear();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'c1', name: 'slow_echo', arguments: { text: 'slow', delayMs: 1200 } },
        { id: 'c2', name: 'slow_echo', arguments: { text: 'fast', delayMs: 200 } },
      ],
      usage: { promptTokens: 10, completionTokens: 4 },
    },
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'c3', name: 'add', arguments: { a: 2, b: 3 } }],
      usage: { promptTokens: 20, completionTokens: 3 },
    },
    { type: 'text', content: 'done', usage: { promptTokens: 30, completionTokens: 1 } },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'go' }] },
    });
    const events: RunEvent[] = [];
    for await (const e of handle.events()) events.push(e);
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'done' });

    // Concurrent: the fast call started before the slow one ended, and ended first.
    const c1 = timings.get('c1');
    const c2 = timings.get('c2');
    expect(c1 && c2).toBeTruthy();
    expect(c2!.start).toBeLessThan(c1!.end);
    expect(c2!.end).toBeLessThan(c1!.end);

    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.succeeded');
    expect(toolEvents(events)).toEqual([
      'tool.call c1',
      'tool.call c2',
      'tool.result c2',
      'tool.result c1',
      'tool.call c3',
      'tool.result c3',
    ]);
    const call1 = events.find((e) => e.type === 'tool.call' && callId(e) === 'c1');
    expect(call1?.payload).toEqual({
      toolCall: { id: 'c1', name: 'slow_echo', arguments: '{"text":"slow","delayMs":1200}' },
    });
    const result3 = events.find((e) => e.type === 'tool.result' && e.payload.toolCallId === 'c3');
    expect(result3?.payload).toEqual({ toolCallId: 'c3', name: 'add', result: { sum: 5 } });

    // Results go back in the model's order, not completion order.
    const bodies = chatBodies();
    expect(bodies).toHaveLength(3);
    expect(toolMessages(bodies[1])).toEqual([
      expect.objectContaining({ tool_call_id: 'c1', content: '{"echo":"slow"}' }),
      expect.objectContaining({ tool_call_id: 'c2', content: '{"echo":"fast"}' }),
    ]);
    expect(toolMessages(bodies[2]).at(-1)).toEqual(
      expect.objectContaining({ tool_call_id: 'c3', content: '{"sum":5}' }),
    );
    expect(bodies[0]?.messages[0]).toEqual(
      expect.objectContaining({ role: 'system', content: 'You are the tool test agent.' }),
    );

    // The whole conversation, last assistant message included; usage of all three calls.
    expect(result.finalMessages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(result.finalMessages.at(-1)?.content).toBe('done');
    expect(result.usage).toEqual({ promptTokens: 60, completionTokens: 8, totalTokens: 68 });

    // History carries names and arguments, not schemas or handler code.
    const tools = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'executeTool',
    );
    expect(tools.map((a) => a.summary)).toEqual(['slow_echo', 'slow_echo', 'add']);
    for (const t of tools) {
      expect(t.inputText).not.toContain('properties');
      expect(t.inputText).not.toContain('delayMs: z');
      expect(t.inputText).not.toContain('=>');
    }
  });
});

test('malformed JSON, schema-invalid arguments, an unknown tool and a throwing handler reach the model as errors; the run completes', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'bad_json', name: 'add', arguments: '{"a": 1, "b":' },
        { id: 'bad_args', name: 'add', arguments: { a: 'one', b: 2 } },
        { id: 'unknown', name: 'launch_rockets', arguments: {} },
        { id: 'throws', name: 'always_fails', arguments: {} },
        { id: 'fine', name: 'add', arguments: { a: 1, b: 1 } },
      ],
    },
    { type: 'text', content: 'recovered' },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'break things' }] },
    });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'recovered' });
    const msgs = toolMessages(chatBodies()[1]);
    expect(msgs.map((m) => m.tool_call_id)).toEqual([
      'bad_json',
      'bad_args',
      'unknown',
      'throws',
      'fine',
    ]);
    expect(msgs[0]?.content).toMatch(/^Error: Arguments of add are not valid JSON/);
    expect(msgs[1]?.content).toMatch(
      /^Error: Arguments of add failed validation: a: .*expected number/i,
    );
    expect(msgs[2]?.content).toMatch(
      /^Error: Tool not found: launch_rockets\. Available tools: add, slow_echo/,
    );
    expect(msgs[3]?.content).toBe('Error: Tool always_fails failed: disk on fire');
    expect(msgs[4]?.content).toBe('{"sum":2}');

    const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
    const results = events.filter((e) => e.type === 'tool.result');
    const byId = new Map(
      results.map((e) => [e.payload.toolCallId, [e.payload.isError ?? false, e.payload.errorCode]]),
    );
    expect(results).toHaveLength(5);
    expect(byId.get('bad_json')).toEqual([true, 'TOOL_INVALID_ARGUMENTS']);
    expect(byId.get('bad_args')).toEqual([true, 'TOOL_INVALID_ARGUMENTS']);
    expect(byId.get('unknown')).toEqual([true, 'TOOL_NOT_FOUND']);
    expect(byId.get('throws')).toEqual([true, 'TOOL_ERROR']);
    expect(byId.get('fine')).toEqual([false, undefined]);
    // The malformed tool.call event keeps the raw text the model produced.
    const badCall = events.find((e) => e.type === 'tool.call' && callId(e) === 'bad_json');
    expect(badCall?.payload.toolCall).toMatchObject({ arguments: '{"a": 1, "b":' });

    // Bad arguments and unknown tools never reach a worker; the throwing tool was retried once.
    const acts = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'executeTool',
    );
    expect(acts.map((a) => a.summary)).toEqual(['always_fails', 'add']);
    const attempts = await startedAttempts(handle.workflow);
    expect(attempts.get(acts[0]!.eventId)).toBe(2);
  });
});

test('running out of iterations fails the run with MAX_ITERATIONS_EXCEEDED', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'i1', name: 'add', arguments: { a: 1, b: 2 } }] },
    { type: 'tool_calls', toolCalls: [{ id: 'i2', name: 'add', arguments: { a: 3, b: 4 } }] },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling-short',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'loop' }] },
    });
    const result = await handle.result();
    expect(result.error?.type).toBe('MAX_ITERATIONS_EXCEEDED');
    expect(result.error?.message).toMatch(/2 model calls without a final answer/);
    expect(chatBodies()).toHaveLength(2);
    expect((await handle.status()).status).toBe('failed');
  });
});

test('cancelling the run reaches a running tool through its AbortSignal', async () => {
  const tq = uniqueQueue();
  abortSeen = false;
  abortStarted = false;
  server.enqueue({
    type: 'tool_calls',
    toolCalls: [{ id: 'w1', name: 'wait_for_abort', arguments: {} }],
  });
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'wait' }] },
    });
    await waitUntil(() => abortStarted, 15_000, 'the tool to start');
    await handle.cancel();
    const result = await handle.result();
    expect(result.error?.type).toBe('RUN_CANCELLED');
    await waitUntil(() => abortSeen, 5000, 'the handler to see the abort');
    const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });
});

test('a call that exceeds its per-tool timeout is reported to the model as TOOL_TIMEOUT', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 't1', name: 'too_slow', arguments: {} }] },
    { type: 'text', content: 'gave up' },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const t0 = Date.now();
    const result = await runner.execute({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'slow' }] },
    });
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'gave up' });
    expect(Date.now() - t0).toBeLessThan(8000); // the handler would take 10 s
    expect(toolMessages(chatBodies()[1])[0]?.content).toBe(
      'Error: Tool too_slow hit its start-to-close timeout.',
    );
  });
});

test('a new execution that reuses the run id gets new idempotency keys; retries of one execution keep theirs', async () => {
  const tq = uniqueQueue();
  const turn = {
    type: 'tool_calls' as const,
    toolCalls: [{ id: 'call_0', name: 'add', arguments: { a: 1, b: 2 } }],
  };
  server.enqueue(turn, { type: 'text', content: 'first' }, turn, {
    type: 'text',
    content: 'second',
  });
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools() });
  const runner = testRunner(env, tq);
  const runId = `run-${randomUUID()}`;
  const keyOfExecution = async (handle: Awaited<ReturnType<typeof runner.start>>) => {
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    const execution = (await handle.workflow.describe()).runId;
    const acts = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'executeTool',
    );
    expect(acts).toHaveLength(1);
    const key = (acts[0]?.input as { idempotencyKey: string }).idempotencyKey;
    // Stable for the execution chain: the Temporal run id of its first execution.
    expect(key).toBe(`${runId}:${execution}:call_0`);
    return key;
  };
  await worker.runUntil(async () => {
    const input = { messages: [{ role: 'user' as const, content: 'add' }] };
    const first = await keyOfExecution(
      await runner.start({ agent: 'tool-calling', runId, inputData: input }),
    );
    const second = await keyOfExecution(
      await runner.start({ agent: 'tool-calling', runId, inputData: input }),
    );
    // Same run id, same model call id, a different execution: the keys must not collide, or a
    // handler that dedupes on them would skip the second execution's effect.
    expect(second).not.toBe(first);
  });
});
