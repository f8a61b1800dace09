// The HTTP API (`agent-runtime-core/server`) against a real server on a free port, a real worker
// and the suite's Temporal dev server: SSE to the terminal event, resume with Last-Event-ID,
// approval and cancel over HTTP, 100 concurrent streams that leave the history unchanged, auth
// scoping, validation, body limit, idempotent start, conversations with branches.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   the API's answers are JSON read as `any`; the assertions check their shape. */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { InMemoryEventBus } from '../../src/events';
import { OpenAIClient } from '../../src/llm/openai';
import { InMemoryConversationStore } from '../../src/persistence';
import { serve, type AgentServer } from '../../src/server';
import { isTerminalEventType, isTransientEventType } from '../../src/core/events';
import type { RunEvent } from '../../src/core/types';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { addTool, deleteFile } from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import type { AgentRunner } from '../../src/client/runner';

let env: TestEnv;
let llm: MockLLMServer;
let worker: Worker;
let running: Promise<void>;
let runner: AgentRunner;
let api: AgentServer;
const deleted: string[] = [];
const ALICE = { authorization: 'Bearer tok-alice' };
const BOB = { authorization: 'Bearer tok-bob' };

beforeAll(async () => {
  env = await connectTestEnv();
  llm = await startMockLLMServer();
  const tq = uniqueQueue('server');
  const bus = new InMemoryEventBus();
  const conversations = new InMemoryConversationStore();
  const tools = new ToolRegistry([
    addTool,
    deleteFile.implement(({ path }: { path: string }) => {
      deleted.push(path);
      return { deleted: path };
    }),
  ]);
  worker = await createTestWorker(
    env,
    tq,
    new OpenAIClient({ apiKey: 'sk-test', baseURL: llm.openaiBaseURL, defaultModel: 'm' }),
    { tools, eventBus: bus, conversationStore: conversations },
  );
  running = worker.run();
  runner = testRunner(env, tq, {}, { eventBus: bus, persistence: { conversations: true } });
  api = await serve({
    runner,
    conversations,
    tokens: { 'tok-alice': 'alice', 'tok-bob': 'bob' },
    port: 0,
    bodyLimit: 16 * 1024,
    heartbeatMs: 500,
    temporalUiUrl: 'http://ui.example',
  });
});

afterAll(async () => {
  await api?.close();
  worker?.shutdown();
  await running;
  await llm?.close();
  await env?.close();
});

beforeEach(() => {
  llm.reset();
  deleted.length = 0;
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ALICE,
): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

interface Sse {
  id: string;
  event: RunEvent;
}

/**
 * Reads a run's SSE stream until it ends (or `stopAfter` says stop, which drops the connection).
 * Returns the messages and whether the server ended the stream.
 */
async function readSse(
  runId: string,
  options: {
    headers?: Record<string, string>;
    lastEventId?: string;
    stopAfter?: (m: Sse) => boolean;
  } = {},
): Promise<{ status: number; messages: Sse[]; ended: boolean; heartbeats: number }> {
  const controller = new AbortController();
  const res = await fetch(`${api.url}/runs/${runId}/events`, {
    headers: {
      ...(options.headers ?? ALICE),
      ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
    },
    signal: controller.signal,
  });
  const messages: Sse[] = [];
  let heartbeats = 0;
  if (res.status !== 200 || !res.body)
    return { status: res.status, messages, ended: true, heartbeats };
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { status: 200, messages, ended: true, heartbeats };
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (block.startsWith(': heartbeat')) heartbeats += 1;
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id === undefined || data === undefined) continue;
      const m = { id, event: JSON.parse(data) as RunEvent };
      messages.push(m);
      if (options.stopAfter?.(m)) {
        controller.abort();
        await reader.cancel().catch(() => undefined);
        return { status: 200, messages, ended: false, heartbeats };
      }
    }
  }
}

function durableSeqs(ms: Sse[]): number[] {
  return ms.filter((m) => !isTransientEventType(m.event.type)).map((m) => m.event.seq);
}

function script(finalText: string, chunkDelayMs = 5): void {
  llm.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 2, b: 3 } }] },
    { type: 'text', content: finalText, chunkDelayMs },
  );
}

