// Benchmark: workflow-side cost of our runs against a hand-written Temporal workflow calling the
// same activities on the same dev server. Run: `npm run bench:throughput`.
// - throughput: BENCH_RUNS concurrent runs (default 50; the issue's size is 200) of 3 model calls
//   each, on each side, BENCH_ROUNDS rounds (default 3) interleaved (ours, raw, raw, ours, ...):
//   medians of runs/s, worker CPU per run and worker RSS; ratios ours/raw.
// - parked: BENCH_PARKED runs (default 200; the issue's size is 1000) parked on a tool approval
//   (ours: a ToolCallingAgent whose tool `requiresConfirmation`; raw: a workflow waiting on a
//   signal after its first model call): worker RSS with all of them parked, per parked run.
//   BENCH_ROUNDS=0 parks them on workers that ran only the warm-up (no throughput rounds before,
//   whose garbage would raise the heap both sides start parking from).
// `BENCH_FULL=1` uses the issue's sizes (200 runs, 1000 parked). Targets (issue 11): throughput
// >= 0.9x raw, worker CPU <= 1.2x raw, 1,000 parked runs < 500 MB worker RSS. BENCH_PARKED=0 skips
// the parked runs.
// Each side's worker is its own process (bench/bench-worker.ts) caching up to BENCH_MAX_CACHED
// workflows (default 1200), so parked runs stay in memory, as on a worker that is not short of it.
// Workers load a workflow bundle prebuilt by the benchmark, as production workers do
// (BENCH_BUNDLE_IN_WORKER=1: each bundles its own, as `createAgentWorker({ workflowsPath })` does).
import { Bench, SIDES, envInt, median, mib, type Side } from './bench-harness';

const FULL = Boolean(process.env.BENCH_FULL);
const RUNS = envInt('BENCH_RUNS', FULL ? 200 : 50);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const PARKED = envInt('BENCH_PARKED', FULL ? 1000 : 200);
const CALLS = 3;

async function parked(bench: Bench, side: Side): Promise<{ rss: number; perRun: number }> {
  const worker = bench.workers[side];
  await worker.settle();
  const before = await worker.stats();
  const requests = () => bench.llm.requests.length;
  const first = requests();
  const ids: string[] = [];
  // Started in slices, so the dev server is not flooded.
  for (let i = 0; i < PARKED; i += 100) {
    const n = Math.min(100, PARKED - i);
    ids.push(
      ...(await Promise.all(Array.from({ length: n }, () => bench.startRun(side, 2, true)))),
    );
  }
  // Every run has made its first model call, then the worker has gone quiet: all are parked.
  await bench.llm.waitFor(() => requests() - first >= PARKED, '10m');
  await worker.settle();
  const after = await worker.stats();
  await Promise.all(
    ids.map((id) => bench.client.workflow.getHandle(id).terminate('benchmark done')),
  );
  return { rss: after.rss, perRun: (after.rss - before.rss) / PARKED };
}

async function main(): Promise<void> {
  console.log(
    `throughput: ${RUNS} concurrent runs x ${CALLS} model calls, ${ROUNDS} rounds interleaved; ${PARKED} parked runs`,
  );
  const bench = await Bench.start();
  const rows: Record<Side, { rate: number[]; cpu: number[]; rss: number[] }> = {
    ours: { rate: [], cpu: [], rss: [] },
    raw: { rate: [], cpu: [], rss: [] },
  };
  let parkedRows: Record<Side, { rss: number; perRun: number }> | undefined;
  try {
    const rssLine = async (when: string) => {
      const [o, r] = await Promise.all(SIDES.map((side) => bench.workers[side].stats()));
      console.log(`  worker RSS ${when}: ours ${mib(o!.rss)}, raw ${mib(r!.rss)}`);
    };
    await rssLine('at start');
    // Warm-up (JIT, connections, sticky queues), not counted.
    for (const side of SIDES) await bench.batch(side, Math.min(RUNS, 20), CALLS);
    await rssLine('after the warm-up');
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 ? ['raw', 'ours'] : ['ours', 'raw'];
      for (const side of order) {
        await bench.workers[side].settle();
        const r = await bench.batch(side, RUNS, CALLS);
        rows[side].rate.push(RUNS / r.seconds);
        rows[side].cpu.push(r.cpuMs / RUNS);
        rows[side].rss.push(r.rss);
        console.log(
          `  round ${round + 1} ${side.padEnd(4)}: ${(RUNS / r.seconds).toFixed(1)} runs/s, ${(r.cpuMs / RUNS).toFixed(1)} ms CPU/run, RSS ${mib(r.rss)}`,
        );
      }
    }
    // BENCH_PARKED=0: throughput only (no parked figures, no parked target).
    if (PARKED > 0) {
      parkedRows = { ours: await parked(bench, 'ours'), raw: await parked(bench, 'raw') };
    }
  } finally {
    await bench.close();
  }

  const m = (side: Side, k: 'rate' | 'cpu' | 'rss') => median(rows[side][k]);
  const bundle = (side: Side) => bench.workers[side].bundleBytes;
  console.log('\n                     ours        raw   ours/raw');
  const line = (label: string, o: number, r: number, fmt: (x: number) => string) =>
    console.log(
      `${label.padEnd(16)} ${fmt(o).padStart(9)} ${fmt(r).padStart(10)} ${(o / r).toFixed(2).padStart(9)}x`,
    );
  if (ROUNDS > 0) {
    line('runs/s', m('ours', 'rate'), m('raw', 'rate'), (x) => x.toFixed(1));
    line('CPU ms/run', m('ours', 'cpu'), m('raw', 'cpu'), (x) => x.toFixed(1));
    line('worker RSS', m('ours', 'rss'), m('raw', 'rss'), mib);
  }
  line('bundle', bundle('ours'), bundle('raw'), (x) => `${(x / 1024).toFixed(0)} KiB`);
  if (parkedRows) {
    line(`RSS ${PARKED} parked`, parkedRows.ours.rss, parkedRows.raw.rss, mib);
    line('KiB/parked run', parkedRows.ours.perRun / 1024, parkedRows.raw.perRun / 1024, (x) =>
      x.toFixed(0),
    );
  }
  if (ROUNDS > 0) {
    const tp = m('ours', 'rate') / m('raw', 'rate');
    const cpu = m('ours', 'cpu') / m('raw', 'cpu');
    console.log(
      `\ntarget throughput >= 0.9x raw: ${tp >= 0.9 ? 'met' : 'NOT met'} (${tp.toFixed(2)}x)`,
    );
    console.log(
      `target worker CPU <= 1.2x raw: ${cpu <= 1.2 ? 'met' : 'NOT met'} (${cpu.toFixed(2)}x)`,
    );
  }
  if (parkedRows) {
    const at1000 = parkedRows.ours.rss + (1000 - PARKED) * Math.max(parkedRows.ours.perRun, 0);
    console.log(
      `target 1,000 parked runs < 500 MB worker RSS: ${at1000 < 500e6 ? 'met' : 'NOT met'} (${(at1000 / 1e6).toFixed(0)} MB${PARKED === 1000 ? '' : `, extrapolated from ${PARKED}`})`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
