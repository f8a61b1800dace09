// Continue-as-new without the user noticing: long runs on a dev server started here with a small
// `limit.historyCount.suggestContinueAsNew`, so they continue as new several times. The run keeps
// its id, its events arrive gap-free and once each through `events()`, usage totals add up,
// the conversation is appended once, steps are not run again, and the transcript goes by
// reference (the workers' Postgres transcript store). Real Temporal, Postgres, and the official
// openai client against the local model server. `LONG=1` runs longer variants.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createAgentWorker } from '../../worker';
import type { ActivityDeps } from '../../activities';
import { AgentRunner, type AgentRunnerOptions } from '../../src/client/runner';
import type { RunEvent, Usage } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import { PostgresConversationStore } from '../../src/persistence/conversations/postgres';
import { defineSteps } from '../../src/steps';
import {
  startMockLLMServer,
  type MockLLMServer,
  type RecordedRequest,
} from '../../src/testing/llm-server';
import { startTemporalDevServer, type DevServer } from '../../src/testing/temporal-server';
import { InMemoryTranscriptStore, PostgresTranscriptStore } from '../../src/transcripts';
import { addTool } from '../fixtures/tool-defs';
import { InMemoryEventBus } from '../../src/events/memory';
import { readRunEvents } from '../../src/events/read-run-events';
import { uniqueQueue } from './helpers';
import { createTestSchema, PG_URL, type TestSchema } from './persistence/pg-helpers';

const LONG = process.env.LONG === '1';
/** The server suggests continue-as-new past this many history events. */
const SUGGEST_AT = 400;
const TURNS = LONG ? 2000 : 500;
const STEPS = LONG ? 1000 : 300;

let server: DevServer;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let llm: MockLLMServer;
let db: TestSchema;

