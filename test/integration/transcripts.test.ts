// Model calls by reference in real runs: after the first call, an invokeModel input carries only
// the messages new since the run's previous call; the worker keeps the transcript (memory,
// Postgres, Redis) and the model still gets the whole conversation on every call, also across a
// worker restart (a memory store then misses the transcript and the run sends it again whole).
// Real Temporal dev server, the official openai client against the local model server.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { ActivityDeps } from '../../activities';
import type {
  InvokeModelByReferenceInput,
  InvokeModelFullInput,
  InvokeModelOutput,
} from '../../src/core/activity-contract';
import type { Message, RunEvent, RunResult } from '../../src/core/types';
import { expandTranscriptId } from '../../src/core/wire-ids';
import { InMemoryEventBus } from '../../src/events/memory';
import { PostgresConversationStore } from '../../src/persistence/conversations/postgres';
import { readRunEvents } from '../../src/events/read-run-events';
import { eventsQuery, type AgentRunOutput } from '../../src/core/run-contract';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import {
  InMemoryTranscriptStore,
  PostgresTranscriptStore,
  RedisTranscriptStore,
  type TranscriptStore,
} from '../../src/transcripts';
import { addTool } from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';
import { decodePayload, scheduledActivities } from './tools-helpers';

let env: TestEnv;
let server: MockLLMServer;
let db: TestSchema;
let redis: Redis;
const redisPrefix = `test-transcripts:${randomUUID()}:`;

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  db = await createTestSchema('it_transcripts');
  redis = new Redis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis?.disconnect();
  await db?.drop();
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

/** Scripts `turns` tool turns (one `add` call each), then a final answer. */
function scriptToolLoop(turns: number): void {
  for (let i = 0; i < turns; i++) {
    server.enqueue({
      type: 'tool_calls',
      toolCalls: [{ id: `call_${i}`, name: 'add', arguments: { a: i, b: 1 } }],
    });
  }
  server.enqueue({ type: 'text', content: 'All added.' });
}

type WireMessage = {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { arguments: string } }[];
};

/** What matters of a message on the wire and in a run's result, comparable across the two. */
function view(m: WireMessage | Message): string {
  const calls = (m.tool_calls ?? []).map((c) => [c.id, c.function.arguments]);
  return JSON.stringify([m.role, m.content ?? null, m.tool_call_id ?? null, calls]);
}

/** The conversations the model received, one per model request. */
function sentConversations(): string[][] {
  return server.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => (r.body as { messages: WireMessage[] }).messages.map(view));
}

/** Asserts every model request carried exactly the run's conversation up to that call. */
function expectWholeConversationSent(result: RunResult, turns: number): void {
  const final = result.finalMessages.map(view);
  const sent = sentConversations();
  // One model request per model call: a missing transcript is found before the model is called.
  expect(sent).toHaveLength(turns + 1);
  sent.forEach((conversation, i) => {
    // system + user, then one assistant message and one tool message per turn before it.
    expect(conversation).toEqual(final.slice(0, 2 + 2 * i));
  });
}

type InvokeInput = InvokeModelByReferenceInput & Partial<InvokeModelFullInput>;

async function invokeInputs(handle: WorkflowHandle): Promise<InvokeInput[]> {
  return (await scheduledActivities(handle))
    .filter((a) => a.type === 'invokeModel')
    .map((a) => a.input as InvokeInput);
}

/** Error types of the failed invokeModel attempts, and the results of the completed ones. */
async function invokeOutcomes(
  handle: WorkflowHandle,
): Promise<{ failures: string[]; results: InvokeModelOutput[]; patches: string[] }> {
  const history = await handle.fetchHistory();
  const invokeIds = new Set<number>();
  const failures: string[] = [];
  const results: InvokeModelOutput[] = [];
  const patches: string[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'invokeModel') invokeIds.add(Number(e.eventId));
    const failed = e.activityTaskFailedEventAttributes;
    if (failed && invokeIds.has(Number(failed.scheduledEventId))) {
      failures.push(failed.failure?.applicationFailureInfo?.type ?? '?');
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && invokeIds.has(Number(completed.scheduledEventId))) {
      results.push(decodePayload(completed.result?.payloads?.[0]) as InvokeModelOutput);
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      const data = decodePayload(marker.details?.['patch-data']?.payloads?.[0]) as { id: string };
      patches.push(data.id);
    }
  }
  return { failures, results, patches };
}

