// Benchmark: the promises a run creates in the workflow sandbox, ours against the raw workflow
// (bench/raw-workflows.ts). Run: `npm run bench:promises`. Unlike CPU time, these counts do not
// depend on the machine's load, and they are what the remaining workflow-side cost follows: the
// SDK's promise hook captures a source-mapped stack trace for every promise a workflow creates
// (the top entries of the workflow thread's CPU profile) and keeps it while the promise is
// pending (most of what a parked run holds beyond the raw one). Prints, per side: promises created
// by a run of 3 model calls, and promises pending in a run parked on a tool approval (raw: on a
// signal), with the stack tops of one parked run's pending promises (BENCH_VERBOSE=1; =2 also
// counts where a finished run's promises were created).
// The worker runs in `debugMode` (workflows on this thread), so the hook can be wrapped here;
// this reads SDK internals (the hook's `runId` tag, the workflow creator's run map) and is a
// measuring tool, not an API.
import v8 from 'node:v8';

const created = new Map<string, number>();
/** BENCH_VERBOSE=2: where each promise of a run was created (its stack as the SDK recorded it). */
const createdAt = new Map<string, number>();
const createHook = v8.promiseHooks.createHook.bind(v8.promiseHooks);
// Wrapped before the SDK installs its hook (when the first worker is created).
v8.promiseHooks.createHook = (hooks) =>
  createHook({
    ...hooks,
    init(promise, parent) {
      hooks.init?.(promise, parent);
      const runId = (promise as { runId?: string }).runId;
      if (runId) created.set(runId, (created.get(runId) ?? 0) + 1);
      if (runId && process.env.BENCH_VERBOSE === '2') {
        const stack = runStacks(runId)?.get(promise)?.formatted ?? '';
        const key = stack
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !/sandbox-promises|promise_hooks|<anonymous>/.test(l))
          .slice(0, 3)
          .join(' | ');
        createdAt.set(key, (createdAt.get(key) ?? 0) + 1);
      }
    },
  });

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
import { benchModelReply, SIDES, type Side } from './bench-harness';

/** The promise stacks the SDK recorded for run `runId` (SDK internals; measuring only). */
function runStacks(runId: string): Map<unknown, { formatted?: string }> | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ReusableVMWorkflowCreator } = require('@temporalio/worker/lib/workflow/reusable-vm') as {
    ReusableVMWorkflowCreator: {
      workflowByRunId: Map<
        string,
        {
          activator: {
            promiseStackStore: { promiseToStack: Map<unknown, { formatted?: string }> };
          };
        }
      >;
    };
  };
  return ReusableVMWorkflowCreator.workflowByRunId.get(runId)?.activator.promiseStackStore
    .promiseToStack;
}

/** Pending promises (with their recorded stacks) of each cached run. */
function pendingByRun(): Map<string, { formatted?: string }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ReusableVMWorkflowCreator } = require('@temporalio/worker/lib/workflow/reusable-vm') as {
    ReusableVMWorkflowCreator: {
      workflowByRunId: Map<
        string,
        {
          activator: {
            promiseStackStore: { promiseToStack: Map<unknown, { formatted?: string }> };
          };
        }
      >;
    };
  };
  const out = new Map<string, { formatted?: string }[]>();
  for (const [runId, wf] of ReusableVMWorkflowCreator.workflowByRunId) {
    out.set(runId, [...wf.activator.promiseStackStore.promiseToStack.values()]);
  }
  return out;
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
  const dir = mkdtempSync(join(tmpdir(), 'bench-promises-'));
  const rows: Record<Side, { created: number[]; pending: number[] }> = {
    ours: { created: [], pending: [] },
    raw: { created: [], pending: [] },
  };
  try {
    for (const side of SIDES) {
      const codePath = join(dir, `${side}.js`);
      await buildBenchBundle(side, codePath);
      const { worker, start } = await debugSide(side, { connection, client, llm: model, codePath });
      await worker.runUntil(async () => {
        for (let i = 0; i < 3; i++) {
          created.clear();
          createdAt.clear();
          await client.workflow.getHandle(await start(false)).result();
          rows[side].created.push([...created.values()].reduce((a, b) => a + b, 0));
          if (process.env.BENCH_VERBOSE === '2' && i === 2) {
            console.log(`${side}: where a run's promises were created (count, first frames)`);
            for (const [at, n] of [...createdAt].sort((a, b) => b[1] - a[1])) {
              console.log(`  ${String(n).padStart(3)} ${at}`);
            }
          }
        }
        const before = llm.requests.length;
        const id = await start(true);
        const deadline = Date.now() + 60_000;
        while (llm.requests.length === before && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        // The run has made its model call; wait until its worker has gone quiet (parked).
        let last = -1;
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 200));
          const n = [...pendingByRun().values()].reduce((a, p) => a + p.length, 0);
          if (n === last) break;
          last = n;
        }
        for (const [runId, pending] of pendingByRun()) {
          if (!runId) continue;
          rows[side].pending.push(pending.length);
          if (process.env.BENCH_VERBOSE) {
            console.log(`${side}: pending promises of a parked run`);
            for (const p of pending) {
              // The first frames past this file's own hook wrapper.
              const frames = (p.formatted ?? '')
                .split('\n')
                .map((l) => l.trim())
                .filter((l) => l !== '' && !l.includes('sandbox-promises'));
              console.log('   ', frames.slice(0, 4).join(' | '));
            }
          }
        }
        await client.workflow.getHandle(id).terminate('benchmark done');
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await clientConnection.close();
    await connection.close();
    await llm.close();
    await dev.stop();
  }
  console.log('\n                                  ours    raw');
  const show = (label: string, k: 'created' | 'pending') =>
    console.log(
      `${label.padEnd(32)} ${rows.ours[k].join('/').padStart(6)} ${rows.raw[k].join('/').padStart(6)}`,
    );
  show('promises per run (3 model calls)', 'created');
  show('pending in a parked run', 'pending');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
