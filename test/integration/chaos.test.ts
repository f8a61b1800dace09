// Chaos: two worker processes, a nemesis SIGKILLing one of them (and starting it again) every few
// seconds while runs with side-effecting tools and steps go on. Then the checker: every run
// completed; one email per idempotency key; no charge started twice; no step started again after
// its completion was recorded; each run's events gap-free, ending in one terminal event, and the
// stored events equal to them. With it, the secrets canary: the workers' settings hold a canary
// API key and a database URL with a password, a tool and a step fail quoting both, and neither
// appears in any history, stored event, audit or error row, worker log or model prompt.
// CI-sized by default; CHAOS_RUNS=200 (and CHAOS_KILL_EVERY_MS) for a long run.
// Real Temporal dev server, worker processes, Postgres (a fresh schema), local LLM server.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentRunner } from '../../src/client/runner';
import type { RunEvent, RunResult } from '../../src/core/types';
import { PostgresEventBus } from '../../src/events';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { historyText } from './history-text';
import { connectTestEnv, uniqueQueue, type TestEnv } from './helpers';
import { PG_URL, createTestSchema, type TestSchema } from './persistence/pg-helpers';

const RUNS = Math.max(20, Number(process.env.CHAOS_RUNS ?? 24));
const KILL_EVERY_MS = Number(process.env.CHAOS_KILL_EVERY_MS ?? 2000);
/** Starts at most this often, so the nemesis strikes while runs are in flight. */
const START_EVERY_MS = 500;
/**
 * Runs in flight at most: a long run keeps the CI run's load (two workers on a small machine
 * that are killed every few seconds and replay what they had cached) instead of piling up runs.
 */
const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 24);
const CANARY_KEY = `sk-canary${randomUUID().replace(/-/g, '')}`;
const CANARY_PASSWORD = `canarypw${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const CANARY_DB_URL = `postgres://postgres:${CANARY_PASSWORD}@127.0.0.1:5432/test`;
const CANARIES = [CANARY_KEY, CANARY_PASSWORD];

let env: TestEnv;
let server: MockLLMServer;
let db: TestSchema;
/** Every worker slot, so a failing test leaves no process behind. */
const allSlots: WorkerSlot[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  db = await createTestSchema('chaos');
  await db.pool.query(`
    CREATE TABLE emails (idempotency_key text NOT NULL, recipient text, subject text);
    CREATE TABLE charges (run_id text NOT NULL, tool_call_id text NOT NULL, amount_cents int NOT NULL);
    CREATE TABLE step_runs (run_id text NOT NULL, step text NOT NULL, attempt int NOT NULL, pid int NOT NULL, started_at timestamptz NOT NULL);
  `);
  // Each run's first model call asks for the three tools; once it has tool results, it answers.
  server.setHandler((req) => {
    const body = req.body as { messages?: { role: string; content?: unknown }[] };
    const msgs = body.messages ?? [];
    if (msgs.some((m) => m.role === 'tool')) return { type: 'text', content: 'all done' };
    const content = msgs.find((m) => m.role === 'user')?.content;
    const user = typeof content === 'string' ? content : 'unknown';
    return {
      type: 'tool_calls',
      toolCalls: [
        { name: 'send_email', arguments: { to: `${user}@example.com`, subject: user } },
        { name: 'charge_card', arguments: { amountCents: 100 } },
        { name: 'always_fails', arguments: {} },
      ],
    };
  });
});
afterAll(async () => {
  await Promise.all(allSlots.map((s) => s.kill()));
  await db?.drop();
  await server?.close();
  await env?.close();
});

/** One worker process; its output (the worker log) is kept for the canary search. */
class WorkerSlot {
  child: ChildProcess | undefined;
  log = '';
  starts = 0;

  constructor(private readonly taskQueue: string) {
    allSlots.push(this);
  }

  async start(): Promise<void> {
    this.starts++;
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', join(__dirname, '../fixtures/chaos-worker-process.ts')],
      {
        env: {
          ...process.env,
          TASK_QUEUE: this.taskQueue,
          LLM_BASE_URL: server.openaiBaseURL,
          PG_URL,
          PG_SCHEMA: db.schema,
          OPENAI_API_KEY: CANARY_KEY,
          DATABASE_URL: CANARY_DB_URL,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        this.log += d.toString();
        if (this.log.includes('worker-ready')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
      child.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`worker exited (${code}): ${this.log}`));
      });
    });
    await ready;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

interface Planned {
  runId: string;
  kind: 'tools' | 'steps';
}

const STEP_NAMES = ['prepare', 'flaky', 'finish'];