/** Asserts each call after the first sent only its new tool message (no options, no prefix). */
function expectOnlyNewMessages(inputs: InvokeInput[]): void {
  const [first, ...rest] = inputs;
  expect(first?.messages).toBeUndefined();
  expect(first?.transcript).toMatchObject({ length: 0, hash: '' });
  expect(first?.newMessages.map((m) => m.role)).toEqual(['system', 'user']);
  expect(first?.options?.tools?.length).toBeGreaterThan(0);
  let length = 2;
  for (const input of rest) {
    // The previous call's new messages and the reply are stored: only the tool result is new.
    length += 2;
    expect(input.messages).toBeUndefined();
    expect(input.transcript).toMatchObject({ id: first?.transcript.id, length: length - 1 });
    expect(input.newMessages.map((m) => m.role)).toEqual(['tool']);
    expect(input.options).toBeUndefined();
    expect(input.optionsKey).toBe(first?.optionsKey);
  }
}

test('after the first call, an invokeModel input carries only the new messages; results carry the answer once', async () => {
  const tq = uniqueQueue();
  const turns = 4;
  scriptToolLoop(turns);
  const worker = await createTestWorker(env, tq, openai(), { tools: [addTool] });
  const runner = testRunner(env, tq);
  const handle = await worker.runUntil(async () => {
    const h = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Add things.' }] },
    });
    const result = await h.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'All added.' });
    expectWholeConversationSent(result, turns);
    return h;
  });
  const inputs = await invokeInputs(handle.workflow);
  expect(inputs).toHaveLength(turns + 1);
  expectOnlyNewMessages(inputs);
  const { failures, results, patches } = await invokeOutcomes(handle.workflow);
  expect(failures).toEqual([]);
  expect(patches).toContain('agent-runtime.transcript-by-reference');
  for (const r of results) {
    // The answer is in `message` only: no second copy of the text or of the tool calls.
    expect(r.content).toBeUndefined();
    expect(r.toolCalls).toBeUndefined();
    expect(r.transcript?.length).toBeGreaterThan(0);
  }
  expect(results.at(-1)?.message.content).toBe('All added.');
});

test("modelCall.transcript 'full' sends the whole conversation with every call, as runs recorded before", async () => {
  const tq = uniqueQueue();
  scriptToolLoop(2);
  const worker = await createTestWorker(env, tq, openai(), { tools: [addTool] });
  const runner = testRunner(env, tq, { modelCall: { transcript: 'full' } });
  const handle = await worker.runUntil(async () => {
    const h = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Add things.' }] },
    });
    expectWholeConversationSent(await h.result(), 2);
    return h;
  });
  const inputs = await invokeInputs(handle.workflow);
  expect(inputs.map((i) => i.messages?.length)).toEqual([2, 4, 6]);
  expect(inputs.every((i) => i.transcript === undefined)).toBe(true);
  const { results, patches } = await invokeOutcomes(handle.workflow);
  expect(patches).not.toContain('agent-runtime.transcript-by-reference');
  expect(results.at(-1)).toMatchObject({ content: 'All added.', toolCalls: [] });
});

/** Transcript stores of two worker lifetimes: each its own instance (as after a restart). */
const backends: {
  name: string;
  store: () => TranscriptStore | undefined;
  /** Whether the restarted worker still finds the transcript. */
  durable: boolean;
}[] = [
  { name: 'memory (the default)', store: () => undefined, durable: false },
  { name: 'postgres', store: () => new PostgresTranscriptStore({ pool: db.pool }), durable: true },
  {
    name: 'redis',
    store: () => new RedisTranscriptStore({ client: redis, keyPrefix: redisPrefix }),
    durable: true,
  },
];

