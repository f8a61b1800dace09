// Determinism guard: committed histories must replay against today's workflow code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HISTORY = join(__dirname, '../fixtures/histories/multi-turn.json');
const CHECK = join(__dirname, '../fixtures/replay-check.ts');

/** Runs the replay check in its own process and returns its verdict (its last output line). */
function replay(source: string, history = HISTORY): string {
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', CHECK, source, history, 'replay-fixture-multi-turn'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return out.trim().split('\n').at(-1) ?? '';
}

test('the recorded multi-turn run replays against the current workflow code', () => {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  expect(replay(codePath)).toBe('ok');
});

test('negative control: an incompatible change of the agent fails replay with a determinism error', () => {
  expect(replay(require.resolve('../fixtures/workflows-changed'))).toMatch(
    /^determinism-violation: /,
  );
});

test('legacy option values that earlier versions accepted (0 s, fractions) still replay', () => {
  // The committed history with its run input edited to options the old validation accepted
  // (any non-negative number of seconds) but today's checks would refuse if taken literally.
  const history = JSON.parse(readFileSync(HISTORY, 'utf8')) as {
    events: {
      workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } };
    }[];
  };
  const payload = history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<
    string,
    unknown
  >;
  input.runTimeoutSeconds = 299.9999;
  input.activityOptions = {
    maxRetries: 2.5,
    llmHeartbeatTimeoutSeconds: 0,
    retryInitialIntervalSeconds: 0,
    retryMaximumIntervalSeconds: 0,
  };
  payload.data = Buffer.from(JSON.stringify(input)).toString('base64');
  const file = join(mkdtempSync(join(tmpdir(), 'replay-legacy-')), 'history.json');
  writeFileSync(file, JSON.stringify(history));
  expect(replay(process.env.TEST_WORKFLOW_BUNDLE!, file)).toBe('ok');
});
