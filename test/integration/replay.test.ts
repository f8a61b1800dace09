// Determinism guard: every committed history (test/fixtures/replay-histories.ts) must replay
// against today's workflow code, and must fail with a determinism violation against its negative
// control (a workflows module with an incompatible change on the path the history covers).
// Re-record them with `npx tsx scripts/record-history.ts` after an intended, patched change.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HISTORIES_DIR,
  VARIANTS_DIR,
  replayHistories,
  type ReplayHistory,
} from '../fixtures/replay-histories';

const CHECK = join(__dirname, '../fixtures/replay-check.ts');

/** The suite's bundle of the test workflows (today's code). */
function currentBundle(): string {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return codePath;
}

/**
 * Replays histories (`[path, workflowId]` each) against `source` in one child process and returns
 * one verdict per history, in order (the last lines of its output).
 */
function replay(source: string, histories: [string, string][]): string[] {
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', CHECK, source, ...histories.flat()],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return out.trim().split('\n').slice(-histories.length);
}

const pathOf = (h: ReplayHistory) => join(HISTORIES_DIR, h.file);
const multiTurn = replayHistories.find((h) => h.file === 'multi-turn.json')!;

test('every history under test/fixtures/histories/ is in the manifest, and every listed one exists', () => {
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
  expect(files.sort()).toEqual(replayHistories.map((h) => h.file).sort());
  const ids = replayHistories.map((h) => h.workflowId);
  expect(new Set(ids).size).toBe(ids.length);
});

describe('each recorded run replays against the current workflow code', () => {
  let verdicts: string[] = [];
  beforeAll(() => {
    verdicts = replay(
      currentBundle(),
      replayHistories.map((h) => [pathOf(h), h.workflowId]),
    );
  });

  test.each(replayHistories.map((h, i) => [h.file, i] as const))('%s', (_file, i) => {
    expect(verdicts[i]).toBe('ok');
  });
});

describe('negative controls: an incompatible change on the covered path fails replay', () => {
  test.each(replayHistories.map((h) => [h.file, h.variant, h] as const))(
    '%s against replay-variants/%s',
    (_file, variant, h) => {
      const [verdict] = replay(join(VARIANTS_DIR, variant), [[pathOf(h), h.workflowId]]);
      expect(verdict).toMatch(/^determinism-violation: /);
      expect(verdict).toMatch(h.divergence);
    },
  );
});

test('legacy option values that earlier versions accepted (0 s, fractions) still replay', () => {
  // The committed history with its run input edited to options the old validation accepted
  // (any non-negative number of seconds) but today's checks would refuse if taken literally.
  const history = JSON.parse(readFileSync(pathOf(multiTurn), 'utf8')) as {
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
  expect(replay(currentBundle(), [[file, multiTurn.workflowId]])).toEqual(['ok']);
});

test('a tool made local later: runs that recorded it as activities still replay, whether or not they called another local tool', () => {
  // `add` ran as executeTool activities in both runs; local-tools.json also called the local
  // `local_add` (its patch marker is in that history). The module declares `add` local.
  const made = join(__dirname, '../fixtures/replay-made-local.ts');
  const histories = ['local-tools.json', 'tool-loop-by-reference.json'].map((file) => {
    const h = replayHistories.find((x) => x.file === file)!;
    return [pathOf(h), h.workflowId] as [string, string];
  });
  expect(replay(made, histories)).toEqual(['ok', 'ok']);
});