describe.each(backends)('a worker restart in the middle of a tool loop: $name', (backend) => {
  test('the run completes and the model gets the whole conversation on every call', async () => {
    const tq = uniqueQueue();
    const turns = 5;
    scriptToolLoop(turns);
    const deps = (): Omit<Partial<ActivityDeps>, 'llm'> => {
      const store = backend.store();
      return { tools: [addTool], ...(store ? { transcriptStore: store } : {}) };
    };
    // A shared store (Postgres, Redis): the run returns finalMessages by reference, which the
    // runner reads back from the same store.
    const readBack = backend.store();
    const runner = testRunner(env, tq, {}, readBack ? { transcriptStore: readBack } : {});
    const runId = `run-${randomUUID()}`;
    // The first worker makes two model calls, then stops (its activities finish first).
    const first = await createTestWorker(env, tq, openai(), deps());
    await first.runUntil(async () => {
      await runner.start({
        agent: 'tool-calling',
        runId,
        inputData: { messages: [{ role: 'user', content: 'Add things.' }] },
      });
      await server.waitFor((requests) => requests.length >= 2, '20s');
    });
    // A new worker: a new transcript store instance (with memory, an empty one).
    const second = await createTestWorker(env, tq, openai(), deps());
    const handle = await runner.getHandle(runId);
    const result = await second.runUntil(() => handle.result());
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'All added.' });
    expectWholeConversationSent(result, turns);

    const inputs = await invokeInputs(handle.workflow);
    const { failures } = await invokeOutcomes(handle.workflow);
    if (backend.durable) {
      expect(failures).toEqual([]);
      expectOnlyNewMessages(inputs);
      return;
    }
    // The new worker's memory lacks the transcript: one TRANSCRIPT_MISSING, then the call again
    // with the whole conversation; the calls after it go by reference again.
    expect(failures).toEqual(['TRANSCRIPT_MISSING']);
    expect(inputs).toHaveLength(turns + 2);
    const resent = inputs.findIndex((i, k) => k > 0 && i.transcript?.length === 0);
    expect(resent).toBeGreaterThan(1);
    const missed = inputs[resent - 1];
    expect(inputs[resent]?.transcript.id).toBe(missed?.transcript.id);
    // Whole: the stored prefix and the missed call's new messages (its tool result included,
    // which the missed call sent by reference).
    expect(inputs[resent]?.newMessages).toEqual(
      result.finalMessages.slice(0, missed!.transcript.length + missed!.newMessages.length),
    );
    expect(inputs[resent]?.storedResults).toBeUndefined();
    expect(inputs[resent]?.options).toEqual(inputs[0]?.options);
    for (const later of inputs.slice(resent + 1)) {
      expect(later.transcript.length).toBeGreaterThan(0);
      expect(later.newMessages.map((m) => m.role)).toEqual(['tool']);
    }
  });
});

test('a retried model call stores its messages once', async () => {
  const tq = uniqueQueue();
  // The second model call fails once (HTTP 500, retried by the activity's retry policy).
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'call_0', name: 'add', arguments: { a: 1, b: 2 } }] },
    { type: 'error', status: 500 },
    { type: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 3, b: 4 } }] },
    { type: 'text', content: 'All added.' },
  );
  const store = new PostgresTranscriptStore({ pool: db.pool });
  const worker = await createTestWorker(env, tq, openai(), {
    tools: [addTool],
    transcriptStore: store,
  });
  const runner = testRunner(
    env,
    tq,
    { modelCall: { retry: { initialInterval: '100ms' } } },
    { transcriptStore: store },
  );
  const handle = await worker.runUntil(async () => {
    const h = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Add things.' }] },
    });
    const result = await h.result();
    expect(result.error).toBeUndefined();
    return h;
  });
  const result = await handle.result();
  const inputs = await invokeInputs(handle.workflow);
  const last = inputs.at(-1)!;
  const stored = last.transcript.length + last.newMessages.length + 1;
  expect(stored).toBe(result.finalMessages.length);
  // Inputs name the execution's own transcripts in the short form `~<n>`.
  const id = expandTranscriptId(last.transcript.id, {
    workflowId: handle.workflow.workflowId,
    runId: (await handle.workflow.describe()).runId,
  });
  const entries = await store.read(id, stored);
  expect(entries?.map((e) => e.message)).toEqual(result.finalMessages);
  expect(await store.read(id, stored + 1)).toBeNull();
});

