// Local tools (`ToolOptions.local`): each call a Temporal local activity, so the run's history
// records only its result (a marker), not an executeTool activity. Retries, errors, timeouts,
// cancellation, a lost stored reply. (Replay of runs recorded before a tool became local:
// replay.test.ts.) Real Temporal dev server; the official openai client against the local LLM
// server over HTTP.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { InMemoryTranscriptStore } from '../../src/transcripts';
import type { RunEvent } from '../../src/core/types';
import type { RunHandle } from '../../src/client/runner';
import type { ActivityDeps } from '../../activities';
import {
  addTool,
  localAdd,
  localFlaky,
  localTooSlow,
  localWaitForAbort,
} from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { decodePayload, scheduledActivities, waitUntil } from './tools-helpers';

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
  return new OpenAIClient({ apiKey: 'sk-test', baseURL: server.openaiBaseURL, defaultModel: 'm' });
}

type ChatBody = { messages: { role: string; content?: string | null; tool_call_id?: string }[] };
function chatBodies(): ChatBody[] {
  return server.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => r.body as ChatBody);
}

/** Attempts of `local_flaky` by key, and the attempt numbers the handler saw. */
const flakyAttempts = new Map<string, number[]>();
let abortStarted = false;
let abortSeen = false;

function workerTools(): ToolRegistry {
  return new ToolRegistry([
    localAdd,
    addTool,
    localFlaky.implement(({ key }, ctx) => {
      const seen = [...(flakyAttempts.get(key) ?? []), ctx.attempt];
      flakyAttempts.set(key, seen);
      if (seen.length < 3 || key.startsWith('always'))
        throw new Error(`flaky attempt ${seen.length}`);
      return { key, attempts: seen.length };
    }),
    localTooSlow.implement(async (_args, ctx) => {
      await sleep(3000, undefined, { signal: ctx.signal }).catch(() => undefined);
      return 'late';
    }),
    localWaitForAbort.implement(
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

const { EventType } = temporal.api.enums.v1;

/**
 * Runs `fn` with a worker of the test tools (plus `extra` dependencies) and a way to start a run
 * of the `tool-calling-local` agent.
 */
async function onWorker(
  fn: (start: (content: string) => Promise<RunHandle>) => Promise<void>,
  extra: Omit<Partial<ActivityDeps>, 'llm'> = {},
): Promise<void> {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, openai(), { tools: workerTools(), ...extra });
  const runner = testRunner(env, tq);
  await worker.runUntil(() =>
    fn((content) =>
      runner.start({
        agent: 'tool-calling-local',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content }] },
      }),
    ),
  );
}

/** The local activities a run recorded (marker events): type and result. */
async function localActivityMarkers(
  handle: WorkflowHandle,
): Promise<{ type: string; result: unknown }[]> {
  const history = await handle.fetchHistory();
  const out: { type: string; result: unknown }[] = [];
  for (const e of history.events ?? []) {
    const m = e.markerRecordedEventAttributes;
    if (
      e.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED ||
      m?.markerName !== 'core_local_activity'
    )
      continue;
    const data = decodePayload(m.details?.data?.payloads?.[0]) as { activity_type?: string };
    out.push({
      type: data.activity_type ?? '',
      result: decodePayload(m.details?.result?.payloads?.[0]),
    });
  }
  return out;
}

/** The patch ids a run recorded. */
async function patches(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => (decodePayload(m?.details?.['patch-data']?.payloads?.[0]) as { id: string }).id);
}

test('a local tool call is a local activity: its result is in one marker, no executeTool activity; an ordinary tool beside it stays an activity', async () => {
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'call_l', name: 'local_add', arguments: { a: 2, b: 3 } },
        { id: 'call_r', name: 'add', arguments: { a: 1, b: 1 } },
      ],
    },
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_l2', name: 'local_add', arguments: { a: 40, b: 2 } }],
    },
    { type: 'text', content: '5, 2 and 42' },
  );
  await onWorker(async (start) => {
    const handle = await start('add');
    const events: RunEvent[] = [];
    for await (const e of handle.events()) events.push(e);
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: '5, 2 and 42' });

    // The model was shown every result.
    const tools = chatBodies().map((b) => b.messages.filter((m) => m.role === 'tool'));
    expect(tools[1]).toEqual([
      expect.objectContaining({ tool_call_id: 'call_l', content: '{"sum":5}' }),
      expect.objectContaining({ tool_call_id: 'call_r', content: '{"sum":2}' }),
    ]);
    expect(tools[2]?.at(-1)).toEqual(
      expect.objectContaining({ tool_call_id: 'call_l2', content: '{"sum":42}' }),
    );

    // History: the ordinary call is an executeTool activity, the local ones are markers only.
    const scheduled = await scheduledActivities(handle.workflow);
    expect(scheduled.filter((a) => a.type === 'executeTool').map((a) => a.summary)).toEqual([
      'add',
    ]);
    const markers = await localActivityMarkers(handle.workflow);
    expect(markers.map((m) => m.type)).toEqual(['executeTool', 'executeTool']);
    expect(markers.map((m) => (m.result as { result?: unknown }).result)).toEqual([
      { sum: 5 },
      { sum: 42 },
    ]);
    expect(await patches(handle.workflow)).toContain('agent-runtime.local-tool:local_add');

    // The run's events are the same as for activities: a call and a result per call.
    const toolEvents = events
      .filter((e) => e.type === 'tool.call' || e.type === 'tool.result')
      .map((e) => {
        const id = e.payload.toolCallId ?? (e.payload.toolCall as { id?: unknown } | undefined)?.id;
        return `${e.type} ${typeof id === 'string' ? id : '?'}`;
      });
    expect(toolEvents).toEqual(
      expect.arrayContaining([
        'tool.call call_l',
        'tool.result call_l',
        'tool.call call_r',
        'tool.result call_r',
        'tool.call call_l2',
        'tool.result call_l2',
      ]),
    );
    expect(toolEvents).toHaveLength(6);
  });
});