test('start a run, follow its SSE stream to the terminal event, read its result', async () => {
  script('The sum of two and three is five.');
  const runId = `http-${randomUUID()}`;
  const started = await call('POST', '/runs', {
    agent: 'server-chat',
    runId,
    message: 'add 2 and 3',
  });
  expect(started.status).toBe(201);
  expect(started.json).toMatchObject({ runId, agentKey: 'server-chat', created: true });
  expect(started.json.links.ui).toBe(`http://ui.example/namespaces/default/workflows/${runId}`);

  const { messages, ended } = await readSse(runId);
  expect(ended).toBe(true);
  const seqs = durableSeqs(messages);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  const types = messages.map((m) => m.event.type);
  expect(types).toEqual(
    expect.arrayContaining(['run.started', 'tool.call', 'tool.result', 'assistant.delta']),
  );
  expect(isTerminalEventType(types[types.length - 1]!)).toBe(true);
  expect(types[types.length - 1]).toBe('run.succeeded');
  const deltas = messages
    .filter((m) => m.event.type === 'assistant.delta')
    .map((m) => m.event.payload.delta)
    .join('');
  expect(deltas).toContain('The sum of two and three is five.');
  // Every SSE id is unique; a delta's id names the durable event before it.
  expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);

  const run = await call('GET', `/runs/${runId}`);
  expect(run.status).toBe(200);
  expect(run.json).toMatchObject({ runId, agentKey: 'server-chat', status: 'succeeded' });
  expect(run.json.output).toBe('The sum of two and three is five.');
  expect(run.json.usage.totalTokens).toBeGreaterThan(0);

  // Resuming after the terminal event: 204 (EventSource stops reconnecting).
  const after = await readSse(runId, { lastEventId: String(seqs[seqs.length - 1]) });
  expect(after.status).toBe(204);
});

test('reconnecting with Last-Event-ID mid-run receives each event once, none missing', async () => {
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  script(long, 25);
  const runId = `http-resume-${randomUUID()}`;
  expect((await call('POST', '/runs', { agent: 'server-chat', runId, message: 'go' })).status).toBe(
    201,
  );
  // A reference client that never disconnects.
  const reference = readSse(runId);
  // First connection: drop it in the middle of the streamed answer.
  let seenDeltas = 0;
  const first = await readSse(runId, {
    stopAfter: (m) => m.event.type === 'assistant.delta' && ++seenDeltas === 8,
  });
  expect(first.ended).toBe(false);
  const lastId = first.messages[first.messages.length - 1]!.id;
  expect(lastId).toMatch(/^\d+\.\d+$/);
  const second = await readSse(runId, { lastEventId: lastId });
  expect(second.ended).toBe(true);
  const all = [...first.messages, ...second.messages];
  const ref = (await reference).messages;
  // Same events, same order, each once, across the two connections.
  expect(all.map((m) => m.id)).toEqual(ref.map((m) => m.id));
  expect(durableSeqs(all)).toEqual(durableSeqs(all).map((_, i) => i + 1));
  const text = all
    .filter((m) => m.event.type === 'assistant.delta')
    .map((m) => m.event.payload.delta)
    .join('');
  expect(text).toContain(long);
});

test('approve and reject over HTTP; only the owner may decide', async () => {
  llm.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/tmp/x' } }],
    },
    { type: 'text', content: 'Deleted it.' },
  );
  const runId = `http-approve-${randomUUID()}`;
  await call('POST', '/runs', { agent: 'server-chat', runId, message: 'delete /tmp/x' });
  const upTo = await readSse(runId, {
    stopAfter: (m) => m.event.type === 'tool.approval_requested',
  });
  const requested = upTo.messages[upTo.messages.length - 1]!.event;
  expect(requested.payload.toolCallId).toBe('c1');

  const view = await call('GET', `/runs/${runId}`);
  expect(view.json.status).toBe('running');
  expect(view.json.pendingApprovals).toEqual([expect.objectContaining({ toolCallId: 'c1' })]);

  const bob = await call('POST', `/runs/${runId}/tool-calls/c1/approve`, {}, BOB);
  expect(bob.status).toBe(403);
  expect(bob.json.error.code).toBe('FORBIDDEN');
  const unknown = await call('POST', `/runs/${runId}/tool-calls/c9/approve`, {});
  expect(unknown.status).toBe(404);
  const ok = await call('POST', `/runs/${runId}/tool-calls/c1/approve`, { reason: 'fine' });
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ runId, toolCallId: 'c1', approved: true, name: 'delete_file' });
  const again = await call('POST', `/runs/${runId}/tool-calls/c1/reject`, {});
  expect(again.status).toBe(409);

  const rest = await readSse(runId, { lastEventId: String(requested.seq) });
  expect(rest.messages[rest.messages.length - 1]!.event.type).toBe('run.succeeded');
  expect(deleted).toEqual(['/tmp/x']);
});

