// Node side: what bench/throughput.ts and bench/overhead.ts share. One dev server (child), the
// local model server, and two worker processes (bench/bench-worker.ts), `ours` and `raw`, each on
// its own task queue of the same dev server. Runs of both sides call the same activities against
// the same model server; each side's CPU and RSS are read from its own process.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AgentRunner } from '../src/client/runner';
import type { RecordedRequest, ScriptedReply } from '../src/testing/llm-server';
import { startMockLLMServer, type MockLLMServer } from '../src/testing/llm-server';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { buildBenchBundle } from './bench-bundle';
import type { WorkerCommand, WorkerReport } from './bench-worker';
import type { RawInput } from './raw-workflows';

/** The two sides of a comparison. */
export type Side = 'ours' | 'raw';
export const SIDES: readonly Side[] = ['ours', 'raw'];

/** CPU time (ms) and memory (bytes) of a worker process. */
export interface WorkerStats {
  cpuMs: number;
  rss: number;
  heapUsed: number;
}

/** One worker process. */
export class BenchWorker {
  private waiting: ((s: WorkerStats) => void)[] = [];
  bundleBytes = 0;

  private constructor(
    readonly side: Side,
    readonly taskQueue: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m: WorkerReport) => {
      if (m.type === 'stats') this.waiting.shift()?.(m);
    });
  }

  static async start(
    side: Side,
    address: string,
    llmURL: string,
    bundlePath: string,
  ): Promise<BenchWorker> {
    const taskQueue = `bench-${side}-${randomUUID()}`;
    const child = fork(require.resolve('./bench-worker'), [side], {
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        // BENCH_CPU_PROF=<dir>: each worker process (and its workflow threads) writes a CPU profile.
        ...(process.env.BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
          : []),
      ],
      env: {
        ...process.env,
        BENCH_ADDRESS: address,
        BENCH_TASK_QUEUE: taskQueue,
        BENCH_LLM_URL: llmURL,
        BENCH_BUNDLE_PATH: bundlePath,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new BenchWorker(side, taskQueue, child);
    worker.bundleBytes = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${side} worker exited with ${code}`)));
      child.on('message', (m: WorkerReport) => {
        if (m.type === 'ready') resolve(m.bundleBytes);
      });
    });
    child.removeAllListeners('exit');
    return worker;
  }

  /** CPU and memory now (after a full GC unless `gc` is false, so that RSS is what is held). */
  stats(gc = true): Promise<WorkerStats> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send({ type: 'stats', gc } satisfies WorkerCommand);
    });
  }

  /** Waits until the worker's CPU stays under 5 % for a second (it has caught up), 2 min at most. */
  async settle(): Promise<void> {
    let last = await this.stats(false);
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await this.stats(false);
      if (now.cpuMs - last.cpuMs < 50) return;
      last = now;
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' } satisfies WorkerCommand);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The model: answers with text, except that a parked run's first call asks for approval. */
export function benchModelReply(request: RecordedRequest): ScriptedReply {
  const body = request.body as { messages: { role: string }[]; tools?: unknown[] };
  const toolResults = body.messages.filter((m) => m.role === 'tool').length;
  if (body.tools?.length && toolResults === 0) {
    return {
      type: 'tool_calls',
      toolCalls: [{ name: 'approved_action', arguments: { what: 'the thing' } }],
    };
  }
  return { type: 'text', content: `Answer ${body.messages.length}.` };
}

/** The dev server, model server, clients and both workers. */
export class Bench {
  private constructor(
    readonly client: Client,
    readonly connection: Connection,
    readonly runner: AgentRunner,
    readonly workers: Record<Side, BenchWorker>,
    readonly llm: MockLLMServer,
    private readonly stopDev: () => Promise<void>,
  ) {}

  static async start(): Promise<Bench> {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const dev = await startTemporalDevServer();
    const llm = await startMockLLMServer();
    llm.setHandler(benchModelReply);
    // Both bundles are built here, so the workers' RSS is that of a worker loading a prebuilt one.
    const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
    const bundles = { ours: join(dir, 'ours.js'), raw: join(dir, 'raw.js') };
    for (const side of SIDES) await buildBenchBundle(side, bundles[side]);
    const [ours, raw] = await Promise.all(
      SIDES.map((s) => BenchWorker.start(s, dev.address, llm.openaiBaseURL, bundles[s])),
    );
    rmSync(dir, { recursive: true, force: true });
    const connection = await Connection.connect({ address: dev.address });
    const client = new Client({ connection });
    const runner = new AgentRunner({
      client,
      config: { taskQueue: ours!.taskQueue, runTimeout: '2h' },
    });
    return new Bench(client, connection, runner, { ours: ours!, raw: raw! }, llm, () => dev.stop());
  }

  /** Starts one run of `calls` model calls on `side`; resolves with its id once started. */
  async startRun(side: Side, calls: number, park = false): Promise<string> {
    const runId = `bench-${side}-${randomUUID()}`;
    const messages = [{ role: 'user' as const, content: 'Do the thing, please.' }];
    if (side === 'ours') {
      await this.runner.start({
        agent: park ? 'bench-parked' : 'bench-calls',
        runId,
        inputData: { messages, params: { calls } },
      });
    } else {
      const input: RawInput = { runId, messages, calls: park ? 2 : calls, park };
      await this.client.workflow.start('rawAgentWorkflow', {
        workflowId: runId,
        taskQueue: this.workers.raw.taskQueue,
        args: [input],
      });
    }
    return runId;
  }

  /** Waits for a run's Temporal result (the same long poll for both sides). */
  async result(runId: string): Promise<void> {
    await this.client.workflow.getHandle(runId).result();
  }

  /** Runs `count` runs of `calls` model calls at once on `side`: wall seconds and worker deltas. */
  async batch(
    side: Side,
    count: number,
    calls: number,
  ): Promise<{ seconds: number; cpuMs: number; rss: number }> {
    const worker = this.workers[side];
    const before = await worker.stats();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, async () => this.result(await this.startRun(side, calls))),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await worker.stats();
    return { seconds, cpuMs: after.cpuMs - before.cpuMs, rss: after.rss };
  }

  async close(): Promise<void> {
    await Promise.all(SIDES.map((s) => this.workers[s].stop()));
    await this.connection.close();
    await this.llm.close();
    await this.stopDev();
  }
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Bytes as MiB. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number(v) : fallback;
}
