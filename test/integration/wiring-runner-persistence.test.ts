// AgentRunner's `persistence` option overrides the settings-derived defaults field by field.
// Real dev server and Postgres (a fresh schema).
import { randomUUID } from 'node:crypto';
import { AgentRunner } from '../../src/client/runner';
import { configure, resetConfig } from '../../src/config';
import type { RunPersistenceOptions } from '../../src/core/run-contract';
import { PostgresEventBus, readRunEvents } from '../../src/events';
import { PostgresConversationStore } from '../../src/persistence/conversations/postgres';
import { PostgresStateStore } from '../../src/state';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, PG_URL, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_runner_persistence');
});
afterAll(async () => {
  resetConfig();
  await db?.drop();
  await env?.close();
});

test('settings say postgres: { conversations: true } keeps the default runEvents; { runEvents: false } turns only it off', async () => {
  // The settings of a deployment whose workers have a Postgres event bus and state store.
  configure({ eventBusBackend: 'postgres', stateStoreBackend: 'postgres', databaseUrl: PG_URL });
  const bus = new PostgresEventBus({ pool: db.pool });
  const stateStore = new PostgresStateStore({ pool: db.pool });
  const conversations = new PostgresConversationStore({ pool: db.pool });
  const tq = uniqueQueue();
  const worker = await createTestWorker(
    env,
    tq,
    new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) }),
    { eventBus: bus, stateStore, conversationStore: conversations },
  );
  const run = async (persistence: RunPersistenceOptions) => {
    const conv = await conversations.save({ messages: [] });
    const runId = `run-${randomUUID()}`;
    const runner = new AgentRunner({ client: env.client, config: { taskQueue: tq }, persistence });
    const res = await runner.execute({
      agent: 'wiring-chat',
      runId,
      inputData: { conversationId: conv.id, messages: [{ role: 'user', content: 'q' }] },
    });
    expect(res.error).toBeUndefined();
    return {
      events: await readRunEvents(bus, runId),
      messages: (await conversations.getMessages(conv.id)).map((m) => m.content),
    };
  };
  try {
    await worker.runUntil(async () => {
      const both = await run({ conversations: true });
      expect(both.messages).toEqual(['q', 'ok']);
      expect(both.events.at(-1)?.type).toBe('run.succeeded');

      const noEvents = await run({ runEvents: false, conversations: true });
      expect(noEvents.messages).toEqual(['q', 'ok']);
      expect(noEvents.events).toEqual([]);
    });
  } finally {
    await bus.close();
  }
});
