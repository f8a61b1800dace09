// RunHandle.events() on a runner whose event bus cannot subscribe to transient events (the
// PostgresEventBus without LISTEN that the PGlite setup builds): the durable events, one warning.
// Real dev server and Postgres (a fresh schema).
import { randomUUID } from 'node:crypto';
import { AgentRunner } from '../../src/client/runner';
import type { RunEvent } from '../../src/core/types';
import { PostgresEventBus } from '../../src/events';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from './helpers';
import { createTestSchema, type TestSchema } from './persistence/pg-helpers';

let env: TestEnv;
let db: TestSchema;

beforeAll(async () => {
  env = await connectTestEnv();
  db = await createTestSchema('wiring_events_fallback');
});
afterAll(async () => {
  await db?.drop();
  await env?.close();
});

test('a bus without LISTEN: events() follows the durable events to the end and warns once', async () => {
  const bus = new PostgresEventBus({ pool: db.pool, listen: false });
  // The bus really refuses transient subscriptions.
  await expect(bus.subscribeTransient('x')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  const tq = uniqueQueue();
  const worker = await createTestWorker(
    env,
    tq,
    new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) }),
    { eventBus: bus },
  );
  const runner = new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { runEvents: true },
    eventBus: bus,
  });
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i < 2; i++) {
        const handle = await runner.start({
          agent: 'multi-turn',
          runId: `run-${randomUUID()}`,
          inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
        });
        const seen: RunEvent[] = [];
        for await (const e of handle.events()) seen.push(e);
        expect(seen[0]?.type).toBe('run.started');
        expect(seen.at(-1)?.type).toBe('run.succeeded');
        expect(seen.map((e) => e.seq)).toEqual(seen.map((_, n) => n + 1));
        expect((await handle.result()).error).toBeUndefined();
      }
    });
    const ours = warn.mock.calls.filter((c) => String(c[0]).includes('RunHandle.events()'));
    expect(ours).toHaveLength(1);
    expect(String(ours[0]?.[0])).toContain('LISTEN');
  } finally {
    warn.mockRestore();
    await bus.close();
  }
});
