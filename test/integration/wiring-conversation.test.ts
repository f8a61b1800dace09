// Runs started with a conversationId read the conversation's active branch as their history and
// append their new messages to it. Real dev server, real Postgres (a fresh schema).
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { runMessageId } from '../../src/persistence/conversations/message-mapping';
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import type { Message } from '../../src/core/types';
import type { ConversationMessageInput } from '../../src/persistence/conversations/models';
import { PostgresConversationStore } from '../../src/persistence/conversations/postgres';
import type { ConversationStore } from '../../src/persistence/conversations/store';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { ToolRegistry } from '../../src/tools/registry';
import { addTool } from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;
let store: PostgresConversationStore;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_conv');
  store = new PostgresConversationStore({ pool: db.pool });
});
afterAll(async () => {
  await db?.drop();
  await env?.close();
});

function runner(tq: string): AgentRunner {
  return new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { conversations: true },
  });
}

/** Answers `answer N` to the N-th call and records what it was sent. */
function llm(): MockLLMClient {
  let n = 0;
  return new MockLLMClient({ respond: () => ({ role: 'assistant', content: `answer ${++n}` }) });
}

async function scheduledActivities(workflow: WorkflowHandle): Promise<string[]> {
  const history = await workflow.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => typeof n === 'string');
}

async function storedChat(conversationId: string): Promise<Array<[string, unknown]>> {
  return (await store.getMessages(conversationId)).map((m) => [m.role, m.content]);
}

test('a run sees the stored history, appends its new messages in order; a second run continues', async () => {
  const conv = await store.save({
    title: 'wiring',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
    ],
  });
  const tq = uniqueQueue();
  const model = llm();
  const worker = await createTestWorker(env, tq, model, { conversationStore: store });
  const r = runner(tq);
  await worker.runUntil(async () => {
    const first = await r.start({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q2' }] },
    });
    const res1 = await first.result();
    expect(res1.error).toBeUndefined();
    expect(res1.finalOutput).toMatchObject({
      historyLength: 3,
      inputLength: 4,
      seen: ['be brief', 'q1', 'a1', 'q2'],
      reply: 'answer 1',
    });
    expect(await scheduledActivities(first.workflow)).toEqual([
      'loadConversation',
      'invokeModel',
      'appendConversation',
    ]);
    // The model got the history, then the new input.
    expect(model.calls[0]?.messages.map((m) => m.content)).toEqual(['be brief', 'q1', 'a1', 'q2']);
    expect(await storedChat(conv.id)).toEqual([
      ['system', 'be brief'],
      ['user', 'q1'],
      ['assistant', 'a1'],
      ['user', 'q2'],
      ['assistant', 'answer 1'],
    ]);

    // The client resends the whole transcript: only the messages past the history are new.
    const transcript: Message[] = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'answer 1' },
      { role: 'user', content: 'q3' },
    ];
    const second = await r.start({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: transcript },
    });
    const res2 = await second.result();
    expect(res2.finalOutput).toMatchObject({ historyLength: 5, inputLength: 6, reply: 'answer 2' });
    expect(await storedChat(conv.id)).toEqual([
      ['system', 'be brief'],
      ['user', 'q1'],
      ['assistant', 'a1'],
      ['user', 'q2'],
      ['assistant', 'answer 1'],
      ['user', 'q3'],
      ['assistant', 'answer 2'],
    ]);
  });
});

test('an agent returning only what it produced: input, tool call (malformed arguments kept), tool result, answer', async () => {
  const conv = await store.save({ messages: [{ role: 'user', content: 'hello' }] });
  const tq = uniqueQueue();
  const model = llm();
  const worker = await createTestWorker(env, tq, model, { conversationStore: store });
  const r = runner(tq);
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const res = await r.execute({
      agent: 'wiring-tool-chat',
      runId,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'look it up' }] },
    });
    expect(res.error).toBeUndefined();
    const stored = await store.getMessages(conv.id);
    expect(stored.map((m) => m.role)).toEqual(['user', 'user', 'assistant', 'tool', 'assistant']);
    // Deterministic ids: run id + index of the run's new messages.
    const executionId = (await env.client.workflow.getHandle(runId).describe()).runId;
    expect(stored.slice(1).map((m) => m.id)).toEqual(
      [0, 1, 2, 3].map((i) => runMessageId(runId, i, executionId)),
    );
    // The model's malformed arguments text is the stored call's `arguments`, byte for byte.
    expect(stored[2]?.toolCalls).toEqual([{ id: 'call_1', name: 'lookup', arguments: '{"q": ' }]);
    expect(stored[2]?.metadata).toEqual({});
    expect(stored[3]?.toolCallId).toBe('call_1');

    // The next run gets them back as chat messages, raw tool arguments included.
    const next = await r.execute({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'and?' }] },
    });
    expect(next.finalOutput).toMatchObject({ historyLength: 5 });
    expect(model.calls.at(-1)?.messages[2]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q": ' } },
      ],
    });
  });
});

