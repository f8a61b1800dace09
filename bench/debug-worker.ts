// Node side: what bench/sandbox-promises.ts and bench/workflow-heap.ts share: one side's worker in
// `debugMode` (its workflows run on the benchmark's own thread, whose promises and heap those
// benchmarks read) and a way to start that side's run on it.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { AgentRunner } from '../src/client/runner';
import type { LLMClient } from '../src/core/llm-types';
import { createAgentWorker } from '../worker';
import type { Side } from './bench-harness';
import { approvedAction } from './throughput-agent';

/** A side's `debugMode` worker, and how to start its runs. */
export interface DebugSide {
  worker: Worker;
  /**
   * Starts a run of 3 model calls (ours: `bench-calls`; raw: `rawAgentWorkflow`), or with `park`
   * one parked on a tool approval (raw: on a signal); returns its workflow id.
   */
  start: (park?: boolean) => Promise<string>;
}

/** Builds `side`'s worker on `codePath` (a bundle from `buildBenchBundle`). */
export async function debugSide(
  side: Side,
  deps: { connection: NativeConnection; client: Client; llm: LLMClient; codePath: string },
): Promise<DebugSide> {
  const taskQueue = `bench-debug-${side}-${randomUUID()}`;
  const base = {
    connection: deps.connection,
    taskQueue,
    workflowBundle: { codePath: deps.codePath },
  };
  const activities = { llm: deps.llm, tools: [approvedAction] };
  const worker =
    side === 'ours'
      ? await createAgentWorker({ ...base, activities, workerOptions: { debugMode: true } })
      : await Worker.create({ ...base, debugMode: true, activities: createActivities(activities) });
  const runner = new AgentRunner({ client: deps.client, config: { taskQueue, runTimeout: '2h' } });
  const start = async (park = false): Promise<string> => {
    const runId = `bench-${side}-${randomUUID()}`;
    const messages = [{ role: 'user' as const, content: 'Do the thing, please.' }];
    if (side === 'ours') {
      await runner.start({
        agent: park ? 'bench-parked' : 'bench-calls',
        runId,
        inputData: { messages, params: { calls: 3 } },
      });
    } else {
      await deps.client.workflow.start('rawAgentWorkflow', {
        workflowId: runId,
        taskQueue,
        args: [{ runId, messages, calls: park ? 2 : 3, park }],
      });
    }
    return runId;
  };
  return { worker, start };
}
