// Benchmark: does a worker keep memory for runs that have finished? Ours (agentRunWorkflow) and
// the raw workflow (bench/raw-workflows.ts) each run batches of finished runs of 3 model calls
// on a `debugMode` worker (workflows on this thread, so the heap measured here is theirs), then
// collect garbage and read the heap. A heap that keeps growing batch after batch is a leak; a
// flat one after the first batch is the worker's warm-up. Run:
// `node --expose-gc --require tsx/cjs bench/workflow-heap.ts` (`npm run bench:heap`);
// BENCH_BATCHES (default 4) batches of BENCH_RUNS (default 100) runs, 10 at a time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { OpenAIClient } from '../src/llm/openai';
import { startMockLLMServer } from '../src/testing/llm-server';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { buildBenchBundle } from './bench-bundle';
import { debugSide } from './debug-worker';
import { benchModelReply, envInt, mib, SIDES, type Side } from './bench-harness';

const BATCHES = envInt('BENCH_BATCHES', 4);
const RUNS = envInt('BENCH_RUNS', 100);
const AT_ONCE = 10;

/** The heap after a full collection (twice: finalizers may free more). */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:heap)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dev = await startTemporalDevServer();
  const llm = await startMockLLMServer();
  llm.setHandler(benchModelReply);
  const model = new OpenAIClient({ apiKey: 'sk-bench', baseURL: llm.openaiBaseURL });
  const connection = await NativeConnection.connect({ address: dev.address });
  const clientConnection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection: clientConnection });
  const dir = mkdtempSync(join(tmpdir(), 'bench-heap-'));
  const heaps: Record<Side, number[]> = { ours: [], raw: [] };
  try {
    for (const side of SIDES) {
      const codePath = join(dir, `${side}.js`);
      await buildBenchBundle(side, codePath);
      const { worker, start } = await debugSide(side, { connection, client, llm: model, codePath });
      const run = async (): Promise<void> => {
        // A failed run rejects (WorkflowFailedError).
        await client.workflow.getHandle(await start()).result();
      };
      await worker.runUntil(async () => {
        heaps[side].push(heapAfterGc());
        for (let b = 0; b < BATCHES; b++) {
          for (let i = 0; i < RUNS; i += AT_ONCE) {
            await Promise.all(Array.from({ length: Math.min(AT_ONCE, RUNS - i) }, run));
          }
          // Let the worker evict the finished runs from its cache.
          await new Promise((r) => setTimeout(r, 500));
          heaps[side].push(heapAfterGc());
          console.log(`${side}: after ${(b + 1) * RUNS} runs, heap ${mib(heaps[side].at(-1)!)}`);
        }
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await clientConnection.close();
    await connection.close();
    await llm.close();
    await dev.stop();
  }
  console.log('\nheap after a full GC (MiB), by finished runs');
  const cols = Array.from({ length: BATCHES + 1 }, (_, b) => String(b * RUNS).padStart(8));
  console.log(`${''.padEnd(6)}${cols.join('')}`);
  for (const side of SIDES) {
    console.log(
      `${side.padEnd(6)}${heaps[side].map((h) => (h / 1024 / 1024).toFixed(1).padStart(8)).join('')}`,
    );
  }
  for (const side of SIDES) {
    const h = heaps[side];
    const growth = (h.at(-1)! - h[1]!) / ((BATCHES - 1) * RUNS);
    console.log(
      `${side}: ${(growth / 1024).toFixed(1)} KiB kept per finished run after the first batch`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
