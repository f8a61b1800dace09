// Intermediate event flushes run in the background: a slow or hung event store neither holds up
// the model calls nor delays the end of a cancelled run. Real dev server and Postgres; the event
// store is the real PostgresEventBus behind a gate that holds its publishes.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentRunner } from '../../src/client/runner';
import type { RunEvent } from '../../src/core/types';
import type { EventBus, GetEventsOptions, SubscribeOptions } from '../../src/events/event-bus';
import { PostgresEventBus, readRunEvents } from '../../src/events';
import { PostgresStateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { ToolRegistry } from '../../src/tools/registry';
import { deleteFile } from '../fixtures/tool-defs';
import { steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;
let pgBus: PostgresEventBus;
let stateStore: PostgresStateStore;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_flush');
  pgBus = new PostgresEventBus({ pool: db.pool });
  stateStore = new PostgresStateStore({ pool: db.pool });
});
afterAll(async () => {
  await pgBus?.close();
  await db?.drop();
  await env?.close();
});

/** The real bus, whose first `holdCalls` publishes wait until `release()` (a hung store). */
class GatedBus implements EventBus {
  publishes = 0;
  finished = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  constructor(
    private readonly inner: EventBus,
    private readonly holdCalls: number,
  ) {}
  release(): void {
    this.open();
  }
  async publish(event: RunEvent): Promise<void> {
    if (++this.publishes <= this.holdCalls) await this.gate;
    await this.inner.publish(event);
    this.finished++;
  }
  getEvents(runId: string, options?: GetEventsOptions): Promise<RunEvent[]> {
    return this.inner.getEvents(runId, options);
  }
  subscribe(runId: string, options?: SubscribeOptions): AsyncIterable<RunEvent> {
    return this.inner.subscribe(runId, options);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function runner(tq: string): AgentRunner {
  return new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { runEvents: true },
  });
}

function withRelease(bus: GatedBus, fn: () => Promise<void>): () => Promise<void> {
  return () => fn().finally(() => bus.release());
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

test('a hung event store does not hold up the model calls; the run then publishes everything', async () => {
  // Every publish waits until released: a store whose connections hang.
  const bus = new GatedBus(pgBus, Number.MAX_SAFE_INTEGER);
  const model = new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, model, { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  // Released at the latest when the test ends, so the worker can shut down.
  await worker.runUntil(
    withRelease(bus, async () => {
      const handle = await runner(tq).start({
        agent: 'multi-turn',
        runId,
        inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 3 } },
      });
      // All three model calls happen while the first flush is still stuck in the store.
      expect(await waitFor(() => model.calls.length === 3, 20_000)).toBe(true);
      expect(bus.finished).toBe(0);
      expect(bus.publishes).toBe(1);
      bus.release();
      const result = await handle.result();
      expect(result.error).toBeUndefined();
      const seen: RunEvent[] = [];
      for await (const e of handle.events({ follow: false })) seen.push(e);
      expect(await readRunEvents(pgBus, runId)).toEqual(seen);
    }),
  );
  expect((await stateStore.getRunStatus(runId))?.status).toBe('succeeded');
});

test('cancelling a run whose flush hangs ends it at once; the late flush does not undo the status', async () => {
  // Only the first publish hangs: the final flush (after the cancel) gets through.
  const bus = new GatedBus(pgBus, 1);
  const model = new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, model, { eventBus: bus, stateStore });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(
    withRelease(bus, async () => {
      const handle = await runner(tq).start({
        agent: 'wiring-sleepy',
        runId,
        inputData: { messages: [{ role: 'user', content: 'wait' }], params: { seconds: 120 } },
      });
      expect(await waitFor(() => model.calls.length === 1 && bus.publishes === 1, 20_000)).toBe(
        true,
      );
      const t0 = Date.now();
      await handle.cancel();
      expect((await handle.result()).error?.type).toBe('RUN_CANCELLED');
      // Awaiting the hung flush would take its whole 15 s attempt timeout at least.
      expect(Date.now() - t0).toBeLessThan(10_000);
      const stored = await readRunEvents(pgBus, runId);
      expect(stored.map((e) => e.type)).toEqual([
        'run.started',
        'assistant.message',
        'progress.update',
        'run.cancelled',
      ]);
      expect((await stateStore.getRunStatus(runId))?.status).toBe('cancelled');
      // The hung attempt (which never learns it was cancelled) now finishes its batch.
      const before = bus.finished;
      bus.release();
      expect(await waitFor(() => bus.finished > before, 10_000)).toBe(true);
      await sleep(1500);
    }),
  );
  expect((await stateStore.getRunStatus(runId))?.status).toBe('cancelled');
});

/** Polls the event store until the run's stored log has an event of `type`. */
async function storedWithin(runId: string, type: string, ms: number): Promise<RunEvent[]> {
  let stored: RunEvent[] = [];
  const end = Date.now() + ms;
  while (!stored.some((e) => e.type === type) && Date.now() < end) {
    stored = await readRunEvents(pgBus, runId);
    if (!stored.some((e) => e.type === type)) await sleep(200);
  }
  return stored;
}

test('a pending approval reaches the event store while the run waits for it', async () => {
  const deleted: string[] = [];
  const model = new MockLLMClient({
    // The first answer comes after the flush started at the model call has ended, so only a
    // flush at the approval request can publish it.
    respond: async (messages) =>
      messages.at(-1)?.role === 'tool'
        ? { role: 'assistant', content: 'done' }
        : await sleep(2000).then(() => ({
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'del1',
                type: 'function',
                function: { name: 'delete_file', arguments: '{"path":"/tmp/x"}' },
              },
            ],
          })),
  });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, model, {
    eventBus: pgBus,
    stateStore,
    tools: new ToolRegistry([
      deleteFile.implement(({ path }) => {
        deleted.push(path);
        return { deleted: path };
      }),
    ]),
  });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'tool-calling',
      runId,
      inputData: { messages: [{ role: 'user', content: 'delete /tmp/x' }] },
    });
    // Another process watching the store sees the request it must act on.
    const stored = await storedWithin(runId, 'tool.approval_requested', 15_000);
    const request = stored.find((e) => e.type === 'tool.approval_requested');
    expect(request?.payload).toMatchObject({
      toolCallId: 'del1',
      toolCall: { name: 'delete_file' },
    });
    expect(deleted).toEqual([]);
    expect(model.calls).toHaveLength(1);
    await handle.approveToolCall('del1', { approved: true });
    expect((await handle.result()).finalOutput).toEqual({ response: 'done' });
  });
  expect(deleted).toEqual(['/tmp/x']);
});

test('a run of steps (no model call) publishes at step boundaries, before it ends', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient(), {
    eventBus: pgBus,
    stateStore,
    steps,
  });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'steps-configured',
      runId,
      inputData: {
        messages: [],
        params: {
          steps: [
            { name: 'first', fn: 'visit' },
            { name: 'long', fn: 'longRunning' },
          ],
          initialState: { longMs: 8000 },
        },
      },
    });
    const stored = await storedWithin(runId, 'step.completed', 6000);
    expect(stored.map((e) => e.type)).toContain('step.completed');
    expect(stored.some((e) => e.type === 'run.succeeded')).toBe(false);
    // The state store shows the run going.
    expect((await stateStore.getRunStatus(runId))?.status).toBe('running');
    expect((await handle.result()).error).toBeUndefined();
  });
  expect((await stateStore.getRunStatus(runId))?.status).toBe('succeeded');
});
