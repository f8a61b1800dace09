// invokeModel over real HTTP (official openai client -> local server) inside real runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OpenAIClient } from '../../src/llm/openai';
import type { LLMClient } from '../../src/core/llm-types';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';

const API_KEY = 'sk-test-SECRET-4f7c1e9a2b';
let env: TestEnv;
let server: MockLLMServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});
beforeEach(() => server.reset());
afterEach(async () => {
  // A failed test must not leave a worker process behind: Jest would wait for it forever.
  await Promise.all(children.splice(0).map(stopChild));
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function openai(): OpenAIClient {
  return new OpenAIClient({
    apiKey: API_KEY,
    baseURL: server.openaiBaseURL,
    defaultModel: 'test-model',
  });
}

function chatRequests() {
  return server.requests.filter((r) => r.path === '/v1/chat/completions');
}

function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  // node itself runs the worker (tsx only as a require hook), so SIGKILL hits the worker and not
  // a wrapper process.
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(__dirname, '../fixtures/worker-process.ts')],
    {
      env: {
        ...process.env,
        TASK_QUEUE: taskQueue,
        LLM_BASE_URL: server.openaiBaseURL,
        LLM_API_KEY: API_KEY,
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

test('SIGKILL of the worker during a model call: a new worker finishes, only the interrupted request repeats', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    { type: 'text', content: 'first answer' },
    { type: 'hang' },
    { type: 'text', content: 'second answer' },
  );
  const runner = testRunner(env, tq, { modelCall: { heartbeatTimeout: '2s' } });
  const first = await startWorkerProcess(tq);
  const handle = await runner.start({
    agent: 'multi-turn',
    runId: `run-${randomUUID()}`,
    inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
  });
  await server.waitFor(
    (reqs) => reqs.filter((r) => r.path === '/v1/chat/completions').length >= 2,
    20_000,
  );
  await stopChild(first);
  await startWorkerProcess(tq);
  {
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ turns: 2 });
    const reqs = chatRequests();
    expect(reqs).toHaveLength(3);
    expect(reqs[1]?.aborted).toBe(true);
    // The interrupted request was sent once more, byte for byte; the completed one was not.
    expect(reqs[2]?.body).toEqual(reqs[1]?.body);
    expect(reqs[1]?.body).not.toEqual(reqs[0]?.body);
    const contents = result.finalMessages
      .filter((m) => m.role === 'assistant')
      .map((m) => m.content);
    expect(contents).toEqual(['first answer', 'second answer']);
  }
});

test('cancel during a hanging model call: the run ends cancelled within 2 s and the HTTP request is aborted', async () => {
  const tq = uniqueQueue();
  server.enqueue({ type: 'hang' });
  const worker = await createTestWorker(env, tq, openai());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'my-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'x' }] },
    });
    await server.waitFor((reqs) => reqs.length >= 1, 10_000);
    const t0 = Date.now();
    await handle.cancel();
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.error?.type).toBe('RUN_CANCELLED');
    await server.waitFor((reqs) => reqs[0]?.aborted === true, 5000);
    expect(chatRequests()).toHaveLength(1);
  });
});

test('429 with retry-after: 1 is retried after about a second', async () => {
  const tq = uniqueQueue();
  server.enqueue(
    { type: 'error', status: 429, headers: { 'retry-after': '1' }, message: 'Rate limit reached' },
    { type: 'text', content: 'ok now' },
  );
  const worker = await createTestWorker(env, tq, openai());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const result = await runner.execute({
      agent: 'my-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'x' }] },
    });
    expect(result.error).toBeUndefined();
    expect(result.finalOutput).toEqual({ response: 'ok now' });
    const [a, b] = chatRequests();
    const gap = (b?.receivedAt ?? 0) - (a?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);
    expect(gap).toBeLessThan(2500);
  });
});

test('401 fails the run at once with a typed error naming the cause; the key is nowhere in history', async () => {
  const tq = uniqueQueue();
  server.enqueue({
    type: 'error',
    status: 401,
    message: `Incorrect API key provided: ${API_KEY}.`,
    errorType: 'invalid_request_error',
    code: 'invalid_api_key',
  });
  const worker = await createTestWorker(env, tq, openai());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const t0 = Date.now();
    const handle = await runner.start({
      agent: 'my-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'x' }] },
    });
    const result = await handle.result();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(result.error?.type).toBe('LLM_AUTH_ERROR');
    expect(result.error?.message).toMatch(/HTTP 401/);
    expect(result.error?.message).toMatch(/API key/);
    expect(chatRequests()).toHaveLength(1);
    expect(chatRequests()[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const history = await historyText(handle.workflow.fetchHistory());
    expect(history).toContain('LLM_AUTH_ERROR');
    expect(history).not.toContain(API_KEY);
    expect(history).not.toContain('SECRET-4f7c');
  });
});

test('a successful run over HTTP: the key is nowhere in its history either', async () => {
  const tq = uniqueQueue();
  server.enqueue({ type: 'text', content: 'hello back' });
  const worker = await createTestWorker(env, tq, openai());
  const runner = testRunner(env, tq);
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'my-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'hello' }] },
    });
    expect((await handle.result()).finalOutput).toEqual({ response: 'hello back' });
    const history = await historyText(handle.workflow.fetchHistory());
    expect(history).toContain('hello back');
    expect(history).not.toContain(API_KEY);
  });
});

/** The history as text with every payload's bytes decoded, so a search sees what the server stores. */
async function historyText(history: Promise<unknown>): Promise<string> {
  const h = await history;
  return JSON.stringify(h, (key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (key === 'data' && typeof v === 'string') return Buffer.from(v, 'base64').toString('utf8');
    return v;
  });
}

test('an error the provider adapter does not classify reaches history redacted, as LLM_ERROR', async () => {
  const tq = uniqueQueue();
  // What a bad base URL with credentials, or a proxy quoting headers, can throw: not an SDK error.
  const leaky: LLMClient = {
    provider: 'custom',
    generate: () =>
      Promise.reject(
        new TypeError(
          `Invalid URL: https://admin:${API_KEY}@proxy.internal/v1 (Authorization: Bearer ${API_KEY})`,
        ),
      ),
    async *stream() {
      yield* [];
      throw new TypeError(`stream: ${API_KEY}`);
    },
  };
  const worker = await createTestWorker(env, tq, leaky);
  const runner = testRunner(env, tq, { modelCall: { retry: { maximumAttempts: 2 } } });
  await worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'my-agent',
      runId: `run-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'x' }] },
    });
    const result = await handle.result();
    expect(result.error?.type).toBe('LLM_ERROR');
    expect(result.error?.message).toMatch(/TypeError: Invalid URL: https:\/\/\[redacted\]@proxy/);
    const history = await historyText(handle.workflow.fetchHistory());
    expect(history).toContain('LLM_ERROR');
    expect(history).not.toContain('SECRET-4f7c');
    expect(history).not.toContain('admin:');
    // Still retryable, as the raw error was: both attempts ran.
    expect(history).toMatch(/"attempt":\s*2/);
  });
});