beforeAll(async () => {
  server = await startTemporalDevServer({
    extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_AT}`],
  });
  connection = await Connection.connect({ address: server.address });
  native = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection });
  llm = await startMockLLMServer();
  db = await createTestSchema('it_can');
}, 120_000);
afterAll(async () => {
  await db?.drop();
  await llm?.close();
  await connection?.close();
  await native?.close();
  await server?.stop();
});
beforeEach(() => llm.reset());
const children: ChildProcess[] = [];
afterEach(async () => {
  // A failed test must not leave a worker process behind.
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
});

const steps = defineSteps({
  canCount: (_ctx, state: { count?: number }) => {
    state.count = (state.count ?? 0) + 1;
    return state.count;
  },
});

function openai(): OpenAIClient {
  return new OpenAIClient({
    apiKey: 'sk-test',
    baseURL: llm.openaiBaseURL,
    defaultModel: 'test-model',
  });
}

function worker(taskQueue: string, extra: Omit<Partial<ActivityDeps>, 'llm'> = {}) {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return createAgentWorker({
    connection: native,
    taskQueue,
    workflowBundle: { codePath },
    activities: { llm: openai(), tools: [addTool], steps, ...extra },
  });
}

function runner(taskQueue: string, persistence = {}): AgentRunner {
  return new AgentRunner({
    client,
    config: { taskQueue, runTimeout: '20m' },
    persistence,
    // The workers' Postgres transcript store: runs return finalMessages by reference to it.
    transcriptStore: new PostgresTranscriptStore({ pool: db.pool }),
  });
}

/** A runner whose runs continue as new every ~600 KB of history (the tests of large payloads). */
function smallHistoryRunner(
  taskQueue: string,
  options: Omit<AgentRunnerOptions, 'client' | 'config'> = {},
): AgentRunner {
  return new AgentRunner({
    client,
    ...options,
    config: { taskQueue, runTimeout: '10m', continueAsNew: { maxHistoryBytes: 600_000 } },
  });
}

/**
 * `promise`, or a rejection naming `what` after `ms`: a run stuck on a workflow task that fails
 * forever would otherwise hang the test until Jest's timeout.
 */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Every event through `events()`, with the check that each seq comes once and in order. */
async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function expectGapFree(events: RunEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
  expect(events.at(-1)?.type).toBe('run.succeeded');
}

/** The executions of a workflow id, first to last, with each one's history length. */
async function executions(
  handle: WorkflowHandle,
): Promise<{ runId: string; events: number; start: number }[]> {
  const out: { runId: string; events: number; start: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
    const h = client.workflow.getHandle(handle.workflowId, w.runId);
    const history = await h.fetchHistory();
    out.push({ runId: w.runId, events: history.events?.length ?? 0, start: w.startTime.getTime() });
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The executions of a workflow id, first to last, and the input the last one started with (its
 * start event alone: a whole history that carries large state can pass the client's 4 MB limit).
 */
async function lastExecutionInput<T>(
  workflowId: string,
): Promise<{ chain: { runId: string; start: number }[]; input: T }> {
  const runIds: { runId: string; start: number }[] = [];
  for await (const x of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runIds.push({ runId: x.runId, start: x.startTime.getTime() });
  }
  const chain = runIds.sort((a, b) => a.start - b.start);
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: { workflowId, runId: chain.at(-1)?.runId },
    maximumPageSize: 1,
  });
  const first =
    page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return { chain, input: JSON.parse(Buffer.from(first ?? []).toString('utf8')) as T };
}

/** The activities an execution scheduled, in order, with their first argument. */
async function scheduled(
  workflowId: string,
  runId: string | undefined,
): Promise<{ type: string; input: unknown }[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const out: { type: string; input: unknown }[] = [];
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    const type = a?.activityType?.name;
    if (!type) continue;
    const data = a.input?.payloads?.[0]?.data;
    out.push({ type, input: data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined });
  }
  return out;
}

/** Model replies: `add` while fewer than `turns` tool results came back, then a final answer. */
function toolLoopHandler(turns: number) {
  return (req: RecordedRequest) => {
    const body = req.body as { messages: { role: string }[] };
    const done = body.messages.filter((m) => m.role === 'tool').length;
    if (done >= turns) {
      return {
        type: 'text' as const,
        content: `done after ${done}`,
        usage: { promptTokens: 7, completionTokens: 3 },
      };
    }
    return {
      type: 'tool_calls' as const,
      toolCalls: [{ name: 'add', arguments: { a: done, b: 1 } }],
      usage: { promptTokens: 5, completionTokens: 2 },
    };
  };
}

test(`a ${TURNS}-turn ToolCallingAgent run continues as new several times and nobody notices`, async () => {
  const tq = uniqueQueue('can-tools');
  const transcriptStore = new PostgresTranscriptStore({ pool: db.pool });
  const conversationStore = new PostgresConversationStore({ pool: db.pool });
  const conv = await conversationStore.save({
    title: 'can',
    messages: [
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'ok' },
    ],
  });
  llm.setHandler(toolLoopHandler(TURNS));
  const w = await worker(tq, { transcriptStore, conversationStore });
  const r = runner(tq, { conversations: true });
  const runId = `can-tools-${randomUUID()}`;
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-tool-loop',
      runId,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'count' }] },
    });
    const watched = collect(handle.events());
    const result = await handle.result();
    const events = await watched;
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: `done after ${TURNS}` });
    // The whole conversation, read back from the transcript store once at the end.
    expect(result.finalMessages.filter((m) => m.role === 'tool')).toHaveLength(TURNS);
    expect(result.finalMessages[0]).toEqual({
      role: 'system',
      content: 'Add numbers until told to stop.',
    });
    expect(JSON.stringify(result.finalMessages)).not.toContain('kept in the transcript store');

    expectGapFree(events);
    const continued = events.filter((e) => e.type === 'run.continued');
    expect(continued.length).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'tool.result')).toHaveLength(TURNS);
    const turns = events.filter((e) => e.type === 'assistant.message');
    expect(turns.map((e) => e.payload.turn)).toEqual(
      Array.from({ length: TURNS + 1 }, (_, i) => i + 1),
    );

    // One model request per turn: nothing repeated across executions.
    const requests = llm.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(requests).toHaveLength(TURNS + 1);
    // Usage totals equal the sum of the calls.
    const expected: Usage = {
      promptTokens: 5 * TURNS + 7,
      completionTokens: 2 * TURNS + 3,
      totalTokens: 7 * TURNS + 10,
    };
    expect(result.usage).toMatchObject(expected);
    const sum = turns.reduce((n, e) => n + (e.payload.usage as Usage).totalTokens, 0);
    expect(sum).toBe(expected.totalTokens);

    // Appended once: the new input plus what the run produced, after the earlier messages.
    const stored = await conversationStore.getMessages(conv.id);
    expect(stored).toHaveLength(2 + 1 + 2 * TURNS + 1);
    expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'earlier',
      'count',
    ]);

    // The chain of executions, each history small.
    const chain = await executions(handle.workflow);
    expect(chain.length).toBe(continued.length + 1);
    const longest = Math.max(...chain.map((c) => c.events));
    console.log(
      `continue-as-new: ${TURNS} turns, ${chain.length} executions, history events per execution ${chain.map((c) => c.events).join(',')}`,
    );
    expect(longest).toBeLessThan(SUGGEST_AT + 60);
    // The last execution appended the conversation by reference: it read no transcript back.
    const last = await scheduled(handle.workflow.workflowId, chain.at(-1)?.runId);
    expect(last.map((a) => a.type)).not.toContain('loadTranscript');
    const append = last.find((a) => a.type === 'appendConversation')?.input as {
      messages: unknown[];
      stored?: { from: number };
    };
    expect(append.messages).toEqual([{ role: 'user', content: 'count' }]);
    // Past the system prompt, the two earlier messages and the new input.
    expect(append.stored?.from).toBe(4);
    // Model calls after the first continue carried only new messages (by reference).
    const sizes = requests.map((q) => (q.body as { messages: unknown[] }).messages.length);
    expect(sizes.at(-1)).toBe(2 + 1 + 1 + 2 * TURNS);
    const status = await handle.status();
    expect(status).toMatchObject({ status: 'succeeded', lastSeq: events.length });
  });
}, 600_000);

test(`a StepExecutor job of ${STEPS} steps continues as new and runs each step once`, async () => {
  const tq = uniqueQueue('can-steps');
  const w = await worker(tq);
  const r = runner(tq);
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-steps',
      runId: `can-steps-${randomUUID()}`,
      inputData: { messages: [], params: { steps: STEPS } },
    });
    const watched = collect(handle.events());
    const result = await handle.result();
    const events = await watched;
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ results: STEPS, last: STEPS });
    expectGapFree(events);
    expect(events.filter((e) => e.type === 'run.continued').length).toBeGreaterThanOrEqual(3);
    const started = events.filter((e) => e.type === 'step.started').map((e) => e.payload.stepName);
    expect(started).toEqual(Array.from({ length: STEPS }, (_, i) => `s${i + 1}`));
    expect(events.filter((e) => e.type === 'step.completed')).toHaveLength(STEPS);
    expect(events.filter((e) => e.type === 'step.skipped')).toHaveLength(0);
    const chain = await executions(handle.workflow);
    console.log(
      `continue-as-new: ${STEPS} steps, ${chain.length} executions, history events per execution ${chain.map((c) => c.events).join(',')}`,
    );
  });
}, 600_000);

test('a hand-written agent continues through the documented API (memory transcript store: carried whole)', async () => {
  const tq = uniqueQueue('can-hand');
  const w = await worker(tq);
  const r = runner(tq);
  const turns = LONG ? 1000 : 300;
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-hand',
      runId: `can-hand-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns } },
    });
    const watched = collect(handle.events());
    const result = await handle.result();
    const events = await watched;
    expect(result.error).toBeUndefined();
    expectGapFree(events);
    const continued = events.filter((e) => e.type === 'run.continued').length;
    expect(continued).toBeGreaterThanOrEqual(3);
    expect(result.finalOutput).toEqual({ turns, executions: continued + 1 });
    expect(result.finalMessages).toHaveLength(1 + 2 * turns);
    const requests = llm.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(requests).toHaveLength(turns);
    // A watcher starting now is further behind than the last execution holds (its tail of at most 256
    // events), and this runner has no event store: a typed error naming where it can resume.
    expect(events.length).toBeGreaterThan(256);
    let late: unknown;
    try {
      await collect(handle.events({ follow: false }));
    } catch (err) {
      late = err;
    }
    expect(late).toMatchObject({ code: 'EVENTS_EXPIRED' });
    const firstSeq = Number((late as { details: { firstSeq: number } }).details.firstSeq);
    const rest = await collect(handle.events({ afterSeq: firstSeq - 1, follow: false }));
    expect(rest).toEqual(events.slice(firstSeq - 1));
    // Every call saw the whole conversation so far.
    expect(requests.map((q) => (q.body as { messages: unknown[] }).messages.length)).toEqual(
      Array.from({ length: turns }, (_, i) => 1 + 2 * i),
    );
  });
}, 600_000);

