// The `agent-runtime` CLI and the chat page against `agent-runtime dev` (a real process: worker
// on the test workflows, API, page) on the suite's Temporal dev server, with the local model
// server: `run --json` parses and exits 0, `run` in a pseudo-terminal streams tokens and asks
// y/n for an approval, `approve` from another process, `runs list`, exit codes; and headless
// Chromium chatting on the page, approving a tool call (screenshot kept as an artefact).
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   the CLI's JSON output is read as `any`; the assertions check its shape. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { CHROMIUM, launchChromium, uniqueQueue } from './helpers';

const ROOT = resolve(__dirname, '../..');
const TSX = require.resolve('tsx/cli');
let llm: MockLLMServer;
let dev: ChildProcess;
let url = '';
let devOutput = '';

function cliEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: llm.openaiBaseURL,
    AGENT_RUNTIME_DEFAULT_MODEL: 'test-model',
    AGENT_RUNTIME_URL: url,
    NO_COLOR: '1',
  };
}

beforeAll(async () => {
  llm = await startMockLLMServer();
  dev = spawn(
    process.execPath,
    [
      TSX,
      'cli/main.ts',
      'dev',
      '--workflows',
      'test/fixtures/workflows.ts',
      '--tools',
      'test/fixtures/server-tools.ts',
      '--port',
      '0',
      '--temporal-address',
      process.env.TEMPORAL_ADDRESS!,
      '--task-queue',
      uniqueQueue('cli'),
    ],
    { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev did not start:\n${devOutput}`)), 90_000);
    const onData = (d: Buffer) => {
      devOutput += d.toString();
      const m = /API: (http:\/\/\S+)/.exec(devOutput);
      if (m && devOutput.includes('Ready.')) {
        url = m[1]!;
        clearTimeout(timer);
        resolvePromise();
      }
    };
    dev.stdout!.on('data', onData);
    dev.stderr!.on('data', (d: Buffer) => (devOutput += d.toString()));
    dev.once('exit', (code) => reject(new Error(`dev exited ${code}:\n${devOutput}`)));
  });
}, 120_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once('exit', r));
    dev.kill('SIGINT');
    await exited;
  }
  await llm?.close();
});

beforeEach(() => llm.reset());
// Each test starts CLI processes (seconds each under load).
jest.setTimeout(120_000);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (the same entry the package's bin points at, through tsx). */
function cli(
  args: string[],
  options: { onStdout?: (all: string, child: ChildProcess) => void } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [TSX, 'cli/main.ts', ...args], {
      cwd: ROOT,
      env: cliEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Runs the CLI in a pseudo-terminal (util-linux `script`), answering prompts through stdin. */
function cliInTty(args: string[], answer: (all: string) => string | undefined): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const command = [process.execPath, TSX, 'cli/main.ts', ...args]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...cliEnv(), TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    const answered = new Set<string>();
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const reply = answer(stdout);
      if (reply !== undefined && !answered.has(reply)) {
        answered.add(reply);
        child.stdin.write(reply);
      }
    });
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr: '' }));
  });
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');

test('run --json: every line parses, the events end with run.succeeded, exit code 0', async () => {
  llm.enqueue(
    { type: 'tool_calls', toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 2, b: 3 } }] },
    { type: 'text', content: 'Two plus three is five.', chunkDelayMs: 5 },
  );
  const runId = `cli-${randomUUID()}`;
  const r = await cli(['run', 'server-chat', 'add 2 and 3', '--run-id', runId, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
  const events = lines.filter((l) => typeof l.type === 'string');
  expect(events.map((e) => e.type)).toEqual(
    expect.arrayContaining([
      'run.started',
      'tool.call',
      'tool.result',
      'assistant.delta',
      'run.succeeded',
    ]),
  );
  const last = lines[lines.length - 1]!;
  expect(last.run).toMatchObject({ runId, status: 'succeeded', output: 'Two plus three is five.' });

  const list = await cli(['runs', 'list', '--agent', 'server-chat', '--json']);
  expect(list.code).toBe(0);
  // Visibility is eventually consistent; the run shows up within a moment.
  let ids = (JSON.parse(list.stdout) as { runs: { runId: string }[] }).runs.map((x) => x.runId);
  for (let i = 0; i < 20 && !ids.includes(runId); i++) {
    await new Promise((res) => setTimeout(res, 300));
    const again = await cli(['runs', 'list', '--agent', 'server-chat', '--json']);
    ids = (JSON.parse(again.stdout) as { runs: { runId: string }[] }).runs.map((x) => x.runId);
  }
  expect(ids).toContain(runId);
  const show = await cli(['runs', 'show', runId]);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain('succeeded');
  expect(show.stdout).toMatch(/usage: \d+ prompt \+ \d+ completion = \d+ tokens/);
});

test('exit codes: unknown agent and unknown run are 2, an unreachable API is 3', async () => {
  // Four processes at once: each CLI start costs seconds on a loaded machine.
  const [agent, run, down, usage] = await Promise.all([
    cli(['run', 'no-such-agent', 'hi']),
    cli(['runs', 'show', `nope-${randomUUID()}`, '--json']),
    cli(['--url', 'http://127.0.0.1:1', 'runs', 'list']),
    cli(['run']),
  ]);
  expect(agent.code).toBe(2);
  expect(agent.stderr).toContain('AGENT_NOT_FOUND');
  expect(run.code).toBe(2);
  expect(JSON.parse(run.stderr).error.code).toBe('RUN_NOT_FOUND');
  expect(down.code).toBe(3);
  expect(usage.code).toBe(2);
}, 120_000);

test('run in a terminal streams tokens and asks y/n for an approval', async () => {
  llm.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/tmp/tty' } }],
    },
    { type: 'text', content: 'The file /tmp/tty is gone now.', chunkDelayMs: 10 },
  );
  const r = await cliInTty(['run', 'server-chat', 'delete /tmp/tty'], (all) =>
    /Run delete_file\? \[y\/N\]/.test(all) ? 'y\r' : undefined,
  );
  const out = plain(r.stdout);
  expect(r.code).toBe(0);
  expect(out).toContain('→ delete_file({"path":"/tmp/tty"})');
  expect(out).toContain('needs approval');
  expect(out).toContain('✓ delete_file approved');
  expect(out).toContain('← delete_file: {"deleted":"/tmp/tty"}');
  expect(out).toContain('assistant: The file /tmp/tty is gone now.');
  expect(out).toContain('✓ run succeeded');
  expect(out).toMatch(/usage: \d+ prompt/);
});

test('approve from another process while `run` waits (no terminal: no prompt)', async () => {
  llm.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'c7', name: 'delete_file', arguments: { path: '/tmp/b' } }],
    },
    { type: 'text', content: 'Done.' },
  );
  const runId = `cli-approve-${randomUUID()}`;
  let approving: Promise<CliResult> | undefined;
  const r = await cli(['run', 'server-chat', 'delete /tmp/b', '--run-id', runId], {
    onStdout: (all) => {
      if (!approving && all.includes(`agent-runtime approve ${runId} c7`)) {
        approving = cli(['approve', runId, 'c7']);
      }
    },
  });
  expect(r.code).toBe(0);
  const a = await approving!;
  expect(a.code).toBe(0);
  expect(a.stdout).toContain(`approved delete_file (c7) in run ${runId}`);
  expect(r.stdout).toContain('✓ delete_file approved');
  const again = await cli(['reject', runId, 'c7']);
  expect(again.code).toBe(2);
});

const browserTest = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) {
  console.warn(
    `Skipping the chat page browser test: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it).`,
  );
}

browserTest(
  'the chat page: send a message, watch tokens stream, approve a tool call, see the answer; switch branches',
  async () => {
    const browser = await launchChromium();
    const artefacts = join(ROOT, 'test-artifacts');
    mkdirSync(artefacts, { recursive: true });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      const seenLengths: number[] = [];
      const answer = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
      llm.enqueue(
        {
          type: 'tool_calls',
          toolCalls: [{ id: 'c1', name: 'delete_file', arguments: { path: '/tmp/page' } }],
        },
        { type: 'text', content: answer, chunkDelayMs: 40 },
      );
      await page.goto(`${url}/`);
      await page.waitForSelector('#agent option[value="server-chat"]', { state: 'attached' });
      await page.selectOption('#agent', 'server-chat');
      await page.fill('#input', 'please delete /tmp/page');
      await page.click('#send');
      const approve = page.locator('.approval button.approve');
      await approve.waitFor();
      await approve.click();
      await expect(page.locator('.approval .decision').textContent()).resolves.toBe('approved');
      // Tokens arrive one by one: the bubble grows while the run streams.
      const bubble = page.locator('.msg.assistant.streaming');
      await bubble.waitFor();
      for (let i = 0; i < 200 && (await bubble.count()) > 0; i++) {
        const t = await bubble
          .first()
          .textContent({ timeout: 200 })
          .catch(() => null);
        if (t) seenLengths.push(t.length);
        await page.waitForTimeout(25);
      }
      // The run's end, in the status bar: the page reads GET /runs/:id, adds a final line, then
      // reloads the conversation, which redraws the messages (the final line with them), so the
      // line may be gone by the time it is looked for; the status bar keeps the outcome.
      await page.waitForFunction(
        "/^Run \\S+ succeeded/.test(document.getElementById('status')?.textContent ?? '')",
        undefined,
        { timeout: 30_000 },
      );
      expect(new Set(seenLengths).size).toBeGreaterThan(2);
      await page.screenshot({ path: join(artefacts, 'chat-page.png'), fullPage: true });
      const texts = await page.locator('.msg.assistant').allTextContents();
      expect(texts.some((t) => t.includes(answer))).toBe(true);

      // Regenerate the answer (a new branch), then switch back to the first branch.
      llm.enqueue({ type: 'text', content: 'A second take.' });
      await page.locator('.msg.assistant .regenerate').last().click();
      await page.locator('.msg.assistant', { hasText: 'A second take.' }).waitFor();
      expect(await page.locator('#branch option').count()).toBe(2);
      await page.selectOption('#branch', '');
      await page.locator('.msg.assistant', { hasText: answer }).waitFor();
      expect(await page.locator('.msg.assistant', { hasText: 'A second take.' }).count()).toBe(0);
    } finally {
      await browser.close();
    }
  },
  150_000,
);
