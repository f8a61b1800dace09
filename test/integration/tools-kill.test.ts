// SIGKILL of a worker right after a side-effecting tool's handler finished, before its activity
// completed. Idempotent tool: retried with the same idempotency key, the effect happens once.
// Non-idempotent tool: not run again; the model is told the call failed.
// Real Temporal dev server, worker processes, Postgres (a fresh schema), local LLM server.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { RunEvent } from '../../src/core/types';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { scheduledActivities, startedAttempts } from './tools-helpers';

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = `tools_kill_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

let env: TestEnv;
let server: MockLLMServer;
let pool: Pool;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  const admin = new Pool({ connectionString: PG_URL, max: 1 });
  await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  await admin.end();
  pool = new Pool({ connectionString: PG_URL, options: `-c search_path="${SCHEMA}"`, max: 2 });
  await pool.query(`
    CREATE TABLE tool_attempts (tool text NOT NULL, idempotency_key text NOT NULL, attempt int NOT NULL);
    CREATE TABLE emails (id serial PRIMARY KEY, idempotency_key text UNIQUE NOT NULL, recipient text, subject text);
    CREATE TABLE charges (id serial PRIMARY KEY, amount_cents int NOT NULL);
  `);
});
afterAll(async () => {
  await pool?.end();
  const admin = new Pool({ connectionString: PG_URL, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
  await server?.close();
  await env?.close();
});
beforeEach(() => server.reset());
afterEach(async () => {
  // A failed test must not leave a worker process behind.
  await Promise.all(children.splice(0).map(stopChild));
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process printed this line. */
  printed(line: string, timeoutMs: number): Promise<void>;
}

function startWorkerProcess(taskQueue: string, block: boolean): Promise<WorkerProcess> {
  // node itself runs the worker (tsx only as a require hook), so SIGKILL hits the worker.
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/tool-worker-process.ts')],
    {
      env: {
        ...process.env,
        TASK_QUEUE: taskQueue,
        LLM_BASE_URL: server.openaiBaseURL,
        PG_URL,
        PG_SCHEMA: SCHEMA,
        BLOCK_AFTER_HANDLER: block ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  let out = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) if (out.includes(w.line)) w.resolve();
  });
  const printed = (line: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (out.includes(line)) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`worker did not print "${line}" in ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.push({
        line,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      child.once('exit', (code) => reject(new Error(`worker process exited (${code})`)));
    });
  return printed('worker-ready', 30_000).then(() => ({ child, printed }));
}

type ChatBody = { messages: { role: string; content?: string | null; tool_call_id?: string }[] };
function toolMessagesOfRequest(i: number) {
  const body = server.requests.filter((r) => r.path === '/v1/chat/completions')[i]?.body as
    ChatBody | undefined;
  return (body?.messages ?? []).filter((m) => m.role === 'tool');
}

test('idempotent side-effecting tool: the retried call gets the same idempotency key and the effect happens once', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'e1', name: 'send_email', arguments: { to: 'ada@example.com', subject: 'Hi' } },
      ],
    },
    { type: 'text', content: 'sent' },
  );
  const first = await startWorkerProcess(tq, true);
  const runId = `run-${randomUUID()}`;
  const handle = await testRunner(env, tq).start({
    agent: 'tool-calling',
    runId,
    inputData: { messages: [{ role: 'user', content: 'email Ada' }] },
  });
  await first.printed('handler-finished send_email', 30_000);
  await stopChild(first.child);
  await startWorkerProcess(tq, false);

  const result = await handle.result();
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({ response: 'sent' });

  const key = `${runId}:${(await handle.workflow.describe()).runId}:e1`;
  const attempts = await pool.query<{ idempotency_key: string; attempt: number }>(
    `SELECT idempotency_key, attempt FROM tool_attempts WHERE tool = 'send_email' ORDER BY attempt`,
  );
  // The new worker's memory lacks the stored model reply, so its retry of the call fails
  // TRANSCRIPT_MISSING before the handler runs, and the run sends the arguments in a new activity
  // (whose attempt starts at 1 again): the same idempotency key either way.
  expect(attempts.rows).toEqual([
    { idempotency_key: key, attempt: 1 },
    { idempotency_key: key, attempt: 1 },
  ]);
  const emails = await pool.query<{ idempotency_key: string; recipient: string }>(
    'SELECT idempotency_key, recipient FROM emails',
  );
  expect(emails.rows).toEqual([{ idempotency_key: key, recipient: 'ada@example.com' }]);
  const msg = toolMessagesOfRequest(1)[0];
  expect(msg?.tool_call_id).toBe('e1');
  const sent = JSON.parse(msg?.content ?? '') as { messageId: unknown; deduplicated: unknown };
  expect(sent.deduplicated).toBe(true);
  expect(typeof sent.messageId).toBe('number');

  // The call by reference (its retry on the new worker found no stored reply), then the call with
  // its arguments.
  const acts = (await scheduledActivities(handle.workflow)).filter((a) => a.type === 'executeTool');
  expect(acts.map((a) => a.summary)).toEqual(['send_email', 'send_email, arguments sent']);
  const started = await startedAttempts(handle.workflow);
  expect(acts.map((a) => started.get(a.eventId))).toEqual([2, 1]);
});

