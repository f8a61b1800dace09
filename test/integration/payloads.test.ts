// Large payloads (issue 11, item 2): a 3 MB model reply and a 3 MB tool result on a real dev
// server. With payload storage they pass by reference (history stays small); without it the
// activity fails PAYLOAD_TOO_LARGE before returning, never a second paid model call or tool run.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Worker } from '@temporalio/worker';
import { AgentRunner } from '../../src/client/runner';
import { OpenAIClient } from '../../src/llm/openai';
import { MemoryPayloadDriver, PostgresPayloadDriver } from '../../src/payloads';
import type { PayloadStorageOptions } from '../../src/payloads';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { createAgentWorker } from '../../worker';
import { slowEcho } from '../fixtures/tool-defs';
import { connectTestEnv, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';
import { startedAttempts } from './tools-helpers';

/** 3 MiB of text: above Temporal's 2 MiB payload limit on its own. */
const BIG = 'lorem ipsum '.repeat(Math.ceil((3 * 1024 * 1024) / 12)).slice(0, 3 * 1024 * 1024);

let env: TestEnv;
let server: MockLLMServer;
let db: TestSchema;

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  db = await createTestSchema('it_payload_runs');
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
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

/** Executions of the big tool's handler (one per attempt). */
let toolRuns = 0;
const bigTools = new ToolRegistry([
  slowEcho.implement(async () => {
    toolRuns += 1;
    return BIG;
  }),
]);

async function worker(
  tq: string,
  payloadStorage?: PayloadStorageOptions,
  maxPayloadBytes?: number,
): Promise<Worker> {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return createAgentWorker({
    connection: env.nativeConnection,
    taskQueue: tq,
    workflowBundle: { codePath },
    activities: {
      llm: openai(),
      tools: bigTools,
      ...(maxPayloadBytes !== undefined ? { maxPayloadBytes } : {}),
    },
    ...(payloadStorage ? { payloadStorage } : {}),
  });
}

/** A runner with its own connection and the given payload storage (the runner wires it). */
function storageRunner(tq: string, payloadStorage: PayloadStorageOptions): AgentRunner {
  return new AgentRunner({
    config: { taskQueue: tq, address: env.address },
    payloadStorage,
  });
}

/**
 * The size of the run's history as the Temporal CLI exports it (JSON), read by a client without
 * payload storage, so claims are counted as claims.
 */
async function historyBytes(runId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(runId).fetchHistory();
  return Buffer.byteLength(historyToJSON(history));
}

async function attemptsOf(handle: WorkflowHandle, type: string): Promise<number[]> {
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
    .map((e) => Number(e.eventId));
  const attempts = await startedAttempts(handle);
  return scheduled.map((id) => attempts.get(id) ?? 0);
}

/** The run's input, as its first execution was started with it. */
async function startInput(handle: WorkflowHandle): Promise<Record<string, unknown>> {
  const history = await handle.fetchHistory();
  const data =
    history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return JSON.parse(Buffer.from(data ?? []).toString('utf8')) as Record<string, unknown>;
}

const measured: Record<string, number> = {};
afterAll(() => {
  // The numbers of the report (history JSON bytes per case).
  if (Object.keys(measured).length > 0) {
    console.log(`payload runs, history bytes: ${JSON.stringify(measured)}`);
  }
});

describe('a 3 MB model reply', () => {
  it('with payload storage: one model request, the full reply, a small history', async () => {
    const tq = uniqueQueue('payloads');
    server.enqueue({ type: 'text', content: BIG });
    const driver = new MemoryPayloadDriver();
    const w = await worker(tq, { driver });
    const runner = storageRunner(tq, { driver });
    try {
      await w.runUntil(async () => {
        const runId = `run-${randomUUID()}`;
        const handle = await runner.start({
          agent: 'tool-calling',
          runId,
          inputData: { messages: [{ role: 'user', content: 'write a lot' }] },
        });
        const result = await handle.result();
        expect(result.error).toBeUndefined();
        expect((result.finalOutput as { response: string }).response).toBe(BIG);
        // The run's events (read through the runner's client) carry the whole reply too.
        let replied = '';
        for await (const e of handle.events()) {
          if (e.type === 'assistant.message') replied = e.payload.content as string;
        }
        expect(replied).toBe(BIG);
        expect(chatBodies()).toHaveLength(1);
        expect(await attemptsOf(handle.workflow, 'invokeModel')).toEqual([1]);
        expect(driver.size).toBeGreaterThan(0);
        const bytes = await historyBytes(runId);
        measured.modelReplyWithDriver = bytes;
        expect(bytes).toBeLessThan(BIG.length / 10);
      });
    } finally {
      await runner.close();
    }
  });

  it('without payload storage: PAYLOAD_TOO_LARGE naming the field and size, one model request', async () => {
    const tq = uniqueQueue('payloads');
    server.enqueue({ type: 'text', content: BIG });
    const w = await worker(tq);
    const runner = testRunner(env, tq);
    await w.runUntil(async () => {
      const runId = `run-${randomUUID()}`;
      const handle = await runner.start({
        agent: 'tool-calling',
        runId,
        inputData: { messages: [{ role: 'user', content: 'write a lot' }] },
      });
      const result = await handle.result();
      expect(result.error?.type).toBe('PAYLOAD_TOO_LARGE');
      expect(result.error?.message).toMatch(/model reply/);
      expect(result.error?.details).toMatchObject({
        field: 'The model reply (invokeModel result)',
        maxBytes: 1_900_000,
      });
      expect(result.error?.details.sizeBytes as number).toBeGreaterThan(BIG.length);
      expect(chatBodies()).toHaveLength(1);
      expect(await attemptsOf(handle.workflow, 'invokeModel')).toEqual([1]);
      const bytes = await historyBytes(runId);
      measured.modelReplyWithoutDriver = bytes;
      expect(bytes).toBeLessThan(BIG.length / 10);
    });
  });

  it('negative control: without the size check the oversize reply is retried (a second paid call)', async () => {
    const tq = uniqueQueue('payloads');
    server.enqueue({ type: 'text', content: BIG }, { type: 'text', content: BIG });
    const w = await worker(tq, undefined, Infinity);
    const runner = testRunner(env, tq, {
      modelCall: { retry: { maximumAttempts: 2, initialInterval: '1s' } },
    });
    await w.runUntil(async () => {
      const handle = await runner.start({
        agent: 'tool-calling',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'write a lot' }] },
      });
      const result = await handle.result();
      expect(result.error?.type).not.toBe('PAYLOAD_TOO_LARGE');
      expect(chatBodies()).toHaveLength(2);
    });
  });
});