test('cancel over HTTP ends the run cancelled; cancelling an ended run is 409', async () => {
  llm.enqueue({
    type: 'tool_calls',
    toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/tmp/y' } }],
  });
  const runId = `http-cancel-${randomUUID()}`;
  await call('POST', '/runs', { agent: 'server-chat', runId, message: 'delete /tmp/y' });
  await readSse(runId, { stopAfter: (m) => m.event.type === 'tool.approval_requested' });
  const stream = readSse(runId);
  const cancelled = await call('POST', `/runs/${runId}/cancel`);
  expect(cancelled.status).toBe(202);
  const { messages, ended } = await stream;
  expect(ended).toBe(true);
  expect(messages[messages.length - 1]!.event.type).toBe('run.cancelled');
  expect((await call('GET', `/runs/${runId}`)).json.status).toBe('cancelled');
  const twice = await call('POST', `/runs/${runId}/cancel`);
  expect(twice.status).toBe(409);
  expect(twice.json.error.code).toBe('CONFLICT');
  expect(deleted).toEqual([]);
});

test('100 concurrent SSE clients on one run all receive every event; the history is the same as an unwatched run', async () => {
  const text = Array.from({ length: 20 }, (_, i) => `t${i}`).join(' ');
  script(text, 20);
  const watched = `http-many-${randomUUID()}`;
  await call('POST', '/runs', { agent: 'server-chat', runId: watched, message: 'add' });
  const clients = await Promise.all(Array.from({ length: 100 }, () => readSse(watched)));
  const reference = durableSeqs(clients[0]!.messages);
  expect(reference.length).toBeGreaterThan(4);
  for (const c of clients) {
    expect(c.ended).toBe(true);
    expect(durableSeqs(c.messages)).toEqual(reference);
    expect(c.messages[c.messages.length - 1]!.event.type).toBe('run.succeeded');
  }

  script(text, 20);
  const unwatched = `http-unwatched-${randomUUID()}`;
  await call('POST', '/runs', { agent: 'server-chat', runId: unwatched, message: 'add' });
  const client = await env.client.workflow.getHandle(unwatched).result();
  expect(client).toBeDefined();
  const historyTypes = async (id: string) =>
    (await env.client.workflow.getHandle(id).fetchHistory()).events!.map((e) => e.eventType);
  const [a, b] = [await historyTypes(watched), await historyTypes(unwatched)];
  expect(a).toEqual(b);
});

