// Runs with a conversation and a Postgres event store while the database restarts under them. The
// test starts a Postgres cluster of its own (`initdb` into a temp dir, a free port, `pg_ctl` to
// restart it): never the machine's server. Checks: every run completes, each conversation holds
// its run's messages exactly once, the stored events equal the run's events, the worker never
// crashes. CI-sized by default; PG_RESTART_RUNS=40 for a longer run.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { AgentRunner } from '../../../src/client/runner';
import type { RunEvent } from '../../../src/core/types';
import { PostgresEventBus } from '../../../src/events';
import { PostgresConversationStore, createPostgresPool, migrate } from '../../../src/persistence';
import { MockLLMClient } from '../../../src/testing/mock-llm';
import { connectTestEnv, createTestWorker, uniqueQueue, type TestEnv } from '../helpers';

const RUNS = Number(process.env.PG_RESTART_RUNS ?? 12);
const CONCURRENCY = 4;
const RESTART_EVERY_MS = 1200;

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = join(root, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return name;
}

function pgUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
}

/** Runs a Postgres binary, as the `postgres` user when the test runs as root (initdb refuses root). */
function pg(name: string, args: string[]): string {
  const bin = pgBin(name);
  const asRoot = process.getuid?.() === 0;
  return execFileSync(
    asRoot ? 'runuser' : bin,
    asRoot ? ['-u', 'postgres', '--', bin, ...args] : args,
    { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** A throwaway Postgres cluster: its own data dir, port and socket dir. */
class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'art-pg-restart-'));
  port = 0;
  restarts = 0;
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }
  async start(): Promise<void> {
    this.port = await freePort();
    const uid = pgUid();
    if (uid !== undefined) chownSync(this.dir, uid, uid);
    pg('initdb', ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    this.ctl('start');
  }
  private ctl(action: 'start' | 'restart' | 'stop'): void {
    pg('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-m',
      'fast',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      action,
    ]);
  }
  restart(): void {
    this.ctl('restart');
    this.restarts++;
  }
  stop(): void {
    try {
      this.ctl('stop');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

let env: TestEnv;
let cluster: Cluster;
let pool: Pool;
const connectionErrors: Error[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  cluster = new Cluster();
  await cluster.start();
  pool = createPostgresPool({
    connectionString: cluster.url,
    max: 10,
    onConnectionError: (e) => connectionErrors.push(e),
  });
  await migrate(pool);
}, 120_000);

afterAll(async () => {
  await pool?.end().catch(() => undefined);
  cluster?.stop();
  await env?.close();
});

async function collect(it: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Retries a read while the database is coming back. */
async function settle<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test(`${RUNS} runs with a conversation while Postgres restarts: appended once, events stored as emitted`, async () => {
  const store = new PostgresConversationStore({ pool });
  const bus = new PostgresEventBus({ pool });
  // The model takes a while, so restarts land before, during and after the calls.
  const model = new MockLLMClient({
    respond: async (msgs) => {
      await new Promise((r) => setTimeout(r, 400));
      return { role: 'assistant', content: `answer to ${JSON.stringify(msgs.at(-1)?.content)}` };
    },
  });
  const tq = uniqueQueue('pg-restart');
  const worker = await createTestWorker(env, tq, model, {
    conversationStore: store,
    eventBus: bus,
  });
  const runner = new AgentRunner({
    client: env.client,
    config: { taskQueue: tq },
    persistence: { conversations: true, runEvents: true },
  });

  const convs = await Promise.all(
    Array.from({ length: RUNS }, (_, i) =>
      store.save({ title: `restart ${i}`, messages: [{ role: 'system', content: 'sys' }] }),
    ),
  );
  let stop = false;
  let restartsDuringRuns = 0;
  const nemesis = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, RESTART_EVERY_MS));
      if (stop) break;
      cluster.restart();
      restartsDuringRuns++;
    }
  })();

  const results: { runId: string; convId: string; seen: RunEvent[]; error?: unknown }[] = [];
  await worker.runUntil(async () => {
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < RUNS) {
            const i = next++;
            // The last run starts only once the nemesis has struck twice, so the restarts fall
            // while runs are going however fast the runs (or slow the restarts) are.
            if (i === RUNS - 1) {
              const until = Date.now() + 60_000;
              while (restartsDuringRuns < 2 && Date.now() < until) {
                await new Promise((r) => setTimeout(r, 100));
              }
            }
            const conv = convs[i]!;
            const runId = `pg-restart-${i}-${randomUUID()}`;
            const handle = await runner.start({
              agent: 'wiring-chat',
              runId,
              inputData: {
                conversationId: conv.id,
                messages: [{ role: 'user', content: `q${i}` }],
              },
            });
            const res = await handle.result();
            const seen = await collect(handle.events({ follow: false }));
            results.push({ runId, convId: conv.id, seen, error: res.error });
          }
        }),
      );
    } finally {
      stop = true;
      await nemesis;
    }
  });

  // No worker crash: runUntil returned normally. Every run completed.
  expect(results).toHaveLength(RUNS);
  expect(results.filter((r) => r.error !== undefined)).toEqual([]);
  let appended = 0;
  let duplicates = 0;
  let eventsCompared = 0;
  for (const r of results) {
    const i = convs.findIndex((c) => c.id === r.convId);
    const msgs = await settle(() => store.getMessages(r.convId, { allBranches: true }));
    duplicates +=
      msgs.length - new Set(msgs.map((m) => `${m.role}\u0000${JSON.stringify(m.content)}`)).size;
    // exactly once: the system message, the run's question, its answer; no duplicate ids
    expect(msgs.map((m) => [m.role, m.content])).toEqual([
      ['system', 'sys'],
      ['user', `q${i}`],
      ['assistant', `answer to "q${i}"`],
    ]);
    expect(new Set(msgs.map((m) => m.id)).size).toBe(msgs.length);
    appended += msgs.length - 1;
    const stored = await settle(() => bus.getEvents(r.runId));
    expect(r.seen.at(-1)?.type).toBe('run.succeeded');
    expect(stored).toEqual(r.seen);
    eventsCompared += stored.length;
  }
  // The nemesis really hit the database while runs were going.
  expect(restartsDuringRuns).toBeGreaterThanOrEqual(2);
  console.log(
    `postgres-restart: runs=${RUNS} completed=${results.length} restarts=${cluster.restarts} ` +
      `messagesAppended=${appended} duplicates=${duplicates} eventsCompared=${eventsCompared} ` +
      `connectionErrorsSeen=${connectionErrors.length}`,
  );
  await bus.close();
}, 600_000);