test('a failing local call is retried locally under its retry policy, and recorded once', async () => {
  const key = randomUUID();
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'call_f', name: 'local_flaky', arguments: { key } }] },
    { type: 'text', content: 'ok' },
  );
  await onWorker(async (start) => {
    const handle = await start('go');
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(flakyAttempts.get(key)).toEqual([1, 2, 3]);
    const markers = await localActivityMarkers(handle.workflow);
    expect(markers.map((m) => m.type)).toEqual(['executeTool']);
    expect((markers[0]?.result as { result?: unknown }).result).toEqual({ key, attempts: 3 });
    const tool = chatBodies()[1]?.messages.find((m) => m.role === 'tool');
    expect(tool?.content).toBe(JSON.stringify({ key, attempts: 3 }));
  });
});

test('cancelling a run cancels its running local call (the handler sees its AbortSignal)', async () => {
  abortStarted = false;
  abortSeen = false;
  server.enqueue({
    type: 'tool_calls',
    toolCalls: [{ id: 'call_w', name: 'local_wait_for_abort', arguments: {} }],
  });
  await onWorker(async (start) => {
    const handle = await start('wait');
    await waitUntil(() => abortStarted, 15_000, 'the local call to start');
    const asked = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(result.error?.type).toBe('RUN_CANCELLED');
    await waitUntil(() => abortSeen, 5000, 'the handler to see the abort');
    // The worker learns of the cancellation when the workflow task holding the local call
    // heartbeats (at 80 % of the 10 s workflow task timeout), not at once as for an activity.
    const took = Date.now() - asked;
    console.log(`local call cancelled after ${took} ms`);
    expect(took).toBeLessThan(12_000);
    const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });
});

/** A transcript store that cannot give back the stored model replies (as a fresh worker's). */
class NoReplies extends InMemoryTranscriptStore {
  override async readEntry() {
    return null;
  }
}

test('a local call whose worker cannot read the stored model reply is sent again with its arguments; the tool runs once', async () => {
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_m', name: 'local_add', arguments: { a: 7, b: 8 } }],
    },
    { type: 'text', content: '15' },
  );
  await onWorker(
    async (start) => {
      const handle = await start('add');
      const result = await handle.result();
      expect(result.error).toBeUndefined();
      expect(result.finalOutput).toEqual({ response: '15' });
      const tool = chatBodies()[1]?.messages.find((m) => m.role === 'tool');
      expect(tool?.content).toBe('{"sum":15}');
      // The call by reference failed before the tool ran; the call with the arguments ran it.
      const markers = await localActivityMarkers(handle.workflow);
      expect(markers.map((m) => (m.result as { result?: unknown } | undefined)?.result)).toEqual([
        undefined,
        { sum: 15 },
      ]);
    },
    { transcriptStore: new NoReplies() },
  );
});

test('a local call that fails every attempt is reported to the model as the same tool error an activity gives', async () => {
  const key = `always-${randomUUID()}`;
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'call_x', name: 'local_flaky', arguments: { key } }] },
    { type: 'text', content: 'it failed' },
  );
  await onWorker(async (start) => {
    const handle = await start('go');
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'it failed' });
    expect(flakyAttempts.get(key)).toEqual([1, 2, 3]);
    const tool = chatBodies()[1]?.messages.find((m) => m.role === 'tool');
    expect(tool?.content).toBe('Error: Tool local_flaky failed: flaky attempt 3');
    const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
    const failed = events.find((e) => e.type === 'tool.result');
    expect(failed?.payload).toMatchObject({
      toolCallId: 'call_x',
      isError: true,
      errorCode: 'TOOL_ERROR',
    });
  });
});

test('a local call that outlasts its timeout is reported to the model as TOOL_TIMEOUT, as an activity call is', async () => {
  server.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'call_s', name: 'local_too_slow', arguments: {} }] },
    { type: 'text', content: 'gave up' },
  );
  await onWorker(async (start) => {
    const handle = await start('go');
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'gave up' });
    const tool = chatBodies()[1]?.messages.find((m) => m.role === 'tool');
    expect(tool?.content).toBe('Error: Tool local_too_slow hit its start-to-close timeout.');
    const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
    const failed = events.find((e) => e.type === 'tool.result');
    expect(failed?.payload).toMatchObject({ isError: true, errorCode: 'TOOL_TIMEOUT' });
    // One local activity, recorded with its timeout.
    const markers = await localActivityMarkers(handle.workflow);
    expect(markers.map((m) => m.type)).toEqual(['executeTool']);
  });
});
