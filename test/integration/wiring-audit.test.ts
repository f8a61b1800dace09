// Tool calls, errors and model latency/tokens of runs land in the audit store, derived from the
// runs' events. Real dev server, real Postgres (a fresh schema).
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import { PostgresAuditStore } from '../../src/persistence/audit/postgres';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;
let audit: PostgresAuditStore;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_audit');
  audit = new PostgresAuditStore({ pool: db.pool });
});
afterAll(async () => {
  await db?.drop();
  await env?.close();
});

/** Each model call reports 11 + 7 tokens; the runtime's `assistant.message` events carry them. */
function llm(): MockLLMClient {
  return new MockLLMClient({
    respond: () => ({ role: 'assistant', content: 'ok' }),
    usage: { promptTokens: 11, completionTokens: 7, totalTokens: 18 },
  });
}

function runner(tq: string): AgentRunner {
  return new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { runEvents: true },
  });
}

async function publishAttempts(workflow: WorkflowHandle): Promise<number> {
  const history = await workflow.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishRunEvents',
  ).length;
}

test('a run with an audit store: tool calls, tool errors, model latency and tokens are recorded', async () => {
  const tq = uniqueQueue();
  // Only an audit store: no event bus, no state store.
  const worker = await createTestWorker(env, tq, llm(), { auditStore: audit });
  const runId = `run-${randomUUID()}`;
  const conversationId = randomUUID();
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'wiring-audit',
      runId,
      inputData: { messages: [{ role: 'user', content: 'go' }], conversationId },
    });
    expect((await handle.result()).error).toBeUndefined();
    // A background flush at each of the 2 model calls and the final one. One that starts late
    // may find its events already sent (then it schedules nothing); one still publishing when
    // the next model call's events arrive sends them too (on a slow machine: run.started, turn 1,
    // turn 2, then the terminal event: 4).
    const attempts = await publishAttempts(handle.workflow);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
  });

  const entries = await audit.getEvents({ runId });
  // Newest first; compare in event order.
  const ordered = [...entries].reverse();
  expect(ordered.map((e) => e.eventType)).toEqual([
    'agent_start',
    'message_received',
    'tool_call',
    'tool_result',
    'tool_call',
    'tool_error',
    'message_received',
    'agent_end',
  ]);
  expect(
    ordered.every((e) => e.agentKey === 'wiring-audit' && e.conversationId === conversationId),
  ).toBe(true);
  const call = ordered[2];
  expect(call?.action).toBe('Called tool search');
  expect(call?.details).toMatchObject({
    toolCallId: 'call_a',
    name: 'search',
    arguments: { q: 'docs' },
  });
  expect(ordered[3]?.details).toMatchObject({ toolCallId: 'call_a', result: { hits: 2 } });
  expect(ordered[5]?.details).toMatchObject({
    toolCallId: 'call_b',
    error: 'fetch exploded',
    isError: true,
  });
  expect(ordered[7]?.details).toMatchObject({ status: 'succeeded' });

  const errors = await audit.getErrors({ runId });
  expect(errors.map((e) => [e.severity, e.errorType, e.message])).toEqual([
    ['warning', 'TOOL_ERROR', 'fetch exploded'],
  ]);

  // One latency per model call, as measured by the invokeModel activity.
  const latency = await audit.getMetrics({ runId, name: 'llm_latency' });
  expect(latency).toHaveLength(2);
  expect(latency.every((m) => m.value >= 0 && Number.isFinite(m.value))).toBe(true);
  expect(latency.every((m) => m.unit === 'ms' && m.tags.model === 'mock-model')).toBe(true);
  const total = await audit.getMetricSummary('llm_total_tokens', { runId });
  expect(total).toMatchObject({ count: 2, sum: 36 });
  expect((await audit.getMetricSummary('llm_prompt_tokens', { runId })).sum).toBe(22);
  expect((await audit.getMetricSummary('llm_completion_tokens', { runId })).sum).toBe(14);
  const turn1 = await audit.getMetrics({ runId, name: 'llm_latency', tags: { turn: '1' } });
  expect(turn1).toHaveLength(1);
});

test('a failed run: an error record and an agent_error entry; every record is written once', async () => {
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { auditStore: audit });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const res = await runner(tq).execute({
      agent: 'wiring-audit',
      runId,
      inputData: { messages: [{ role: 'user', content: 'go' }], params: { fail: true } },
    });
    expect(res.error?.message).toBe('audit agent gave up');
  });
  const errors = await audit.getErrors({ runId });
  expect(errors.map((e) => [e.severity, e.errorType, e.message])).toEqual([
    ['error', 'Error', 'audit agent gave up'],
    ['warning', 'TOOL_ERROR', 'fetch exploded'],
  ]);
  expect(errors[0]?.stackTrace).toContain('audit agent gave up');
  const entries = await audit.getEvents({ runId });
  expect(entries[0]?.eventType).toBe('agent_error');
  // One record per event: no duplicates across the three flushes.
  expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
  expect(entries).toHaveLength(8);
  expect(await audit.getMetrics({ runId })).toHaveLength(8);
});

test('a retried publishRunEvents batch writes each audit record once', async () => {
  let failures = 0;
  // The real store, whose first metric write is stored but its answer lost (a dropped connection).
  const flaky = new Proxy(audit, {
    get(target, prop, receiver) {
      if (prop === 'recordMetric') {
        return async (...args: Parameters<PostgresAuditStore['recordMetric']>) => {
          const stored = await target.recordMetric(...args);
          if (failures++ === 0) {
            throw new AgentRuntimeError('STORAGE_ERROR', 'Storage failed: connection lost');
          }
          return stored;
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const tq = uniqueQueue();
  const worker = await createTestWorker(env, tq, llm(), { auditStore: flaky });
  const runId = `run-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await runner(tq).start({
      agent: 'wiring-audit',
      runId,
      inputData: { messages: [{ role: 'user', content: 'go' }] },
    });
    expect((await handle.result()).error).toBeUndefined();
    const history = await handle.workflow.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(attempts).toContain(2);
  });
  const entries = await audit.getEvents({ runId });
  expect(entries).toHaveLength(8);
  expect(new Set(entries.map((e) => e.id)).size).toBe(8);
  expect(await audit.getMetrics({ runId })).toHaveLength(8);
  expect(await audit.getErrors({ runId })).toHaveLength(1);
});