/**
 * A store shared by the worker and the runner of this process (as Postgres or Redis would be),
 * which can lose the stored replies (tool arguments) or the stored tool results.
 */
class LosingStore extends InMemoryTranscriptStore {
  override readonly durable = true;
  override readonly shared = true;
  loseReplies = false;
  loseResults = false;
  loseTranscripts = false;
  override async read(id: string, length: number) {
    return this.loseTranscripts ? null : super.read(id, length);
  }
  override async readEntry(id: string, position: number) {
    return this.loseReplies ? null : super.readEntry(id, position);
  }
  override async getConstant(id: string, key: string) {
    return this.loseResults && key.startsWith('r:') ? null : super.getConstant(id, key);
  }
}

/** Runs `turns` tool turns on a worker with `store`; counts the tool's executions. */
async function runToolLoop(
  store: TranscriptStore,
  turns: number,
  runner = true,
  eventBus?: InMemoryEventBus,
) {
  const tq = uniqueQueue();
  scriptToolLoop(turns);
  let executions = 0;
  const counted: typeof addTool = {
    ...addTool,
    handler: (args, ctx) => {
      executions++;
      return addTool.handler(args, ctx);
    },
  };
  const worker = await createTestWorker(env, tq, openai(), {
    tools: [counted],
    transcriptStore: store,
    ...(eventBus ? { eventBus } : {}),
  });
  const r = testRunner(
    env,
    tq,
    {},
    {
      ...(runner ? { transcriptStore: store } : {}),
      ...(eventBus ? { eventBus, persistence: { runEvents: true } } : {}),
    },
  );
  return worker.runUntil(async () => {
    const handle = await r.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Add things.' }] },
    });
    const raw: AgentRunOutput = await handle.workflow.result();
    const result = await handle.result().catch((err: unknown) => err as Error);
    // The run's own event log, while a worker answers queries.
    const own = (await handle.workflow.query(eventsQuery, 0)) as RunEvent[];
    return { handle, raw, result, executions, own };
  });
}

test('tool arguments, tool results and the run result go by reference: each enters history once', async () => {
  const turns = 3;
  const store = new LosingStore();
  const { handle, raw, result, executions } = await runToolLoop(store, turns);
  if (result instanceof Error) throw result;
  expect(result.error).toBeUndefined();
  // The model got the whole conversation, tool results included, on every call.
  expectWholeConversationSent(result, turns);
  expect(executions).toBe(turns);
  expect(result.finalMessages).toHaveLength(2 + 2 * turns + 1);
  // History: each executeTool reads its arguments from the stored reply...
  const tools = (await scheduledActivities(handle.workflow)).filter(
    (a) => a.type === 'executeTool',
  );
  expect(tools).toHaveLength(turns);
  for (const t of tools) {
    const input = t.input as { arguments?: unknown; argumentsFrom?: { transcript: string } };
    expect(input.arguments).toBeUndefined();
    expect(input.argumentsFrom?.transcript).toBe('~1');
    expect(t.inputText).not.toContain('"a":');
  }
  // ... each later model call reads the tool result from the store...
  const inputs = await invokeInputs(handle.workflow);
  for (const input of inputs.slice(1)) {
    expect(input.storedResults).toHaveLength(1);
    expect(input.newMessages[0]).toMatchObject({ role: 'tool', content: '' });
  }
  // ... and the run's result carries only what follows the stored prefix: here nothing, as the
  // final answer is stored too.
  expect(raw.finalMessagesPrefix).toMatchObject({ length: 2 + 2 * turns + 1 });
  expect(raw.finalMessages).toEqual([]);
  expect(result.finalMessages.at(-1)?.content).toBe('All added.');
});

