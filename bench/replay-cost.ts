// Benchmark: the workflow-side CPU of a run, ours against the hand-written workflow, measured by
// replaying one recorded history of each side many times, each batch in a fresh child process. Run:
// `npm run bench:replay`.
//
// Replay runs the sandbox work of a run (module set-up, the run's code, the SDK's promise hooks,
// payload conversion) with no server, model or activity in the figure, so it swings less with the
// machine's load than bench:throughput; its absolute figures still move from one invocation to
// the next (garbage collection), so compare sides within one invocation. Use it to tell whether a
// workflow-side change pays, then confirm with bench:throughput.
//
// Each round replays BENCH_REPLAYS copies (default 300) of each side's history on a fresh replay
// worker, sides interleaved and each first in turn, BENCH_ROUNDS rounds (default 4). A replay
// worker's start-up is taken out by also replaying BENCH_REPLAYS_SMALL copies (default 20) and
// differencing. Process CPU (all threads) per replayed run; medians and ratios to raw.
// - BENCH_BASE_TREE=<checkout>: a third side, `base`, replays our history on the bundle of another
//   checkout (e.g. a `git worktree` of main), to measure a change against what it replaces;
//   BENCH_BASE_HISTORY=<file> (saved by BENCH_SAVE from that checkout) when the change alters the
//   run's commands.
// - BENCH_SAVE=<dir> saves the recorded histories; BENCH_HISTORIES=<dir> replays saved ones
//   instead of recording (no dev server). A change that alters a run's commands needs new ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proto, { type temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Bench, SIDES, envInt, median, type Side } from './bench-harness';
import { buildBenchBundle } from './bench-bundle';

const REPLAYS = envInt('BENCH_REPLAYS', 300);
const SMALL = envInt('BENCH_REPLAYS_SMALL', 20);
const ROUNDS = envInt('BENCH_ROUNDS', 4);
const CALLS = 3;

type History = temporal.api.history.v1.IHistory;
/** A side, or `base`: our history on another checkout's bundle. */
type Variant = Side | 'base';

/** Records one run of CALLS model calls on each side. */
async function record(): Promise<Record<Side, History>> {
  const bench = await Bench.start();
  try {
    const out = {} as Record<Side, History>;
    for (const side of SIDES) {
      const id = await bench.startRun(side, CALLS);
      await bench.result(id);
      out[side] = await bench.client.workflow.getHandle(id).fetchHistory();
    }
    return out;
  } finally {
    await bench.close();
  }
}

/** Writes each side's history to `<dir>/<side>.bin` (protobuf). */
function save(histories: Record<Side, History>, dir: string): void {
  for (const side of SIDES) {
    const bytes = proto.temporal.api.history.v1.History.encode(histories[side]).finish();
    writeFileSync(join(dir, `${side}.bin`), bytes);
  }
}

/** Reads what `save` wrote. */
function load(dir: string): Record<Side, History> {
  const out = {} as Record<Side, History>;
  for (const side of SIDES) {
    out[side] = proto.temporal.api.history.v1.History.decode(
      readFileSync(join(dir, `${side}.bin`)),
    );
  }
  return out;
}

/** Process CPU ms to replay `n` copies of `history` on a fresh replay worker. */
async function replay(code: string, history: History, n: number, tag: string): Promise<number> {
  const histories = Array.from({ length: n }, (_, i) => ({
    workflowId: `replay-${tag}-${i}`,
    history,
  }));
  const before = process.cpuUsage();
  let failed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories)) {
    if (r.error) failed++;
  }
  const used = process.cpuUsage(before);
  if (failed) throw new Error(`${tag}: ${failed} of ${n} replays failed`);
  return (used.user + used.system) / 1000;
}

/** Replays the sides' histories, round after round, each batch in a child process. */
async function compare(histories: Record<Side, History>): Promise<void> {
  // BENCH_BASE_TREE=<checkout>: also replay our history on that checkout's bundle ('base').
  const baseTree = process.env.BENCH_BASE_TREE;
  const sides: Variant[] = baseTree ? ['ours', 'base', 'raw'] : ['ours', 'raw'];
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  try {
    save(histories, dir);
    // A change that adds a command (a patch marker) needs base's own history of the run.
    writeFileSync(
      join(dir, 'base.bin'),
      readFileSync(process.env.BENCH_BASE_HISTORY ?? join(dir, 'ours.bin')),
    );
    for (const side of sides) {
      const path = join(dir, `${side}.js`);
      if (side === 'base') {
        const base = (await import(join(baseTree!, 'bench', 'bench-bundle'))) as {
          buildBenchBundle: typeof buildBenchBundle;
        };
        await base.buildBenchBundle('ours', path);
      } else await buildBenchBundle(side, path);
    }
    const perRun = { ours: [], raw: [], base: [] } as Record<Variant, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, each side first in turn; each batch in a fresh process, so that no side
      // inherits another's heap or compiled code (in one process the figures drifted up).
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      for (const side of order) {
        const out = execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            __filename,
            'child',
            join(dir, `${side}.js`),
            join(dir, `${side}.bin`),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const ms = Number(/per-run ([\d.]+)/.exec(out)?.[1]);
        if (!Number.isFinite(ms)) throw new Error(`${side}: no figure in ${out}`);
        perRun[side].push(ms);
        console.log(
          `  round ${round + 1} ${side.padEnd(4)}: ${ms.toFixed(2)} ms CPU per replayed run`,
        );
      }
    }
    const raw = median(perRun.raw);
    console.log('\nCPU per replayed run (median):');
    for (const side of sides) {
      const ms = median(perRun[side]);
      console.log(`  ${side.padEnd(4)} ${ms.toFixed(2)} ms  ${(ms / raw).toFixed(2)}x raw`);
    }
    console.log(
      `history events: ours ${histories.ours.events?.length}, raw ${histories.raw.events?.length}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A child process: one side's batches (a warm-up of SMALL, then REPLAYS); prints the figure. */
async function child(codePath: string, historyPath: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const code = readFileSync(codePath, 'utf8');
  const history = proto.temporal.api.history.v1.History.decode(readFileSync(historyPath));
  const small = await replay(code, history, SMALL, 'small');
  const big = await replay(code, history, REPLAYS, 'big');
  console.log(`per-run ${(big - small) / (REPLAYS - SMALL)}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3]!, process.argv[4]!);
  console.log(
    `replay cost: ${REPLAYS} replays of a run of ${CALLS} model calls per side, ${ROUNDS} rounds`,
  );
  // BENCH_HISTORIES=<dir>: replay the histories saved there (BENCH_SAVE=<dir> saves them).
  const saved = process.env.BENCH_HISTORIES;
  const histories = saved ? load(saved) : await record();
  if (process.env.BENCH_SAVE) save(histories, process.env.BENCH_SAVE);
  await compare(histories);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