test('idempotent local tool: a worker lost during the call makes the next worker run it again, with the same key, and the effect happens once', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'l1', name: 'send_email_local', arguments: { to: 'bo@example.com', subject: 'Yo' } },
      ],
    },
    { type: 'text', content: 'sent locally' },
  );
  const first = await startWorkerProcess(tq, true);
  const runId = `run-${randomUUID()}`;
  const handle = await testRunner(env, tq).start({
    agent: 'tool-calling-local',
    runId,
    inputData: { messages: [{ role: 'user', content: 'email Bo' }] },
  });
  await first.printed('handler-finished send_email_local', 30_000);
  await stopChild(first.child);
  await startWorkerProcess(tq, false);

  const result = await handle.result();
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({ response: 'sent locally' });

  // The lost worker's workflow task timed out; the next worker replayed the run and ran the
  // local call again, with the same idempotency key (the handler ran on both workers).
  const key = `${runId}:${(await handle.workflow.describe()).runId}:l1`;
  const attempts = await pool.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM tool_attempts WHERE tool = 'send_email_local'`,
  );
  expect(attempts.rows).toEqual([{ idempotency_key: key }, { idempotency_key: key }]);
  const emails = await pool.query<{ recipient: string }>(
    `SELECT recipient FROM emails WHERE idempotency_key = $1`,
    [key],
  );
  expect(emails.rows).toEqual([{ recipient: 'bo@example.com' }]);
  const sent = JSON.parse(toolMessagesOfRequest(1)[0]?.content ?? '') as { deduplicated: unknown };
  expect(sent.deduplicated).toBe(true);
  // Local activities only, no executeTool activity. The new worker's memory lacks the stored
  // model reply: its call by reference failed TRANSCRIPT_MISSING before the handler ran (the
  // first marker), and the run sent the arguments in a second local call, which ran it.
  const history = await handle.workflow.fetchHistory();
  const markers = (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_local_activity');
  expect(markers.map((m) => m?.failure?.applicationFailureInfo?.type ?? 'ok')).toEqual([
    'TRANSCRIPT_MISSING',
    'ok',
  ]);
  const acts = await scheduledActivities(handle.workflow);
  expect(acts.filter((a) => a.type === 'executeTool')).toEqual([]);
});

test('non-idempotent side-effecting tool: not run twice; the model gets the failed call', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'p1', name: 'charge_card', arguments: { amountCents: 500 } }],
    },
    { type: 'text', content: 'could not confirm the charge' },
  );
  const first = await startWorkerProcess(tq, true);
  const handle = await testRunner(env, tq).start({
    agent: 'tool-calling',
    runId: `run-${randomUUID()}`,
    inputData: { messages: [{ role: 'user', content: 'charge 5 dollars' }] },
  });
  await first.printed('handler-finished charge_card', 30_000);
  await stopChild(first.child);
  await startWorkerProcess(tq, false);

  const result = await handle.result();
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({ response: 'could not confirm the charge' });

  expect((await pool.query('SELECT * FROM charges')).rows).toHaveLength(1);
  const attempts = await pool.query<{ attempt: number }>(
    `SELECT attempt FROM tool_attempts WHERE tool = 'charge_card'`,
  );
  expect(attempts.rows).toEqual([{ attempt: 1 }]);
  const msg = toolMessagesOfRequest(1)[0];
  expect(msg?.tool_call_id).toBe('p1');
  expect(msg?.content).toMatch(/^Error: Tool charge_card stopped heartbeating/);
  expect(msg?.content).toMatch(/not declared idempotent, so it was not retried/);
  const events = await handle.workflow.query<RunEvent[], [number]>('events', 0);
  expect(events.find((e) => e.type === 'tool.result')?.payload).toEqual(
    expect.objectContaining({ toolCallId: 'p1', isError: true, errorCode: 'TOOL_TIMEOUT' }),
  );
});
