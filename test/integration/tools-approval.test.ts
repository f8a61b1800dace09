// Human approval of tool calls in real runs: approved, rejected, timed out, cancelled while
// waiting; the approveToolCall update's validator. Real Temporal dev server, local LLM server.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { AgentRuntimeError } from '../../src/core/errors';
import type { RunEvent } from '../../src/core/types';
import { OpenAIClient } from '../../src/llm/openai';
import type { RunHandle } from '../../src/client/runner';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { approveToolCallUpdate } from '../../src/core/run-contract';
import { deleteFile, deleteFileQuick } from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { scheduledActivities, waitUntil } from './tools-helpers';

let env: TestEnv;
let server: MockLLMServer;
const deleted: string[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});
beforeEach(() => {
  server.reset();
  deleted.length = 0;
});

function openai(): OpenAIClient {
  return new OpenAIClient({
    apiKey: 'sk-test',
    baseURL: server.openaiBaseURL,
    defaultModel: 'test-model',
  });
}

function tools(): ToolRegistry {
  const del = ({ path }: { path: string }) => {
    deleted.push(path);
    return { deleted: path };
  };
  return new ToolRegistry([deleteFile.implement(del), deleteFileQuick.implement(del)]);
}

type ChatBody = { messages: { role: string; content?: string | null; tool_call_id?: string }[] };
function toolMessagesOfRequest(i: number) {
  const body = server.requests.filter((r) => r.path === '/v1/chat/completions')[i]?.body as
    ChatBody | undefined;
  return (body?.messages ?? []).filter((m) => m.role === 'tool');
}

async function events(handle: RunHandle): Promise<RunEvent[]> {
  return handle.workflow.query<RunEvent[], [number]>('events', 0);
}

async function waitForEvent(handle: RunHandle, type: string): Promise<RunEvent> {
  let found: RunEvent | undefined;
  await waitUntil(
    async () => {
      found = (await events(handle)).find((e) => e.type === type);
      return found !== undefined;
    },
    15_000,
    `a ${type} event`,
  );
  return found!;
}

async function startRun(
  tq: string,
  tool: string,
  path: string,
  finalDelayMs = 0,
): Promise<RunHandle> {
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'c1', name: tool, arguments: { path } }] },
    { type: 'text', content: 'finished', delayMs: finalDelayMs },
  );
  return testRunner(env, tq).start({
    agent: 'tool-calling',
    runId: `run-${randomUUID()}`,
    inputData: { messages: [{ role: 'user', content: `delete ${path}` }] },
  });
}