test.each([
  ['the stored replies', 'loseReplies'],
  ['the stored tool results', 'loseResults'],
] as const)(
  'a worker that lost %s sends them whole: the tool runs once per call and the model once per turn',
  async (_what, flag) => {
    const turns = 3;
    const store = new LosingStore();
    store[flag] = true;
    const { handle, result, executions } = await runToolLoop(store, turns);
    if (result instanceof Error) throw result;
    expect(result.error).toBeUndefined();
    expectWholeConversationSent(result, turns);
    expect(executions).toBe(turns);
    const tools = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'executeTool',
    );
    const { failures } = await invokeOutcomes(handle.workflow);
    if (flag === 'loseReplies') {
      // Each call: by reference (TRANSCRIPT_MISSING before the tool runs), then with arguments.
      expect(tools).toHaveLength(2 * turns);
      expect(
        tools.map((t) => (t.input as { arguments?: unknown }).arguments !== undefined),
      ).toEqual(Array.from({ length: 2 * turns }, (_, i) => i % 2 === 1));
      expect(failures).toEqual([]);
    } else {
      // Each later model call: one TRANSCRIPT_MISSING before the model is called, then whole.
      expect(tools).toHaveLength(turns);
      expect(failures).toEqual(Array.from({ length: turns }, () => 'TRANSCRIPT_MISSING'));
    }
  },
);

test('a runner without the transcript store gets finalMessages whole; another client without it is told what to do', async () => {
  // Started by a runner without the store: nothing by reference in the result.
  const inline = await runToolLoop(new LosingStore(), 1, false);
  if (inline.result instanceof Error) throw inline.result;
  expect(inline.raw.finalMessagesPrefix).toBeUndefined();
  expect(inline.raw.finalMessages).toEqual(inline.result.finalMessages);
  expect(inline.result.finalMessages).toHaveLength(5);
  // Started by a runner with it, read by a client without it.
  const stored = await runToolLoop(new LosingStore(), 1, true);
  expect(stored.raw.finalMessagesPrefix).toBeDefined();
  const other = await testRunner(env, 'unused').getHandle(stored.handle.runId);
  const err = await other.result().catch((e: unknown) => e as Error & { code?: string });
  expect(err).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe('CONFIG_MISSING');
  expect((err as Error).message).toMatch(/same `transcriptStore` as the workers/);
});

test.each([
  ['a worker that has them', false],
  ['a worker that lost the stored replies (the batches go again whole)', true],
])(
  'published events name the stored replies and tool results; %s fills them in',
  async (_what, lose) => {
    const turns = 2;
    const store = new LosingStore();
    store.loseReplies = lose;
    const bus = new InMemoryEventBus();
    const { handle, result, own } = await runToolLoop(store, turns, true, bus);
    if (result instanceof Error) throw result;
    expect(result.error).toBeUndefined();
    // The event store has every event whole: the same as the run's own log.
    const stored = await readRunEvents(bus, handle.runId);
    expect(stored.map((e) => [e.seq, e.type, e.payload])).toEqual(
      own.map((e) => [e.seq, e.type, e.payload]),
    );
    const calls = stored.filter((e) => e.type === 'tool.call');
    expect(calls).toHaveLength(turns);
    for (const c of calls) {
      expect((c.payload.toolCall as { arguments: string }).arguments).toMatch(/"a":/);
    }
    const results = stored.filter((e) => e.type === 'tool.result');
    expect(results.map((e) => e.payload.result)).toEqual([{ sum: 1 }, { sum: 2 }]);
    // History: the batches name those fields; a worker that lost them got each batch again whole.
    const batches = (await scheduledActivities(handle.workflow)).filter(
      (a) => a.type === 'publishRunEvents',
    );
    const byRef = batches.filter((b) => (b.input as { refs?: unknown[] }).refs?.length);
    const whole = batches.filter((b) => String(b.summary).endsWith(', whole'));
    expect(byRef.length).toBeGreaterThan(0);
    if (lose) {
      expect(whole.length).toBeGreaterThan(0);
    } else {
      expect(whole).toEqual([]);
      for (const b of batches) expect(b.inputText).not.toContain('"a":');
    }
  },
);