test('with an event store, a watcher behind the carried tail reads the older events from it', async () => {
  const tq = uniqueQueue('can-bus');
  const bus = new InMemoryEventBus();
  const w = await worker(tq, { eventBus: bus });
  const r = new AgentRunner({
    client,
    eventBus: bus,
    persistence: { runEvents: true },
    config: { taskQueue: tq, runTimeout: '20m', continueAsNew: { maxHistoryEvents: 120 } },
  });
  const turns = 120;
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-hand',
      runId: `can-bus-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns } },
    });
    const watched = collect(handle.events());
    // A late watcher, started while the run is in a later execution: far behind its tail (at
    // most 16 events when events are stored), so its first events come from the event store.
    await llm.waitFor((requests) => requests.length >= 60, '120s');
    const late = collect(handle.events());
    const result = await handle.result();
    const events = await watched;
    expect(result.error).toBeUndefined();
    expect(events.filter((e) => e.type === 'run.continued').length).toBeGreaterThanOrEqual(1);
    expectGapFree(events);
    expect((await late).map((e) => [e.seq, e.type])).toEqual(events.map((e) => [e.seq, e.type]));
    // The store holds them all, whole.
    const stored = await readRunEvents(bus, handle.runId);
    expect(stored.map((e) => [e.seq, e.type, e.payload])).toEqual(
      events.map((e) => [e.seq, e.type, e.payload]),
    );
  });
}, 600_000);

/** A worker process (test/fixtures/continue-worker-process.ts); resolves once it polls. */
function workerProcess(taskQueue: string, killOnContinued: boolean) {
  // node itself runs the worker (tsx only as a require hook), so SIGKILL hits the worker.
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/continue-worker-process.ts')],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TASK_QUEUE: taskQueue,
        LLM_BASE_URL: llm.openaiBaseURL,
        PG_URL,
        PG_SCHEMA: db.schema,
        KILL_ON_CONTINUED: killOnContinued ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  let out = '';
  const printed = (line: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not print "${line}" in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        if (!out.includes(line)) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        check();
      });
      check();
    });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, printed, exited: new Promise((r) => child.once('exit', (_c, sig) => r(sig))) };
}

test('a worker SIGKILLed between a continue-as-new and the next model call: the run completes, no model request repeated', async () => {
  const tq = uniqueQueue('can-kill');
  const turns = 30;
  llm.setHandler(toolLoopHandler(turns));
  const first = workerProcess(tq, true);
  await first.printed('worker-ready', 60_000);
  const r = new AgentRunner({
    client,
    transcriptStore: new PostgresTranscriptStore({ pool: db.pool }),
    config: {
      taskQueue: tq,
      runTimeout: '10m',
      // The retried model call starts soon after the kill (heartbeats stop).
      modelCall: { heartbeatTimeout: '2s' },
      continueAsNew: { maxHistoryEvents: 120 },
    },
  });
  const handle = await r.start({
    agent: 'can-tool-loop',
    runId: `can-kill-${randomUUID()}`,
    inputData: { messages: [{ role: 'user', content: 'count' }] },
  });
  const watched = collect(handle.events());
  await first.printed('killing-at-continued-call', 120_000);
  expect(await first.exited).toBe('SIGKILL');
  const before = llm.requests.length;
  const second = workerProcess(tq, false);
  await second.printed('worker-ready', 60_000);
  const result = await handle.result();
  const events = await watched;
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({ response: `done after ${turns}` });
  expectGapFree(events);
  expect(events.filter((e) => e.type === 'run.continued').length).toBeGreaterThanOrEqual(1);
  expect(before).toBeGreaterThan(1);
  // Each turn's request reached the model server once: none repeated (the killed call never
  // left the worker), none lost.
  const requests = llm.requests.filter((q) => q.path.endsWith('/chat/completions'));
  const toolCounts = requests.map(
    (q) =>
      (q.body as { messages: { role: string }[] }).messages.filter((m) => m.role === 'tool').length,
  );
  expect(toolCounts).toEqual(Array.from({ length: turns + 1 }, (_, i) => i));
  expect(result.usage).toMatchObject({ totalTokens: 7 * turns + 10 });
}, 300_000);

test('a continued run whose conversation outgrows one payload appends it by reference and finishes', async () => {
  // 8 replies of 400 KB: 3.2 MB of conversation, past Temporal's 2 MB payload limit, with no
  // payload storage. The last execution must not read the conversation back into the workflow.
  const tq = uniqueQueue('can-big');
  const transcriptStore = new PostgresTranscriptStore({ pool: db.pool });
  const conversationStore = new PostgresConversationStore({ pool: db.pool });
  const conv = await conversationStore.save({
    title: 'big',
    messages: [
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'ok' },
    ],
  });
  const turns = 8;
  const big = (i: number) => `${i}:`.padEnd(400_000, 'x');
  let call = 0;
  llm.setHandler(() => ({
    type: 'text' as const,
    content: big(++call),
    usage: { promptTokens: 5, completionTokens: 2 },
  }));
  const w = await worker(tq, { transcriptStore, conversationStore });
  const r = smallHistoryRunner(tq, { persistence: { conversations: true }, transcriptStore });
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-hand',
      runId: `can-big-${randomUUID()}`,
      inputData: {
        conversationId: conv.id,
        messages: [{ role: 'user', content: 'go' }],
        params: { turns },
      },
    });
    // Stuck runs fail their last workflow task again and again: give up with a clear message.
    const result = await within(handle.result(), 90_000, 'the run did not finish in 90 s');
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toMatchObject({ turns });
    const executionsCount = (result.finalOutput as { executions: number }).executions;
    expect(executionsCount).toBeGreaterThanOrEqual(3);
    // The result's messages, read back by the client from the transcript store.
    expect(result.finalMessages).toHaveLength(3 + 2 * turns);
    expect(result.finalMessages[3]).toEqual({ role: 'assistant', content: big(1) });

    // Appended once, whole: the history, the new input, then every reply and follow-up.
    const stored = await conversationStore.getMessages(conv.id);
    expect(stored).toHaveLength(3 + 2 * turns);
    expect(stored.map((m) => m.role)).toEqual(result.finalMessages.map((m) => m.role));
    const replies = stored.filter((m) => m.role === 'assistant').slice(1);
    expect(replies.map((m) => m.content)).toEqual(
      Array.from({ length: turns }, (_, i) => big(i + 1)),
    );

    // The last execution appended by reference: it read no transcript back.
    const chain = await executions(handle.workflow);
    expect(chain).toHaveLength(executionsCount);
    const activities = (await scheduled(handle.workflow.workflowId, chain.at(-1)?.runId)).map(
      (a) => a.type,
    );
    expect(activities).toContain('appendConversation');
    expect(activities).not.toContain('loadTranscript');
  });
}, 180_000);

describe('a carried conversation past the payload limit, with the in-memory transcript store', () => {
  // 8 replies of 400 KB, continuing as new every ~600 KB of history: carried whole, the
  // conversation would pass 2 MB at a hand-over, and that workflow task would fail forever.
  const big = (i: number) => `${i}:`.padEnd(400_000, 'x');
  async function bigRun(lastOnly: boolean) {
    const tq = uniqueQueue('can-mem-big');
    let call = 0;
    llm.setHandler(() => ({ type: 'text' as const, content: big(++call) }));
    const w = await worker(tq, { transcriptStore: new InMemoryTranscriptStore() });
    const r = smallHistoryRunner(tq);
    return w.runUntil(async () => {
      const handle = await r.start({
        agent: 'can-hand',
        runId: `can-mem-big-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'go' }], params: { turns: 8, lastOnly } },
      });
      const result = await within(handle.result(), 90_000, 'the run did not end in 90 s');
      const { chain, input } = await lastExecutionInput<{
        continued?: { transcripts?: Record<string, { ref: { length: number }; tail: unknown[] }> };
      }>(handle.workflow.workflowId);
      return { result, chain, carried: input.continued?.transcripts?.chat };
    });
  }

  test('it goes by reference to the worker that holds it, and a run returning its answer finishes', async () => {
    const { result, chain, carried } = await bigRun(true);
    expect(result.error).toBeUndefined();
    expect(chain.length).toBeGreaterThanOrEqual(3);
    expect(result.finalOutput).toEqual({ turns: 8, executions: chain.length });
    expect(result.finalMessages).toEqual([{ role: 'assistant', content: big(8) }]);
    expect(carried?.ref.length).toBeGreaterThan(0);
    const requests = llm.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(requests).toHaveLength(8);
  }, 180_000);

  test('a run returning the whole transcript fails PAYLOAD_TOO_LARGE at its end, not stuck', async () => {
    const { result } = await bigRun(false);
    // Its messages, too large to read back into the workflow to return them whole.
    expect(result.error).toMatchObject({
      type: 'PAYLOAD_TOO_LARGE',
      details: { field: 'finalMessages' },
    });
    expect(result.error?.message).toContain('payload storage');
  }, 180_000);
});