async function rejection(p: Promise<unknown>): Promise<AgentRuntimeError> {
  try {
    await p;
  } catch (err) {
    if (AgentRuntimeError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

test('approved: the run waits without holding an activity, then the tool runs; the update validator rejects bad decisions', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    // The last model reply is slow, so the run is still open for the second decision below.
    const handle = await startRun(tq, 'delete_file', '/data/a.txt', 1500);
    const requested = await waitForEvent(handle, 'tool.approval_requested');
    const toolCall = { id: 'c1', name: 'delete_file', arguments: '{"path":"/data/a.txt"}' };
    expect(requested.payload).toEqual({ toolCallId: 'c1', toolCall, timeoutMs: 120_000 });
    await expect(handle.pendingApprovals()).resolves.toEqual([
      { toolCallId: 'c1', toolCall, requestedAt: requested.timestamp, timeoutMs: 120_000 },
    ]);
    // Waiting durably: no activity is pending, nothing ran.
    const described = await handle.workflow.describe();
    expect(described.raw.pendingActivities ?? []).toHaveLength(0);
    expect(deleted).toEqual([]);

    expect((await rejection(handle.approveToolCall('c9', { approved: true }))).code).toBe(
      'NOT_FOUND',
    );
    const bad = await handle.workflow
      .executeUpdate(approveToolCallUpdate, {
        args: [{ toolCallId: 'c1', approved: 'yes' as unknown as boolean }],
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((bad as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect(((bad as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
      'INVALID_INPUT',
    );
    const long = await rejection(
      handle.approveToolCall('c1', { approved: true, reason: 'x'.repeat(2001) }),
    );
    expect(long.code).toBe('INVALID_INPUT');
    expect(deleted).toEqual([]);

    await expect(handle.approveToolCall('c1', { approved: true, reason: 'ok' })).resolves.toEqual({
      toolCallId: 'c1',
      name: 'delete_file',
      approved: true,
    });
    await expect(handle.pendingApprovals()).resolves.toEqual([]);
    const second = await rejection(handle.approveToolCall('c1', { approved: false }));
    expect(second.code).toBe('CONFLICT');
    expect(second.message).toMatch(/already decided: approved/);

    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'finished' });
    expect(deleted).toEqual(['/data/a.txt']);
    const late = await rejection(handle.approveToolCall('c1', { approved: true }));
    expect(late.code).toBe('CONFLICT');
    expect(late.message).toMatch(/has ended/);
    await expect(handle.pendingApprovals()).resolves.toEqual([]);
    expect(toolMessagesOfRequest(1)).toEqual([
      expect.objectContaining({ tool_call_id: 'c1', content: '{"deleted":"/data/a.txt"}' }),
    ]);
    const types = (await events(handle)).map((e) => e.type).filter((t) => t.startsWith('tool.'));
    expect(types).toEqual([
      'tool.call',
      'tool.approval_requested',
      'tool.approval_decided',
      'tool.result',
    ]);
    const decided = (await events(handle)).find((e) => e.type === 'tool.approval_decided');
    expect(decided?.payload).toEqual({
      toolCallId: 'c1',
      name: 'delete_file',
      approved: true,
      timedOut: false,
      reason: 'ok',
    });
  });
});

test('rejected: the tool does not run and the model gets the rejection with its reason', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    const handle = await startRun(tq, 'delete_file', '/data/b.txt');
    await waitForEvent(handle, 'tool.approval_requested');
    await handle.approveToolCall('c1', { approved: false, reason: 'not on a Friday' });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'finished' });
    expect(deleted).toEqual([]);
    expect(toolMessagesOfRequest(1)).toEqual([
      expect.objectContaining({
        tool_call_id: 'c1',
        content: 'Error: A human rejected this call of delete_file: not on a Friday',
      }),
    ]);
    const toolResult = (await events(handle)).find((e) => e.type === 'tool.result');
    expect(toolResult?.payload).toEqual(
      expect.objectContaining({
        toolCallId: 'c1',
        isError: true,
        errorCode: 'TOOL_APPROVAL_REJECTED',
      }),
    );
    const acts = await scheduledActivities(handle.workflow);
    expect(acts.filter((a) => a.type === 'executeTool')).toHaveLength(0);
  });
});

test('timed out: with no decision the call is rejected after its approval timeout', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    const handle = await startRun(tq, 'delete_file_quick', '/data/c.txt');
    const requested = await waitForEvent(handle, 'tool.approval_requested');
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(deleted).toEqual([]);
    const all = await events(handle);
    const decided = all.find((e) => e.type === 'tool.approval_decided');
    expect(decided?.payload).toEqual({
      toolCallId: 'c1',
      name: 'delete_file_quick',
      approved: false,
      timedOut: true,
    });
    // Workflow time between the request and the timeout: the configured 2 s.
    const waited = Date.parse(decided!.timestamp) - Date.parse(requested.timestamp);
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(waited).toBeLessThan(5000);
    expect(toolMessagesOfRequest(1)[0]?.content).toBe(
      'Error: This call of delete_file_quick was not approved within 2s, so it was rejected.',
    );
  });
});

test('cancelled while waiting for approval: the run ends cancelled and the tool never runs', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    const handle = await startRun(tq, 'delete_file', '/data/d.txt');
    await waitForEvent(handle, 'tool.approval_requested');
    const t0 = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(result.error?.type).toBe('RUN_CANCELLED');
    expect(deleted).toEqual([]);
    const all = await events(handle);
    expect(all.at(-1)?.type).toBe('run.cancelled');
    expect(all.find((e) => e.type === 'tool.result')?.payload).toEqual(
      expect.objectContaining({ toolCallId: 'c1', isError: true }),
    );
    expect(server.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
    const acts = await scheduledActivities(handle.workflow);
    expect(acts.filter((a) => a.type === 'executeTool')).toHaveLength(0);
  });
});