describe('a 3 MB tool result', () => {
  const script = () =>
    server.enqueue(
      {
        type: 'tool_calls',
        toolCalls: [{ id: 'big', name: 'slow_echo', arguments: { text: 'x', delayMs: 0 } }],
      },
      { type: 'text', content: 'done' },
    );

  it('with payload storage (Postgres): one execution, the model gets all of it, a small history', async () => {
    const tq = uniqueQueue('payloads');
    toolRuns = 0;
    script();
    const driver = new PostgresPayloadDriver({ pool: db.pool });
    const w = await worker(tq, { driver });
    const runner = storageRunner(tq, { driver });
    try {
      await w.runUntil(async () => {
        const runId = `run-${randomUUID()}`;
        const handle = await runner.start({
          agent: 'tool-calling',
          runId,
          inputData: { messages: [{ role: 'user', content: 'fetch it' }] },
        });
        const result = await handle.result();
        expect(result.error).toBeUndefined();
        expect(result.finalOutput).toEqual({ response: 'done' });
        expect(toolRuns).toBe(1);
        expect(await attemptsOf(handle.workflow, 'executeTool')).toEqual([1]);
        const second = chatBodies()[1];
        const tool = second?.messages.find((m) => m.role === 'tool');
        expect(tool?.content).toBe(BIG);
        const blobs = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM payload_blobs');
        expect(Number(blobs.rows[0]?.n)).toBeGreaterThan(0);
        const bytes = await historyBytes(runId);
        measured.toolResultWithDriver = bytes;
        expect(bytes).toBeLessThan(BIG.length / 10);
      });
    } finally {
      await runner.close();
    }
  });

  it('without payload storage: one execution, the model sees a PAYLOAD_TOO_LARGE tool error, the run goes on', async () => {
    const tq = uniqueQueue('payloads');
    toolRuns = 0;
    script();
    const w = await worker(tq);
    const runner = testRunner(env, tq);
    await w.runUntil(async () => {
      const runId = `run-${randomUUID()}`;
      const handle = await runner.start({
        agent: 'tool-calling',
        runId,
        inputData: { messages: [{ role: 'user', content: 'fetch it' }] },
      });
      const result = await handle.result();
      expect(result.error).toBeUndefined();
      expect(result.finalOutput).toEqual({ response: 'done' });
      expect(toolRuns).toBe(1);
      expect(await attemptsOf(handle.workflow, 'executeTool')).toEqual([1]);
      expect(chatBodies()).toHaveLength(2);
      const tool = chatBodies()[1]?.messages.find((m) => m.role === 'tool');
      expect(tool?.content).toMatch(/^Error: The result of tool slow_echo is 3\.\d\d MiB/);
      const bytes = await historyBytes(runId);
      measured.toolResultWithoutDriver = bytes;
      expect(bytes).toBeLessThan(BIG.length / 10);
    });
  });
});