test('a loaded conversation history the client also sent as input is carried once, and the run continues', async () => {
  // 1.1 MB of history, sent again as input: carried twice (2.3 MB) it would not fit in the next
  // execution's input; the conversation carries it once and the input's messages stay behind.
  const tq = uniqueQueue('can-big-history');
  const conversationStore = new PostgresConversationStore({ pool: db.pool });
  const history = [0, 1, 2].map((i) => ({
    role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
    content: `${i}:`.padEnd(380_000, 'h'),
  }));
  const conv = await conversationStore.save({ title: 'big history', messages: history });
  llm.setHandler(() => ({ type: 'text' as const, content: 'ok' }));
  const transcriptStore = new PostgresTranscriptStore({ pool: db.pool });
  const w = await worker(tq, { transcriptStore, conversationStore });
  const r = smallHistoryRunner(tq, { persistence: { conversations: true }, transcriptStore });
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-hand',
      runId: `can-big-history-${randomUUID()}`,
      inputData: {
        conversationId: conv.id,
        messages: [...history, { role: 'user', content: 'go' }],
        params: { turns: 3, lastOnly: true },
      },
    });
    const result = await within(handle.result(), 90_000, 'the run did not end in 90 s');
    expect(result.error).toBeUndefined();
    const { chain, input } = await lastExecutionInput<{
      messages: unknown[];
      continued?: { conversation?: { history: unknown[]; newInput: unknown[] } };
    }>(handle.workflow.workflowId);
    expect(chain.length).toBeGreaterThanOrEqual(2);
    expect(input.messages).toEqual([]);
    expect(input.continued?.conversation?.history).toHaveLength(3);
    expect(input.continued?.conversation?.newInput).toEqual([{ role: 'user', content: 'go' }]);
    // The agent saw the whole input in every execution: each model call got the history first.
    const requests = llm.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(requests).toHaveLength(3);
    for (const q of requests) {
      const sent = (q.body as { messages: { content: string }[] }).messages;
      expect(sent.slice(0, 4).map((m) => m.content.slice(0, 2))).toEqual(['0:', '1:', '2:', 'go']);
    }
    // The conversation: its history, then the run's input and answer, appended once.
    const stored = await conversationStore.getMessages(conv.id);
    expect(stored.map((m) => JSON.stringify(m.content).slice(1, 3))).toEqual([
      '0:',
      '1:',
      '2:',
      'go',
      'ok',
    ]);
  });
}, 180_000);

