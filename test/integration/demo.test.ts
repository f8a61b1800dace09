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

  // The tool-calling run: a streamed first turn, the search_docs call as a durable tool call with
  // the question's keyword, its real result, then the streamed final answer quoting it.
  // (`toolCall.arguments` is the JSON text the model produced, so its quotes print escaped.)
  expect(out).toMatch(/#\d+ tool\.call .*"name":"search_docs".*\\"query\\":\\"checkpoint\\"/);
  expect(out).toMatch(/#\d+ tool\.result .*"name":"search_docs".*"matches":[1-9]/);
  const streamed = out.split('\n').filter((l) => l.startsWith('  ~ streaming: '));
  expect(streamed.length).toBeGreaterThanOrEqual(2);
  expect(streamed.at(-1)).toContain('I searched the documentation for "checkpoint"');
  const deltas = Number(/Result \((\d+) streamed deltas/.exec(out)?.[1]);
  expect(deltas).toBeGreaterThan(10);

  // The steps run: three steps completed with progress from inside a step.
  expect(out.match(/#\d+ step\.completed /g)).toHaveLength(3);
  expect(out).toMatch(/progress\.update .*"stepPercent":100.*"description":"read /);
  expect(out.match(/#\d+ run\.succeeded /g)).toHaveLength(2);
  // In causal order, each report once: the steps run's events start with run.started, and each
  // step's progress comes after its step.started and before its step.completed.
  const digest = out.slice(out.indexOf('[2/2]')).split('\n');
  const events = digest.filter((l) => /^ {2}#\d+ /.test(l));
  expect(events[0]).toMatch(/#1 run\.started /);
  const inStep = events.filter((l) => l.includes('progress.update') && l.includes('stepPercent'));
  expect(inStep.length).toBeGreaterThan(0);
  expect(new Set(inStep).size).toBe(inStep.length);
  for (const line of inStep) {
    const step = /"stepName":"([^"]+)"/.exec(line)?.[1] ?? '';
    const at = events.indexOf(line);
    const started = events.findIndex((l) => l.includes(`step.started {"stepName":"${step}"`));
    const completed = events.findIndex((l) => l.includes(`step.completed {"stepName":"${step}"`));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(at);
    expect(completed).toBeGreaterThan(at);
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
