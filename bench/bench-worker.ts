// Node side: the worker process of bench/throughput.ts and bench/overhead.ts. One process per
// side, so that each side's CPU and RSS are its own: `ours` runs agentRunWorkflow (our bundle,
// bench/throughput-workflows.ts), `raw` runs the hand-written bench/raw-workflows.ts; both with
// the same activities (`createActivities`) against the same model server. Started by the
// benchmark with `fork`; answers `stats` messages with its CPU time and memory.
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { OpenAIClient } from '../src/llm/openai';
import { createAgentWorker } from '../worker';
import { buildBenchBundle } from './bench-bundle';
import { approvedAction } from './throughput-agent';

/** What the parent sends. */
export type WorkerCommand = { type: 'stats'; gc: boolean } | { type: 'stop' };

/** What the worker answers. */
export type WorkerReport =
  | { type: 'ready'; bundleBytes: number }
  | { type: 'stats'; cpuMs: number; rss: number; heapUsed: number };

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'ours' && mode !== 'raw') throw new Error('usage: bench-worker.ts ours|raw');
  const env = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  Runtime.install({ logger: new DefaultLogger((process.env.BENCH_LOG as 'WARN') ?? 'ERROR') });
  const llm = new OpenAIClient({ apiKey: 'sk-bench', baseURL: env('BENCH_LLM_URL') });
  const connection = await NativeConnection.connect({ address: env('BENCH_ADDRESS') });
  const taskQueue = env('BENCH_TASK_QUEUE');
  // Prebuilt by the benchmark (buildBenchBundle); BENCH_BUNDLE_IN_WORKER=1 bundles here instead.
  let codePath = process.env.BENCH_BUNDLE_PATH;
  if (!codePath || process.env.BENCH_BUNDLE_IN_WORKER) {
    codePath = join(tmpdir(), `${env('BENCH_TASK_QUEUE')}.js`);
    await buildBenchBundle(mode, codePath);
  }
  const workflowBundle = { codePath };
  const workerOptions = {
    maxCachedWorkflows: Number(process.env.BENCH_MAX_CACHED ?? 1200),
  };
  const worker =
    mode === 'ours'
      ? await createAgentWorker({
          connection,
          taskQueue,
          workflowBundle,
          activities: { llm, tools: [approvedAction] },
          workerOptions,
        })
      : await Worker.create({
          connection,
          taskQueue,
          workflowBundle,
          activities: createActivities({ llm, tools: [approvedAction] }),
          ...workerOptions,
        });
  const send = (m: WorkerReport) => process.send?.(m);
  process.on('message', (m: WorkerCommand) => {
    if (m.type === 'stats') {
      // CPU first: the collection that makes RSS reflect what is held is not the run's work.
      const cpu = process.cpuUsage();
      if (m.gc) (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      send({
        type: 'stats',
        cpuMs: (cpu.user + cpu.system) / 1000,
        rss: mem.rss,
        heapUsed: mem.heapUsed,
      });
    } else if (m.type === 'stop') worker.shutdown();
  });
  const running = worker.run();
  send({ type: 'ready', bundleBytes: statSync(codePath).size });
  await running;
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
