// Benchmark: the wall time of one run of 10 model calls, ours against a hand-written Temporal
// workflow calling the same activities on the same dev server (bench/raw-workflows.ts). Run:
// `npm run bench:overhead` (BENCH_ROUNDS, default 15, interleaved: ours, raw, raw, ours, ...).
// Prints the medians and their ratio. Target (issue 11): one-run wall <= 1.10x raw.
import { Bench, median, type Side } from './bench-harness';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS = 10;

async function main(): Promise<void> {
  console.log(`overhead: one run of ${CALLS} model calls, ${ROUNDS} rounds interleaved`);
  const bench = await Bench.start();
  const walls: Record<Side, number[]> = { ours: [], raw: [] };
  try {
    for (const side of ['ours', 'raw'] as const) await bench.batch(side, 1, CALLS); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 ? ['raw', 'ours'] : ['ours', 'raw'];
      for (const side of order) walls[side].push((await bench.batch(side, 1, CALLS)).seconds);
    }
  } finally {
    await bench.close();
  }
  const ours = median(walls.ours) * 1000;
  const raw = median(walls.raw) * 1000;
  console.log(`\nmedian wall: ours ${ours.toFixed(0)} ms, raw ${raw.toFixed(0)} ms`);
  const ratio = ours / raw;
  console.log(
    `target one-run wall <= 1.10x raw: ${ratio <= 1.1 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
