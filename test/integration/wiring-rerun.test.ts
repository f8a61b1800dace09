// A run id started again (the StepExecutor resume flow: same run id, new Temporal execution)
// keeps publishing: its events continue the stored log after the earlier execution's, and its
// status and audit records are written. Real dev server, Postgres event bus, state and audit
// stores (a fresh schema).
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../src/core/types';
import type { RunHandle } from '../../src/client/runner';
import { PostgresEventBus, readRunEvents } from '../../src/events';
import { PostgresAuditStore } from '../../src/persistence/audit/postgres';
import { PostgresStateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { stepControl, steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;
let bus: PostgresEventBus;
let stateStore: PostgresStateStore;
let audit: PostgresAuditStore;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_rerun');
  bus = new PostgresEventBus({ pool: db.pool });
  stateStore = new PostgresStateStore({ pool: db.pool });
  audit = new PostgresAuditStore({ pool: db.pool });
});
afterAll(async () => {
  await bus?.close();
  await db?.drop();
  await env?.close();
});

async function allEvents(handle: RunHandle): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of handle.events({ follow: false })) out.push(e);
  return out;
}

test('a run failing at step 3, then re-run with the same run id: status succeeded, the stored log holds both executions in order', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, new MockLLMClient(), {
    steps,
    stateStore,
    eventBus: bus,
    auditStore: audit,
  });
  const runner = testRunner(env, tq, {}, { persistence: { runEvents: true, checkpoints: true } });
  const runId = `rerun-${randomUUID()}`;
  const params = { steps: ['step1', 'step2', 'step3'].map((name) => ({ name, fn: 'visit' })) };
  await worker.runUntil(async () => {
    stepControl.failing.add(`${runId}/step3`);
    const first = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params },
    });
    expect((await first.result()).error?.type).toBe('STEP_EXECUTION_ERROR');
    const log1 = await allEvents(first);
    expect(await readRunEvents(bus, runId)).toEqual(log1);
    expect((await stateStore.getRunStatus(runId))?.status).toBe('failed');

    stepControl.failing.delete(`${runId}/step3`);
    const second = await runner.start({
      agent: 'steps-configured',
      runId,
      inputData: { messages: [], params },
    });
    expect((await second.result()).error).toBeUndefined();
    const log2 = await allEvents(second);
    expect(log2.at(-1)?.type).toBe('run.succeeded');
    expect(log2.filter((e) => e.type === 'step.skipped')).toHaveLength(2);

    // One log per run id: the second execution's events follow the first's, renumbered.
    const stored = await readRunEvents(bus, runId);
    const n1 = log1.length;
    expect(stored).toEqual([...log1, ...log2.map((e) => ({ ...e, seq: e.seq + n1 }))]);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(stored.filter((e) => e.type === 'run.started')).toHaveLength(2);

    const status = await stateStore.getRunStatus(runId);
    expect(status?.status).toBe('succeeded');
    expect(status?.details).toMatchObject({
      agentKey: 'steps-configured',
      lastSeq: stored.length,
      executionId: (await second.workflow.describe()).runId,
    });
  });
  // Both executions are in the audit trail.
  const entries = await audit.getEvents({ runId });
  expect(entries.filter((e) => e.eventType === 'agent_start')).toHaveLength(2);
  expect(entries.filter((e) => e.eventType === 'agent_error')).toHaveLength(1);
  expect(entries.filter((e) => e.eventType === 'agent_end')).toHaveLength(1);
});
