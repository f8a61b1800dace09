// The worker's composition of run stores (createRunStores, used by worker.ts) drives real runs.
import { randomUUID } from 'node:crypto';
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import { readRunEvents } from '../../src/events';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { RedisTranscriptStore } from '../../src/transcripts';
// The package's `agent-runtime-core/worker` entry, as users import it.
import { createRunStores } from '../../worker';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_stores');
});
afterAll(async () => {
  await db?.drop();
  await env?.close();
});

test('postgres event bus, redis state store, audit and conversations from the settings', async () => {
  const stores = createRunStores({
    config: {
      eventBusBackend: 'postgres',
      stateStoreBackend: 'redis',
      redisUrl: 'redis://127.0.0.1:6379',
    },
    pool: db.pool,
    audit: true,
    redisKeyPrefix: `wiring-stores:${randomUUID()}:`,
  });
  try {
    const { deps } = stores;
    expect(Object.keys(deps).sort()).toEqual([
      'auditStore',
      'conversationStore',
      'eventBus',
      'stateStore',
      'transcriptStore',
    ]);
    expect(deps.transcriptStore).toBeInstanceOf(RedisTranscriptStore);
    const conv = await stores.manager.conversations.save({
      messages: [{ role: 'user', content: 'q1' }],
    });
    const tq = uniqueQueue();
    const llm = new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'a' }) });
    const worker = await createTestWorker(env, tq, llm, deps);
    const runner = new AgentRunner({
      client: env.client,
      config: { taskQueue: tq },
      persistence: { runEvents: true, conversations: true },
    });
    const runId = `run-${randomUUID()}`;
    await worker.runUntil(async () => {
      const res = await runner.execute({
        agent: 'wiring-chat',
        runId,
        inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q2' }] },
      });
      expect(res.finalOutput).toMatchObject({ historyLength: 1 });
    });
    const events = await readRunEvents(deps.eventBus!, runId);
    expect(events.map((e) => e.type)).toEqual([
      'run.started',
      'assistant.message',
      'run.succeeded',
    ]);
    expect((await deps.stateStore!.getRunStatus(runId))?.status).toBe('succeeded');
    expect((await deps.auditStore!.getEvents({ runId })).map((e) => e.eventType)).toEqual([
      'agent_end',
      'message_received',
      'agent_start',
    ]);
    expect((await deps.conversationStore!.getMessages(conv.id)).map((m) => m.content)).toEqual([
      'q1',
      'q2',
      'a',
    ]);
  } finally {
    await stores.close();
  }
});

test('memory backends give no event bus, state store or transcript store; redis without a URL is CONFIG_MISSING', async () => {
  const stores = createRunStores({
    config: { eventBusBackend: 'memory', stateStoreBackend: 'memory' },
    pool: db.pool,
  });
  expect(Object.keys(stores.deps)).toEqual(['conversationStore']);
  await stores.close();
  expect(() =>
    createRunStores({
      config: { eventBusBackend: 'redis', stateStoreBackend: 'memory' },
      pool: db.pool,
    }),
  ).toThrow(AgentRuntimeError);
});
