// Node side: the workflow bundles of bench/throughput.ts and bench/overhead.ts, built once in the
// benchmark's own process and loaded prebuilt by each side's worker (bench/bench-worker.ts).
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { AGENT_PRELOAD_MODULES } from '../worker';

/**
 * Builds a side's workflow bundle into `codePath` (in the benchmark's own process). Workers load
 * it prebuilt, as a production worker does (Temporal's advice; `createAgentWorker({
 * workflowBundle })`): bundling in a worker leaves webpack's garbage in its RSS (~50-100 MiB that
 * is not given back), which is not the cost of running workflows.
 */
export async function buildBenchBundle(side: 'ours' | 'raw', codePath: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(side === 'ours' ? './throughput-workflows' : './raw-workflows'),
    logger: new DefaultLogger('ERROR'),
    // What createAgentWorker does with a workflowsPath. To compare: BENCH_NO_PRELOAD=1 preloads
    // nothing, BENCH_PRELOAD_ZOD_ONLY=1 only zod (the preload before the library's own modules).
    ...(side === 'ours' && !process.env.BENCH_NO_PRELOAD
      ? {
          preloadModules: process.env.BENCH_PRELOAD_ZOD_ONLY
            ? [require.resolve('../src/runtime/zod-preload')]
            : [...AGENT_PRELOAD_MODULES],
        }
      : {}),
  });
  writeFileSync(codePath, code);
}