describe('a result past the payload limit', () => {
  /** Six replies of 400 KB: each fits in a payload, the whole transcript (2.4 MB) does not. */
  const reply = (i: number) => `${i}:`.padEnd(400_000, 'x');
  async function sixBigReplies(w: Worker, runner: AgentRunner) {
    let n = 0;
    server.setHandler(() => ({ type: 'text', content: reply(++n) }));
    return w.runUntil(async () => {
      const handle = await runner.start({
        agent: 'can-hand',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'go' }], params: { turns: 6 } },
      });
      const result = await handle.result();
      // Read while the worker runs: a finished run's queries go through a worker.
      const types: string[] = [];
      for await (const e of handle.events()) types.push(e.type);
      return { handle, result, types, status: (await handle.status()).status };
    });
  }

  it('without payload storage: the run fails PAYLOAD_TOO_LARGE (its workflow task would fail forever)', async () => {
    const tq = uniqueQueue('payloads-result');
    const { handle, result, types, status } = await sixBigReplies(
      await worker(tq),
      testRunner(env, tq),
    );
    expect(result.error).toMatchObject({
      type: 'PAYLOAD_TOO_LARGE',
      details: { field: 'result', maxBytes: 2 * 1024 * 1024 - 512 },
    });
    expect(result.error?.message).toContain('payload storage');
    expect(Number(result.error?.details?.sizeBytes)).toBeGreaterThan(2_400_000);
    // Each model call was made once.
    expect(chatBodies()).toHaveLength(6);
    expect(status).toBe('failed');
    // The runner gave the run its limit; the run failed once.
    expect(await startInput(handle.workflow)).toMatchObject({
      inlinePayloadLimit: 2 * 1024 * 1024 - 512,
    });
    expect(types.filter((t) => t === 'run.failed')).toHaveLength(1);
    expect(types).not.toContain('run.succeeded');
  }, 120_000);

  it('with payload storage: the same run succeeds with its whole transcript', async () => {
    const tq = uniqueQueue('payloads-result-stored');
    const driver = new MemoryPayloadDriver();
    const { handle, result } = await sixBigReplies(
      await worker(tq, { driver }),
      storageRunner(tq, { driver }),
    );
    expect(result.error).toBeUndefined();
    expect(result.finalMessages).toHaveLength(1 + 2 * 6);
    expect(result.finalMessages[1]?.content).toBe(reply(1));
    // A runner with payload storage sets no limit.
    expect(await startInput(handle.workflow)).not.toHaveProperty('inlinePayloadLimit');
  }, 120_000);
});
