// Token streaming across processes: the worker runs in a child process and publishes deltas to
// Redis / Postgres; this process watches through RunHandle.events() with its own bus instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresEventBus, RedisEventBus, type EventBus } from '../../src/events';
import { isTransientEventType } from '../../src/core/events';
import { StreamedText } from '../../src/llm/deltas';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, testRunner, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
let server: MockLLMServer;
let pool: Pool;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  pool = new Pool({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test', max: 2 });
  redis = new Redis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  await server?.close();
  await pool?.end();
  redis?.disconnect();
  await env?.close();
});
afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

function startWorker(taskQueue: string, bus: string, prefix: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/llm-worker-process.ts')],
    {
      env: {
        ...process.env,
        TASK_QUEUE: taskQueue,
        ANTHROPIC_BASE_URL: server.anthropicBaseURL,
        BUS: bus,
        BUS_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker-ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
  });
}

test.each(['redis', 'postgres'])(
  'deltas published by a worker process reach a watcher in another process (%s), retry included',
  async (kind) => {
    const prefix = `xproc-${randomUUID()}:`;
    const bus: EventBus =
      kind === 'redis'
        ? new RedisEventBus({ client: redis, keyPrefix: prefix })
        : new PostgresEventBus({ pool });
    const tq = uniqueQueue('xproc');
    const good = 'Streamed across two processes, in order.';
    server.reset();
    server.enqueue(
      {
        type: 'stream_then_fail',
        content: 'lost words from the first try',
        failAfterChunks: 3,
        chunkDelayMs: 30,
      },
      { type: 'text', content: good, chunkDelayMs: 10 },
    );
    await startWorker(tq, kind, prefix);
    const runner = testRunner(env, tq, {}, { eventBus: bus });
    try {
      const handle = await runner.start({
        agent: 'streaming',
        runId: `run-${randomUUID()}`,
        inputData: { messages: [{ role: 'user', content: 'go' }] },
      });
      const text = new StreamedText();
      const transient: string[] = [];
      for await (const e of handle.events()) {
        if (isTransientEventType(e.type)) transient.push(e.type);
        text.apply(e);
      }
      expect((await handle.result()).finalOutput).toEqual({ texts: [good] });
      expect(transient).toContain('assistant.retry');
      expect(transient.filter((t) => t === 'assistant.delta').length).toBeGreaterThan(5);
      expect(text.text(1)).toBe(good);
    } finally {
      await bus.close();
    }
  },
);
