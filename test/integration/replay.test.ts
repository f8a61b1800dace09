// Determinism guard: committed histories must replay against today's workflow code.
// multi-turn.json was recorded before model calls by reference (the whole conversation in every
// invokeModel input, no patch marker); tool-loop-by-reference.json after (a tool loop by
// reference, with one call sent again whole after TRANSCRIPT_MISSING).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const CHECK = join(__dirname, '../fixtures/replay-check.ts');

/** Runs the replay check in its own process and returns its verdict (its last output line). */
function replay(source: string, fixture: string, workflowId: string): string {
  const history = join(__dirname, `../fixtures/histories/${fixture}.json`);
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', CHECK, source, history, workflowId],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return out.trim().split('\n').at(-1) ?? '';
}

function bundle(): string {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return codePath;
}

const fixtures = [
  { fixture: 'multi-turn', workflowId: 'replay-fixture-multi-turn' },
  { fixture: 'tool-loop-by-reference', workflowId: 'replay-fixture-tool-loop-by-reference' },
];

test.each(fixtures)(
  'the recorded $fixture run replays against the current workflow code',
  ({ fixture, workflowId }) => {
    expect(replay(bundle(), fixture, workflowId)).toBe('ok');
  },
);

test.each(fixtures)(
  'negative control: an incompatible change of the agent fails replay of $fixture with a determinism error',
  ({ fixture, workflowId }) => {
    expect(replay(require.resolve('../fixtures/workflows-changed'), fixture, workflowId)).toMatch(
      /^determinism-violation: /,
    );
  },
);
