// `npm run demo` end to end, against the suite's Temporal dev server (TEMPORAL_ADDRESS) and the
// local model server: the script must stream tokens, make a durable tool call, run the steps
// agent, exit 0, and leave both workflows completed on the server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectTestEnv, type TestEnv } from './helpers';

const root = join(__dirname, '..', '..');
let env: TestEnv;

beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env.close();
});

function runDemo(question: string): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: env.address };
    delete childEnv.OPENAI_API_KEY;
    delete childEnv.TEMPORAL_UI_URL;
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/demo.ts', question], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

test('npm run demo: streamed tool-calling run and steps run, exit 0', async () => {
  const { code, out, ms } = await runDemo('How does a run checkpoint its state?');
  if (code !== 0) throw new Error(`demo exited ${String(code)} after ${ms} ms:\n${out}`);

  // Rendered for people (the CLI's renderer): the search_docs call as one line with the
  // question's keyword, its real result, the streamed final answer quoting it, steps with
  // progress bars, usage at the end; no raw JSON events.
  expect(out).toMatch(/^→ search_docs\(\{"query":"checkpoint","limit":3\}\)$/m);
  expect(out).toMatch(/^← search_docs: \{"query":"checkpoint","matches":[1-9]/m);
  const said = out.split('\n').filter((l) => l.startsWith('assistant: '));
  expect(said.length).toBeGreaterThanOrEqual(2);
  expect(said.at(-1)).toContain('I searched the documentation for "checkpoint"');
  expect(out).toMatch(/^usage: \d+ prompt \+ \d+ completion = \d+ tokens/m);
  expect(out.match(/^✓ step \w+ done/gm)).toHaveLength(3);
  expect(out).toMatch(/^ {2}\[#+\.*\] +\d+% read /m);
  expect(out.match(/^✓ run succeeded$/gm)).toHaveLength(2);
  expect(out).not.toMatch(/\[WARN\]|sdkComponent/);
  // In causal order, each report once: each step's in-step progress comes after its start line
  // and before its done line.
  const digest = out.slice(out.indexOf('[2/2]')).split('\n');
  const bars = digest.filter((l) => / read /.test(l) && l.startsWith('  ['));
  expect(bars.length).toBeGreaterThan(0);
  expect(new Set(bars).size).toBe(bars.length);
  const started = digest.findIndex((l) => l.startsWith('● step 2/3 process'));
  const done = digest.findIndex((l) => l.startsWith('✓ step process done'));
  for (const line of bars) {
    const at = digest.indexOf(line);
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(at);
    expect(done).toBeGreaterThan(at);
  }

  // Both runs really are completed workflows on the server.
  const ids = [...out.matchAll(/temporal workflow show --workflow-id (\S+)/g)].map((m) => m[1]);
  expect(ids).toHaveLength(2);
  for (const id of ids) {
    const d = await env.client.workflow.getHandle(id as string).describe();
    expect(d.status.name).toBe('COMPLETED');
  }
  console.log(`demo ran in ${ms} ms`);
}, 90_000);
