// The package as a TypeScript user gets it: `npm pack` of the built package, installed into a fresh
// project with only `typescript` (and ioredis), compiled with strict settings, `skipLibCheck:
// false` and `module: node16` against ioredis 5 and 6, then a worker (CommonJS, then ESM, as the
// README shows them) and a client run from that project in two processes and stream tokens with
// only environment variables set (Redis event bus). Installs reuse npm's cache (--prefer-offline).
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const FIXTURE = join(__dirname, '../fixtures/consumer');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TS_VERSION = (require('typescript/package.json') as { version: string }).version;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OWN_PACKAGE = require('../../package.json') as { devDependencies: Record<string, string> };

let dir: string;
let server: MockLLMServer;

/** The environment without npm's per-script variables (they point npm at this repository). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^AGENT_RUNTIME_/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, {
    cwd,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function tsc(project = dir): Promise<void> {
  try {
    await run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: dir,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed in the consumer project:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  server = await startMockLLMServer();
  dir = mkdtempSync(join(tmpdir(), 'consumer-'));
  // CONSUMER_TEST_SKIP_BUILD=1 packs the dist/ already built (while iterating on this test).
  if (process.env.CONSUMER_TEST_SKIP_BUILD !== '1') await npm(['run', 'build'], ROOT);
  const packDir = join(dir, 'pack');
  mkdirSync(packDir);
  await npm(['pack', '--pack-destination', packDir], ROOT);
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz')) as string);
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'commonjs' }),
  );
  await npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball,
      `typescript@${TS_VERSION}`,
      'ioredis@5',
      // What a user's own OpenTelemetry setup adds (docs/observability.md shows it).
      `@opentelemetry/sdk-trace-node@${OWN_PACKAGE.devDependencies['@opentelemetry/sdk-trace-node']}`,
    ],
    dir,
  );
}, 600_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every entry point type-checks (strict, skipLibCheck false, node16) with ioredis 5, then 6', async () => {
  await tsc();
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', 'ioredis@6'], dir);
  await tsc(); // incremental: rechecks what ioredis 6 changed
}, 300_000);

/** The ```ts blocks of README.md and docs/*.md, one module each, named as doc-blocks.test.ts does. */
function writeDocBlocks(): number {
  const docs = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  let count = 0;
  for (const doc of docs) {
    const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
    const out = join(dir, 'doc-blocks', doc.replace(/\.md$/, '').replace('/', '-'));
    mkdirSync(out, { recursive: true });
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
      let end = i + 1;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const code = lines.slice(i + 1, end).join('\n');
      // @jest/globals would pull a newer @types/node that breaks Temporal's .d.ts; such blocks are
      // checked against the sources by test/unit/docs/doc-blocks.test.ts.
      if (code.includes("from '@jest/globals'")) {
        i = end;
        continue;
      }
      const named = /^\/\/ ([\w.-]+)\.ts\b/.exec(code)?.[1];
      let file = join(out, `${named ?? `block-${i}`}.ts`);
      if (existsSync(file)) file = join(out, `${named}-${i}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      count += 1;
      i = end;
    }
  }
  return count;
}

test('every TypeScript block of README.md and docs/*.md type-checks against the packed package', async () => {
  expect(writeDocBlocks()).toBeGreaterThan(15);
  await tsc(join(dir, 'tsconfig.docs.json'));
}, 300_000);

/** Runs `node args` in the consumer project; resolves with its stdout once it exits 0. */
function node(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} timed out:\n${out}\n${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${args.join(' ')} exited ${code}:\n${out}\n${err}`));
    });
  });
  return { child, done, stderr: () => err };
}

test.each([
  ['CommonJS', 'out/worker.js'],
  ['ESM', 'out/worker-esm.mjs'],
])(
  'a %s worker and a client in two processes stream tokens with only env vars set',
  async (_kind, workerFile) => {
    const env = cleanEnv({
      AGENT_RUNTIME_TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string,
      AGENT_RUNTIME_TASK_QUEUE: `consumer-${randomUUID()}`,
      AGENT_RUNTIME_EVENT_BUS_BACKEND: 'redis',
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: server.openaiBaseURL,
    });
    const good = 'Tokens streamed from a worker process to a client process.';
    server.reset();
    server.enqueue({ type: 'text', content: good, chunkDelayMs: 15 });
    const worker = node([workerFile], env, 180_000);
    worker.done.catch(() => undefined);
    try {
      const client = node(['out/client.js', `consumer-run-${randomUUID()}`], env, 150_000);
      const out = JSON.parse((await client.done).trim().split('\n').pop() as string) as {
        deltas: number;
        streamed: string;
        finalOutput: unknown;
        same: boolean;
      };
      expect(out.finalOutput).toEqual({ text: good });
      expect(out.streamed).toBe(good);
      expect(out.deltas).toBeGreaterThan(3);
      expect(out.same).toBe(true);
      expect(worker.stderr()).not.toMatch(/StepExecutor: a step may run/);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done.catch(() => undefined);
    }
  },
  300_000,
);