test('the wait survives its worker: a new worker (replaying the history) serves the approval', async () => {
  const tq = uniqueQueue();
  let handle: RunHandle | undefined;
  const first = await createTestWorker(env, tq, openai(), { tools: tools() });
  await first.runUntil(async () => {
    handle = await startRun(tq, 'delete_file', '/data/e.txt');
    await waitForEvent(handle, 'tool.approval_requested');
  });
  // The first worker is shut down; the run waits in Temporal alone.
  const second = await createTestWorker(env, tq, openai(), { tools: tools() });
  await second.runUntil(async () => {
    await handle!.approveToolCall('c1', { approved: true });
    const result = await handle!.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'finished' });
    expect(deleted).toEqual(['/data/e.txt']);
    const types = (await events(handle!)).map((e) => e.type);
    expect(types.filter((t) => t === 'tool.approval_requested')).toHaveLength(1);
  });
});

test('a provider that reuses call ids: the approval events carry the model id beside the unique one', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_0', name: 'delete_file', arguments: { path: '/data/f1.txt' } }],
    },
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_0', name: 'delete_file', arguments: { path: '/data/f2.txt' } }],
    },
    { type: 'text', content: 'finished' },
  );
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    const handle = await testRunner(env, tq).start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'delete two files' }] },
    });
    await waitForEvent(handle, 'tool.approval_requested');
    await handle.approveToolCall('call_0', { approved: true });
    await waitUntil(
      async () =>
        (await events(handle)).filter((e) => e.type === 'tool.approval_requested').length === 2,
      15_000,
      'the second approval request',
    );
    await handle.approveToolCall('call_0#2', { approved: true });
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(deleted).toEqual(['/data/f1.txt', '/data/f2.txt']);
    const ids = (await events(handle))
      .filter((e) => e.type.startsWith('tool.'))
      .map((e) => {
        // The events announcing a call carry it (`toolCall`, with the model's id); the others
        // refer to it by `toolCallId` (and `modelToolCallId` when the two differ).
        const call = e.payload.toolCall as { id: string } | undefined;
        return [e.type, e.payload.toolCallId, call?.id ?? e.payload.modelToolCallId];
      });
    expect(ids).toEqual([
      ['tool.call', undefined, 'call_0'],
      ['tool.approval_requested', 'call_0', 'call_0'],
      ['tool.approval_decided', 'call_0', undefined],
      ['tool.result', 'call_0', undefined],
      ['tool.call', undefined, 'call_0'],
      ['tool.approval_requested', 'call_0#2', 'call_0'],
      ['tool.approval_decided', 'call_0#2', 'call_0'],
      ['tool.result', 'call_0', undefined],
    ]);
  });
});

test('an approval that would outlast the run says so in its event; the run then ends timed out', async () => {
  const tq = uniqueQueue();
  server.enqueue({
    type: 'tool_calls',
    toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/data/t.txt' } }],
  });
  const worker = await createTestWorker(env, tq, openai(), { tools: tools() });
  await worker.runUntil(async () => {
    const handle = await testRunner(env, tq, { runTimeout: '3s' }).start({
      agent: 'tool-calling',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'delete /data/t.txt' }] },
    });
    const requested = await waitForEvent(handle, 'tool.approval_requested');
    // delete_file waits up to 120 s for approval; the run has about 3 s left.
    expect(requested.payload).toMatchObject({ timeoutMs: 120_000, runTimesOutFirst: true });
    expect(requested.payload.runTimeLeftMs).toBeLessThanOrEqual(3000);
    const result = await handle.result();
    expect(result.error?.type).toBe('RUN_TIMED_OUT');
    expect(deleted).toEqual([]);
  });
});