test('state that would not fit in the next execution: PAYLOAD_TOO_LARGE at the hand-over', async () => {
  const tq = uniqueQueue('can-big-state');
  llm.setHandler(() => ({ type: 'text' as const, content: 'ok' }));
  const w = await worker(tq, { transcriptStore: new InMemoryTranscriptStore() });
  // Continues after its first model call.
  const r = new AgentRunner({
    client,
    config: { taskQueue: tq, runTimeout: '10m', continueAsNew: { maxHistoryEvents: 5 } },
  });
  await w.runUntil(async () => {
    const handle = await r.start({
      agent: 'can-hand',
      runId: `can-big-state-${randomUUID()}`,
      inputData: {
        messages: [{ role: 'user', content: 'go' }],
        params: { turns: 3, padState: 2_200_000 },
      },
    });
    const result = await within(handle.result(), 90_000, 'the run did not end in 90 s');
    expect(result.error).toMatchObject({
      type: 'PAYLOAD_TOO_LARGE',
      details: { field: 'state carried across continue-as-new' },
    });
    expect(Number(result.error?.details?.sizeBytes)).toBeGreaterThan(2_200_000);
    // Decided before the hand-over: no run.continued, one execution.
    const events = await collect(handle.events({ follow: false }));
    expect(events.map((e) => e.type)).not.toContain('run.continued');
    expect(events.filter((e) => e.type === 'run.failed')).toHaveLength(1);
  });
}, 180_000);
