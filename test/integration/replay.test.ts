// Determinism guard: committed histories must replay against today's workflow code.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const HISTORY = join(__dirname, '../fixtures/histories/multi-turn.json');
const CHECK = join(__dirname, '../fixtures/replay-check.ts');

/** Runs the replay check in its own process and returns its verdict (its last output line). */
function replay(source: string): string {
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', CHECK, source, HISTORY, 'replay-fixture-multi-turn'],
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