test('an unknown conversation fails the run with NOT_FOUND and runs nothing else', async () => {
  const tq = uniqueQueue();
  const model = llm();
  const worker = await createTestWorker(env, tq, model, { conversationStore: store });
  const missing = randomUUID();
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: missing, messages: [{ role: 'user', content: 'hi' }] },
    });
    const res = await handle.result();
    expect(res.error?.type).toBe('NOT_FOUND');
    expect(res.error?.message).toContain(missing);
    expect(await scheduledActivities(handle.workflow)).toEqual(['loadConversation']);
  });
  expect(model.calls).toHaveLength(0);
  expect(await store.get(missing)).toBeNull();
});

test('a failed run appends nothing to its conversation', async () => {
  const conv = await store.save({ messages: [{ role: 'user', content: 'before' }] });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { conversationStore: store });
  await worker.runUntil(async () => {
    const res = await runner(tq).execute({
      agent: 'wiring-audit',
      runId: `run-${randomUUID()}`,
      inputData: {
        conversationId: conv.id,
        messages: [{ role: 'user', content: 'x' }],
        params: { fail: true },
      },
    });
    expect(res.error?.message).toBe('audit agent gave up');
  });
  expect(await storedChat(conv.id)).toEqual([['user', 'before']]);
});

/**
 * The real store, whose first `addMessages` stores the messages and then reports a lost
 * connection, as when the database committed but the answer never reached the worker.
 */
class LosesFirstAnswer implements ConversationStore {
  calls = 0;
  constructor(private readonly inner: ConversationStore) {}
  save = (...a: Parameters<ConversationStore['save']>) => this.inner.save(...a);
  get = (...a: Parameters<ConversationStore['get']>) => this.inner.get(...a);
  delete = (...a: Parameters<ConversationStore['delete']>) => this.inner.delete(...a);
  list = (...a: Parameters<ConversationStore['list']>) => this.inner.list(...a);
  getMessages = (...a: Parameters<ConversationStore['getMessages']>) =>
    this.inner.getMessages(...a);
  createBranch = (...a: Parameters<ConversationStore['createBranch']>) =>
    this.inner.createBranch(...a);
  setActiveBranch = (...a: Parameters<ConversationStore['setActiveBranch']>) =>
    this.inner.setActiveBranch(...a);
  listBranches = (...a: Parameters<ConversationStore['listBranches']>) =>
    this.inner.listBranches(...a);
  fork = (...a: Parameters<ConversationStore['fork']>) => this.inner.fork(...a);
  close = () => this.inner.close();
  async addMessages(id: string, messages: ConversationMessageInput[]) {
    const stored = await this.inner.addMessages(id, messages);
    if (++this.calls === 1) {
      throw new AgentRuntimeError('STORAGE_ERROR', 'Storage failed: connection lost');
    }
    return stored;
  }
}

test('a retried appendConversation does not duplicate messages', async () => {
  const conv = await store.save({ messages: [{ role: 'user', content: 'q1' }] });
  const flaky = new LosesFirstAnswer(store);
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { conversationStore: flaky });
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q2' }] },
    });
    expect((await handle.result()).error).toBeUndefined();
    const history = await handle.workflow.fetchHistory();
    const appendCompleted = (history.events ?? []).filter(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        (history.events ?? []).some(
          (s) =>
            s.eventId?.toString() ===
              e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() &&
            s.activityTaskScheduledEventAttributes?.activityType?.name === 'appendConversation',
        ),
    );
    // The activity's second attempt is the one that completed.
    expect(appendCompleted.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([2]);
  });
  expect(flaky.calls).toBe(1);
  expect(await storedChat(conv.id)).toEqual([
    ['user', 'q1'],
    ['user', 'q2'],
    ['assistant', 'answer 1'],
  ]);
});

