// Runs that use the stores replay deterministically against the same workflow code: their
// histories (flushes, conversation load/append, patch markers) are recorded here and replayed.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { AgentRunner } from '../../src/client/runner';
import { InMemoryEventBus } from '../../src/events';
import { InMemoryAuditStore, InMemoryConversationStore } from '../../src/persistence';
import { InMemoryStateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { steps } from '../fixtures/step-functions';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';

const CHECK = join(__dirname, '../fixtures/replay-check.ts');
let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await connectTestEnv();
  dir = mkdtempSync(join(tmpdir(), 'wiring-replay-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env?.close();
});

/** Ids of the patch markers in a history (JSON form). */
function patchIds(historyJson: string): string[] {
  const h = JSON.parse(historyJson) as {
    events: Array<{
      markerRecordedEventAttributes?: {
        markerName?: string;
        details?: Record<string, { payloads?: Array<{ data?: string }> }>;
      };
    }>;
  };
  return h.events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => {
      const data = m?.details?.['patch-data']?.payloads?.[0]?.data ?? '';
      return (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id;
    });
}

function replay(historyPath: string, workflowId: string): string {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', CHECK, codePath, historyPath, workflowId],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return out.trim().split('\n').at(-1) ?? '';
}

test('succeeded (conversation, events, audit) and cancelled runs replay against the code that ran them', async () => {
  const conversations = new InMemoryConversationStore();
  const conv = await conversations.save({ messages: [{ role: 'user', content: 'q1' }] });
  const tq = uniqueQueue();
  const worker = await createTestWorker(
    env,
    tq,
    new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) }),
    {
      eventBus: new InMemoryEventBus(),
      stateStore: new InMemoryStateStore(),
      conversationStore: conversations,
      auditStore: new InMemoryAuditStore(),
      steps,
    },
  );
  const runner = new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { runEvents: true, conversations: true },
  });
  const ids = {
    audit: `run-${randomUUID()}`,
    chat: `run-${randomUUID()}`,
    cancel: `run-${randomUUID()}`,
    steps: `run-${randomUUID()}`,
  };
  await worker.runUntil(async () => {
    await runner.execute({
      agent: 'wiring-audit',
      runId: ids.audit,
      inputData: { messages: [{ role: 'user', content: 'go' }] },
    });
    await runner.execute({
      agent: 'wiring-chat',
      runId: ids.chat,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q2' }] },
    });
    const sleepy = await runner.start({
      agent: 'wiring-sleepy',
      runId: ids.cancel,
      inputData: { messages: [{ role: 'user', content: 'wait' }], params: { seconds: 60 } },
    });
    for await (const e of sleepy.events()) {
      if (e.type === 'progress.update') break;
    }
    await sleepy.cancel();
    await sleepy.result();
    // Flushes at step boundaries, in the background, beside the step activities.
    await runner.execute({
      agent: 'steps-configured',
      runId: ids.steps,
      inputData: {
        messages: [],
        params: { steps: ['a', 'b', 'c'].map((name) => ({ name, fn: 'visit' })) },
      },
    });
  });
  const markers: Record<string, string[]> = {};
  for (const runId of Object.values(ids)) {
    const history = await env.client.workflow.getHandle(runId).fetchHistory();
    const text = historyToJSON(history);
    markers[runId] = patchIds(text);
    expect(markers[runId]).toContain('agent-runtime.persist-run-events');
    const path = join(dir, `${runId}.json`);
    writeFileSync(path, text);
    expect(replay(path, runId)).toBe('ok');
  }
  expect(markers[ids.chat]).toContain('agent-runtime.conversation-history');
  expect(markers[ids.chat]).toContain('agent-runtime.transcript-by-reference');
  expect(markers[ids.steps]).toContain('agent-runtime.prompt-event-flush');
});