test('calls of one reply that share an id each run with their own arguments', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'dup', name: 'add', arguments: { a: 1, b: 1 } },
        { id: 'dup', name: 'add', arguments: { a: 2, b: 2 } },
      ],
    },
    { type: 'text', content: 'done' },
  );
  const store = new LosingStore();
  const worker = await createTestWorker(env, tq, openai(), {
    tools: [addTool],
    transcriptStore: store,
  });
  const runner = testRunner(env, tq, {}, { transcriptStore: store });
  const handle = await worker.runUntil(async () => {
    const h = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'Add twice.' }] },
    });
    expect((await h.result()).error).toBeUndefined();
    return h;
  });
  // The model got both results, each from its own arguments.
  const [, second] = sentConversations();
  expect(second?.filter((m) => m.startsWith('["tool"'))).toEqual([
    JSON.stringify(['tool', '{"sum":2}', 'dup', []]),
    JSON.stringify(['tool', '{"sum":4}', 'dup', []]),
  ]);
  // An id two calls share names neither: both calls carried their arguments.
  const tools = (await scheduledActivities(handle.workflow)).filter(
    (a) => a.type === 'executeTool',
  );
  expect(tools.map((t) => (t.input as { arguments?: unknown }).arguments)).toEqual([
    { a: 1, b: 1 },
    { a: 2, b: 2 },
  ]);
});

test.each([
  ["names the stored part of the run's new messages", false],
  ['sends them whole when its worker cannot read the transcript', true],
])('the conversation append %s', async (_what, lose) => {
  const tq = uniqueQueue();
  const turns = 2;
  scriptToolLoop(turns);
  const store = new LosingStore();
  const conversations = new PostgresConversationStore({ pool: db.pool });
  const conv = await conversations.save({ messages: [{ role: 'user', content: 'earlier' }] });
  const worker = await createTestWorker(env, tq, openai(), {
    tools: [addTool],
    transcriptStore: store,
    conversationStore: conversations,
  });
  const runner = testRunner(env, tq, {}, { persistence: { conversations: true } });
  const handle = await worker.runUntil(async () => {
    const h = await runner.start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'Add things.' }] },
    });
    // Lost only once the model calls are done: the append is what cannot read it.
    await server.waitFor((requests) => requests.length >= turns + 1, '20s');
    store.loseTranscripts = lose;
    expect((await h.result()).error).toBeUndefined();
    return h;
  });
  // The conversation: the earlier message, then the new input and every message the run made.
  const stored = (await conversations.get(conv.id))?.messages ?? [];
  expect(stored.map((m) => m.role)).toEqual([
    'user',
    'user',
    ...Array.from({ length: turns }, () => ['assistant', 'tool']).flat(),
    'assistant',
  ]);
  expect(stored.at(-1)?.content).toBe('All added.');
  // Tool results read back from the transcript store, not the empty contents sent by reference.
  expect(stored.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual([
    '{"sum":1}',
    '{"sum":2}',
  ]);
  const appends = (await scheduledActivities(handle.workflow)).filter(
    (a) => a.type === 'appendConversation',
  );
  const first = appends[0]?.input as { messages: unknown[]; stored?: { from: number } };
  expect(first.stored).toBeDefined();
  expect(first.messages).toHaveLength(1);
  expect(appends.map((a) => String(a.summary).endsWith(', whole'))).toEqual(
    lose ? [false, true] : [false],
  );
});