function startRun(runner: AgentRunner, p: Planned) {
  if (p.kind === 'tools') {
    return runner.start({
      agent: 'tool-calling',
      runId: p.runId,
      inputData: { messages: [{ role: 'user', content: p.runId }] },
    });
  }
  return runner.start({
    agent: 'steps-configured',
    runId: p.runId,
    inputData: {
      messages: [],
      params: {
        steps: STEP_NAMES.map((name) => ({
          name,
          fn: 'chaosStep',
          options: { heartbeatTimeout: '2s', retries: 2, retryDelay: 0.2 },
        })),
      },
    },
  });
}

test(
  `chaos: ${RUNS} runs while a nemesis SIGKILLs workers; then the secrets canary`,
  async () => {
    const started = Date.now();
    const tq = uniqueQueue('chaos');
    const slots = [new WorkerSlot(tq), new WorkerSlot(tq)];
    await Promise.all(slots.map((s) => s.start()));
    const eventBus = new PostgresEventBus({ pool: db.pool });
    const runner = new AgentRunner({
      client: env.client,
      // A model call on a killed worker is noticed within 2 s (default 30 s).
      config: { taskQueue: tq, modelCall: { heartbeatTimeout: '2s' } },
      persistence: { runEvents: true },
      eventBus,
    });
    const planned: Planned[] = Array.from({ length: RUNS }, (_, i) => ({
      runId: `chaos-${i}-${randomUUID()}`,
      kind: i % 2 === 0 ? 'tools' : 'steps',
    }));

    let kills = 0;
    let stop = false;
    const nemesis = (async () => {
      let turn = 0;
      while (!stop) {
        await sleep(KILL_EVERY_MS);
        if (stop) break;
        const slot = slots[turn++ % slots.length] as WorkerSlot;
        await slot.kill();
        kills++;
        await slot.start();
      }
    })();

    const results: { p: Planned; result: RunResult }[] = [];
    try {
      let next = 0;
      let lastStart = 0;
      const lane = async () => {
        while (next < planned.length) {
          const p = planned[next++] as Planned;
          // The last run starts only once the nemesis has struck three times, so the kills fall
          // while runs are in flight however slowly the workers restart on a loaded machine.
          if (next === planned.length) {
            const until = Date.now() + 120_000;
            while (kills < 3 && Date.now() < until) await sleep(100);
          }
          const wait = lastStart + START_EVERY_MS - Date.now();
          lastStart = Math.max(Date.now(), lastStart + START_EVERY_MS);
          if (wait > 0) await sleep(wait);
          const handle = await startRun(runner, p);
          results.push({ p, result: await handle.result() });
        }
      };
      const pending = Array.from({ length: Math.min(CONCURRENCY, RUNS) }, lane);
      await Promise.all(pending);
    } finally {
      stop = true;
      await nemesis;
    }
    const runSeconds = Math.round((Date.now() - started) / 1000);

    // --- The checker ---
    const completed = results.filter((r) => r.result.error === undefined);
    const failures = results
      .filter((r) => r.result.error !== undefined)
      .map((r) => `${r.p.runId}: ${r.result.error?.message}`);
    expect(failures).toEqual([]);
    // The floor: every run completed, and the nemesis really struck.
    expect(completed.length).toBe(RUNS);
    expect(kills).toBeGreaterThanOrEqual(3);

    const toolRuns = planned.filter((p) => p.kind === 'tools').map((p) => p.runId);
    // One email per idempotency key, one per tool run.
    const emails = await db.pool.query<{ k: string; n: string }>(
      'SELECT idempotency_key AS k, count(*) AS n FROM emails GROUP BY 1',
    );
    const duplicateEmails = emails.rows.filter((r) => Number(r.n) > 1);
    expect(duplicateEmails).toEqual([]);
    expect(emails.rows.length).toBe(toolRuns.length);
    // No charge started twice (a lost worker's charge is reported to the model, never re-run).
    const charges = await db.pool.query<{ run_id: string; n: string }>(
      'SELECT run_id, tool_call_id, count(*) AS n FROM charges GROUP BY 1, 2',
    );
    const duplicateCharges = charges.rows.filter((r) => Number(r.n) > 1);
    expect(duplicateCharges).toEqual([]);

    let stepReruns = 0;
    let lostStepStarts = 0;
    const eventsByRun = new Map<string, RunEvent[]>();
    for (const p of planned) {
      const handle = await runner.getHandle(p.runId);
      const events: RunEvent[] = [];
      for await (const e of handle.events({ follow: false })) events.push(e);
      eventsByRun.set(p.runId, events);
      // Gap-free, one terminal event, last; the event store holds the same log.
      expect([p.runId, events.map((e) => e.seq)]).toEqual([p.runId, events.map((_, i) => i + 1)]);
      expect(events.at(-1)?.type).toBe('run.succeeded');
      expect(
        events.filter((e) => e.type.startsWith('run.') && e.type !== 'run.started'),
      ).toHaveLength(1);
      const stored = await handle.storedEvents();
      expect(stored.map((e) => [e.seq, e.type])).toEqual(events.map((e) => [e.seq, e.type]));
      if (p.kind !== 'steps') continue;
      // No step started again after its completion was recorded (the workflow records
      // step.completed at workflow time, after the step's last start).
      const runs = await db.pool.query<{ step: string; started_at: Date }>(
        'SELECT step, started_at FROM step_runs WHERE run_id = $1',
        [p.runId],
      );
      for (const name of STEP_NAMES) {
        const done = events.find((e) => e.type === 'step.completed' && e.payload.stepName === name);
        expect([p.runId, name, done !== undefined]).toEqual([p.runId, name, true]);
        const doneAt = Date.parse(done?.timestamp ?? '');
        const starts = runs.rows.filter((r) => r.step === name);
        stepReruns += starts.filter((r) => r.started_at.getTime() > doneAt).length;
        // Starts beyond the attempts the log shows: attempts re-run after a lost worker.
        const attempts = events.filter(
          (e) => e.type === 'step.started' && e.payload.stepName === name,
        ).length;
        lostStepStarts += Math.max(0, starts.length - attempts);
      }
    }
    expect(stepReruns).toBe(0);

    // --- The secrets canary ---
    const corpora: Record<string, string> = {};
    for (const p of planned) {
      corpora[`history ${p.runId}`] = historyText(
        await env.client.workflow.getHandle(p.runId).fetchHistory(),
      );
      corpora[`events ${p.runId}`] = JSON.stringify(eventsByRun.get(p.runId));
    }
    const dumpDb = async (): Promise<string> => {
      const tables = await db.pool.query<{ t: string }>(
        'SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema()',
      );
      const parts: string[] = [];
      for (const { t } of tables.rows) {
        const rows = await db.pool.query(`SELECT row_to_json(x)::text AS j FROM ${t} x`);
        parts.push(...rows.rows.map((r: { j: string }) => `${t} ${r.j}`));
      }
      return parts.join('\n');
    };
    corpora.database = await dumpDb();
    slots.forEach((s, i) => (corpora[`worker log ${i}`] = s.log));
    corpora['model prompts'] = JSON.stringify(server.requests.map((r) => r.body));
    const hits = (texts: Record<string, string>) =>
      Object.entries(texts).flatMap(([where, text]) =>
        CANARIES.filter((c) => text.includes(c)).map((c) => `${where}: ${c.slice(0, 12)}…`),
      );

    // The search can fail: a planted canary in the database is found.
    await db.pool.query('CREATE TABLE planted (note text)');
    await db.pool.query('INSERT INTO planted VALUES ($1)', [`leaked ${CANARY_PASSWORD}`]);
    expect(hits({ database: await dumpDb() })).toEqual([
      `database: ${CANARY_PASSWORD.slice(0, 12)}…`,
    ]);
    await db.pool.query('DROP TABLE planted');
    // The errors quoting the secrets did happen and were recorded, redacted.
    expect(corpora.database).toContain('[redacted]');
    expect(Object.values(corpora).join('\n')).toContain('connect to postgres://');
    expect(slots.map((s) => s.log).join('\n')).toContain('[redacted]');

    const found = hits(corpora);
    expect(found).toEqual([]);

    const emailDuplicates = duplicateEmails.length;
    const chargeDuplicates = duplicateCharges.length;
    // The counts, for the record.
    console.log(
      `chaos: runs=${RUNS} completed=${completed.length} kills=${kills} workerStarts=${slots
        .map((s) => s.starts)
        .reduce(
          (a, b) => a + b,
        )} emailDuplicates=${emailDuplicates} chargeDuplicates=${chargeDuplicates} ` +
        `stepReruns=${stepReruns} stepAttemptsRerunAfterLoss=${lostStepStarts} charges=${charges.rows.length} ` +
        `secretsFound=${found.length} searchedTexts=${Object.keys(corpora).length} runSeconds=${runSeconds} seconds=${Math.round((Date.now() - started) / 1000)}`,
    );
    await Promise.all(slots.map((s) => s.kill()));
  },
  Number(process.env.CHAOS_TIMEOUT_MS ?? 600_000),
);