test('auth: 401 without a token, 403 for another principal, 404 for an unknown run; lists are scoped', async () => {
  script('ok');
  const runId = `http-auth-${randomUUID()}`;
  await call('POST', '/runs', { agent: 'server-chat', runId, message: 'hi' });
  expect((await call('GET', `/runs/${runId}`, undefined, {})).status).toBe(401);
  expect(
    (await call('GET', `/runs/${runId}`, undefined, { authorization: 'Bearer nope' })).json.error
      .code,
  ).toBe('UNAUTHENTICATED');
  const bob = await call('GET', `/runs/${runId}`, undefined, BOB);
  expect(bob.status).toBe(403);
  expect(bob.json.error.code).toBe('FORBIDDEN');
  expect((await readSse(runId, { headers: BOB })).status).toBe(403);
  expect((await call('POST', `/runs/${runId}/cancel`, undefined, BOB)).status).toBe(403);
  const missing = await call('GET', `/runs/no-such-${randomUUID()}`);
  expect(missing.status).toBe(404);
  expect(missing.json.error.code).toBe('RUN_NOT_FOUND');
  await readSse(runId);

  // Visibility is eventually consistent: wait for the run to be listed.
  let mine: string[] = [];
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    mine = (await call('GET', '/runs?agent=server-chat&status=succeeded&limit=200')).json.runs.map(
      (r: { runId: string }) => r.runId,
    );
    if (mine.includes(runId)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(mine).toContain(runId);
  const bobs = (await call('GET', '/runs?agent=server-chat&limit=200', undefined, BOB)).json.runs;
  expect(bobs.map((r: { runId: string }) => r.runId)).not.toContain(runId);
  expect((await call('GET', '/runs?status=nope')).status).toBe(400);
});

test('validation errors are 400 with the issues, a large body is 413, malformed JSON 400', async () => {
  const empty = await call('POST', '/runs', {});
  expect(empty.status).toBe(400);
  expect(empty.json.error.code).toBe('INVALID_INPUT');
  expect(empty.json.error.details.issues.map((i: { path: string }) => i.path)).toContain('agent');
  const badId = await call('POST', '/runs', { agent: 'a', runId: 'has space', message: 'x' });
  expect(badId.status).toBe(400);
  const extra = await call('POST', '/runs', { agent: 'a', message: 'x', surprise: 1 });
  expect(extra.status).toBe(400);
  expect((await call('POST', '/runs', '{not json')).json.error.code).toBe('INVALID_INPUT');
  const big = await call('POST', '/runs', { agent: 'a', message: 'x'.repeat(20 * 1024) });
  expect(big.status).toBe(413);
  expect(big.json.error.code).toBe('REQUEST_TOO_LARGE');
  expect(
    (await call('GET', '/runs/x/events', undefined, { ...ALICE, 'last-event-id': 'abc' })).status,
  ).toBe(400);
});

test('starting a run id again is idempotent for its owner and a conflict for anyone else', async () => {
  llm.enqueue({
    type: 'tool_calls',
    toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/tmp/z' } }],
  });
  const runId = `http-idem-${randomUUID()}`;
  const body = { agent: 'server-chat', runId, message: 'delete /tmp/z' };
  expect((await call('POST', '/runs', body)).status).toBe(201);
  const again = await call('POST', '/runs', body);
  expect(again.status).toBe(200);
  expect(again.json).toMatchObject({ runId, created: false });
  const bob = await call('POST', '/runs', body, BOB);
  expect(bob.status).toBe(409);
  const otherAgent = await call('POST', '/runs', { ...body, agent: 'tool-calling' });
  expect(otherAgent.status).toBe(409);
  // Only one run was started: one model request.
  await readSse(runId, { stopAfter: (m) => m.event.type === 'tool.approval_requested' });
  expect(llm.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  await call('POST', `/runs/${runId}/cancel`);
});

test('conversations: chat in one, regenerate an answer as a branch, switch back, fork; scoped to the owner', async () => {
  const conv = await call('POST', '/conversations', { title: 'Sums', agentKey: 'server-chat' });
  expect(conv.status).toBe(201);
  const id = conv.json.id as string;
  expect((await call('GET', `/conversations/${id}`, undefined, BOB)).status).toBe(403);
  expect(
    (await call('GET', '/conversations', undefined, BOB)).json.conversations.map(
      (c: { id: string }) => c.id,
    ),
  ).not.toContain(id);

  llm.enqueue({ type: 'text', content: 'First answer.' });
  const r1 = await call('POST', '/runs', {
    agent: 'server-chat',
    conversationId: id,
    message: 'question one',
  });
  expect(r1.status).toBe(201);
  await readSse(r1.json.runId);
  const after1 = await call('GET', `/conversations/${id}/messages`);
  expect(after1.json.messages.map((m: { content: string }) => m.content)).toEqual([
    'question one',
    'First answer.',
  ]);
  const answer = after1.json.messages[1];

  // Regenerate the answer: a new active branch re-asks the question; the run answers on it.
  llm.enqueue({ type: 'text', content: 'Second answer.' });
  const branch = await call('POST', `/conversations/${id}/branches`, {
    messageId: answer.id,
    run: { agent: 'server-chat' },
  });
  expect(branch.status).toBe(201);
  await readSse(branch.json.run.runId);
  const after2 = await call('GET', `/conversations/${id}/messages`);
  expect(after2.json.messages.map((m: { content: string }) => m.content)).toEqual([
    'question one',
    'Second answer.',
  ]);
  const branches = await call('GET', `/conversations/${id}/branches`);
  expect(branches.json.branches).toHaveLength(2);
  expect(branches.json.activeBranchId).toBe(branch.json.branchId);

  // Switch back to the first branch.
  expect((await call('PUT', `/conversations/${id}/active-branch`, { branchId: null })).status).toBe(
    200,
  );
  const main = await call('GET', `/conversations/${id}`);
  expect(main.json.messages.map((m: { content: string }) => m.content)).toEqual([
    'question one',
    'First answer.',
  ]);
  expect(
    (await call('PUT', `/conversations/${id}/active-branch`, { branchId: null }, BOB)).status,
  ).toBe(403);

  const fork = await call('POST', `/conversations/${id}/fork`, {
    messageId: answer.id,
    title: 'Fork',
  });
  expect(fork.status).toBe(201);
  expect(fork.json.parentConversationId).toBe(id);
  expect(fork.json.messages).toHaveLength(2);
  expect((await call('GET', `/conversations/${fork.json.id}`, undefined, BOB)).status).toBe(403);
  // A run in someone else's conversation is refused before it starts.
  const foreign = await call(
    'POST',
    '/runs',
    { agent: 'server-chat', conversationId: id, message: 'x' },
    BOB,
  );
  expect(foreign.status).toBe(403);
  expect((await call('GET', `/conversations/${randomUUID()}`)).status).toBe(404);
});

test('the OpenAPI document lists the routes with the zod-generated body schemas', async () => {
  const res = await fetch(`${api.url}/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as Record<string, any>;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/runs', '/runs/{runId}', '/runs/{runId}/events', '/conversations']),
  );
  const start = doc.paths['/runs'].post.requestBody.content['application/json'].schema;
  expect(start.required).toContain('agent');
  expect(start.properties.runId.pattern).toBeDefined();
  expect(Object.keys(doc.paths['/runs'].post.responses)).toEqual(
    expect.arrayContaining(['201', '400', '401', '409', '413']),
  );
});
