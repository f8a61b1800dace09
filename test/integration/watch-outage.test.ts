// RunHandle.events() and result() across a Temporal outage: a second dev server of its own (state
// in a SQLite file) is stopped mid-run and started again on the same port and file; the watcher
// gets every event once and the terminal one, and result() resolves. Past the watch deadline,
// both fail with TEMPORAL_UNAVAILABLE. OUTAGE_SECONDS sets the outage's length (default 5).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { AgentRunner } from '../../src/client/runner';
import type { AgentRuntimeError } from '../../src/core/errors';
import type { RunEvent } from '../../src/core/types';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { startTemporalDevServer, type DevServer } from '../../src/testing/temporal-server';
import { createAgentWorker } from '../../worker';

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 5) * 1000;

let dir: string;
let server: DevServer;
let port: number;
let connection: Connection;
let client: Client;

async function startServer(): Promise<DevServer> {
  return startTemporalDevServer({
    dbFilename: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    ...(port ? { port } : {}),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-runtime-outage-'));
  server = await startServer();
  port = Number(server.address.split(':')[1]);
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function newWorker(nativeConnection: NativeConnection, taskQueue: string): Promise<Worker> {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return createAgentWorker({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath },
    activities: {
      llm: new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'ok' }) }),
    },
  });
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test(
  `a ${OUTAGE_MS / 1000} s Temporal outage mid-run: the watcher gets every event once, result() resolves`,
  async () => {
    const taskQueue = `outage-${randomUUID()}`;
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await newWorker(nativeConnection, taskQueue);
    const running = worker.run();
    const runner = new AgentRunner({ client, config: { taskQueue } });
    const ticks = 16;
    const handle = await runner.start({
      agent: 'ticker',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [], params: { ticks, intervalMs: 400, callModel: true } },
    });
    const seen: RunEvent[] = [];
    const watching = (async () => {
      for await (const e of handle.events()) seen.push(e);
    })();
    const result = handle.result();
    try {
      await until(() => seen.some((e) => e.type === 'tick' && e.payload.i === 3), 30_000, 'tick 3');
      await server.stop();
      const stoppedAt = Date.now();
      const seenAtStop = seen.length;
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      server = await startServer();
      console.log(
        `Temporal was down ${Date.now() - stoppedAt} ms (events seen before: ${seenAtStop})`,
      );
      await watching;
      expect((await result).error).toBeUndefined();
    } finally {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    }
    const got = seen.filter((e) => e.type === 'tick').map((e) => e.payload.i);
    expect(got).toEqual(Array.from({ length: ticks }, (_, i) => i + 1));
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.type).toBe('run.succeeded');
  },
  120_000 + 2 * OUTAGE_MS,
);

test('Temporal down past watchTimeout: events() and result() fail with TEMPORAL_UNAVAILABLE', async () => {
  // No worker: the run waits; the watch fails because Temporal goes away, not the worker.
  const runner = new AgentRunner({
    client,
    config: { taskQueue: `nobody-${randomUUID()}`, watchTimeout: '2s' },
  });
  const handle = await runner.start({
    agent: 'ticker',
    runId: `run-${randomUUID()}`,
    inputData: { messages: [], params: { ticks: 1 } },
  });
  await server.stop();
  try {
    const failures = await Promise.all(
      [
        async () => {
          for await (const e of handle.events()) void e;
        },
        () => handle.result(),
      ].map(async (f) => {
        const t0 = Date.now();
        try {
          await f();
        } catch (err) {
          return { err: err as AgentRuntimeError, ms: Date.now() - t0 };
        }
        return { err: undefined, ms: Date.now() - t0 };
      }),
    );
    for (const { err, ms } of failures) {
      expect(err?.code).toBe('TEMPORAL_UNAVAILABLE');
      expect(err?.retryable).toBe(true);
      expect(err?.message).toContain('check that the Temporal server is reachable');
      // The deadline, plus at most the Temporal client's own retries of a failing call (~20 s).
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(40_000);
    }
    expect(failures[0]?.err?.message).toContain('afterSeq: 0');
  } finally {
    server = await startServer();
  }
}, 90_000);