test('a run cancelled while its history loads ends cancelled, not with a storage error', async () => {
  const conv = await store.save({ messages: [{ role: 'user', content: 'q1' }] });
  let loading!: () => void;
  const started = new Promise<void>((resolve) => (loading = resolve));
  const slow = new LosesFirstAnswer(store);
  slow.get = async (...a: Parameters<ConversationStore['get']>) => {
    loading();
    await new Promise((r) => setTimeout(r, 3000));
    return store.get(...a);
  };
  const tq = uniqueQueue();
  const model = llm();
  const worker = await createTestWorker(env, tq, model, { conversationStore: slow });
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'wiring-chat',
      runId: `run-${randomUUID()}`,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q2' }] },
    });
    await started;
    await handle.cancel();
    expect((await handle.result()).error?.type).toBe('RUN_CANCELLED');
  });
  expect(model.calls).toHaveLength(0);
  expect(await storedChat(conv.id)).toEqual([['user', 'q1']]);
});

test('a run id started again (a new execution) appends its own messages', async () => {
  const conv = await store.save({ messages: [{ role: 'user', content: 'q1' }] });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { conversationStore: store });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    for (const q of ['q2', 'q3']) {
      const res = await runner(tq).execute({
        agent: 'wiring-chat',
        runId,
        inputData: { conversationId: conv.id, messages: [{ role: 'user', content: q }] },
      });
      expect(res.error).toBeUndefined();
    }
  });
  expect(await storedChat(conv.id)).toEqual([
    ['user', 'q1'],
    ['user', 'q2'],
    ['assistant', 'answer 1'],
    ['user', 'q3'],
    ['assistant', 'answer 2'],
  ]);
});

test('a ToolCallingAgent (system prompt + history + input in its final messages) appends only its new messages, run after run', async () => {
  const conv = await store.save({ title: 'tool chat' });
  let n = 0;
  // Each question gets one `add` call, then an answer that quotes the tool result.
  const model = new MockLLMClient({
    respond: (messages) => {
      const last = messages.at(-1);
      if (last?.role === 'tool')
        return {
          role: 'assistant',
          content: `sum ${typeof last.content === 'string' ? last.content : ''}`,
        };
      const id = `c${++n}`;
      return {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id, type: 'function', function: { name: 'add', arguments: `{"a":${n},"b":1}` } },
        ],
      };
    },
  });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, model, {
    conversationStore: store,
    tools: new ToolRegistry([addTool]),
  });
  const r = runner(tq);
  const turn = (q: number, id: string, sum: number): Array<[string, unknown, unknown]> => [
    ['user', `q${q}`, null],
    ['assistant', null, [`${id} add`]],
    ['tool', `{"sum":${sum}}`, id],
    ['assistant', `sum {"sum":${sum}}`, null],
  ];
  const stored = async () =>
    (await store.getMessages(conv.id)).map((m): [string, unknown, unknown] => [
      m.role,
      m.content,
      m.role === 'tool'
        ? m.toolCallId
        : m.toolCalls.length
          ? m.toolCalls.map((c) => `${c.id} ${c.name}`)
          : null,
    ]);
  await worker.runUntil(async () => {
    for (const q of [1, 2, 3]) {
      const res = await r.execute({
        agent: 'tool-calling',
        runId: `run-${randomUUID()}`,
        inputData: { conversationId: conv.id, messages: [{ role: 'user', content: `q${q}` }] },
      });
      expect(res.error).toBeUndefined();
      expect(res.finalOutput).toEqual({ response: `sum {"sum":${q + 1}}` });
    }
  });
  expect(await stored()).toEqual([...turn(1, 'c1', 2), ...turn(2, 'c2', 3), ...turn(3, 'c3', 4)]);
  // The third run's first model call got the system prompt once, then the two stored turns.
  const third = model.calls[4]?.messages ?? [];
  expect(third.map((m) => m.role)).toEqual([
    'system',
    ...['user', 'assistant', 'tool', 'assistant'],
    ...['user', 'assistant', 'tool', 'assistant'],
    'user',
  ]);
  expect(third[0]?.content).toBe('You are the tool test agent.');
});
