// Node side: the entry of `agent-runtime-core/worker`. Builds a Temporal Worker for agent runs.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { getConfig } from '../src/config';
import { AgentRuntimeError } from '../src/core/errors';

/** Options of `createAgentWorker`. */
export interface AgentWorkerOptions {
  /** Connection to Temporal; one is opened to `address` when absent. */
  connection?: NativeConnection;
  /** Temporal address when no connection is given. @default getConfig().temporalAddress */
  address?: string;
  /** Namespace. @default getConfig().temporalNamespace */
  namespace?: string;
  /** Task queue. @default getConfig().taskQueue */
  taskQueue?: string;
  /**
   * Path of your workflows module: it registers your agents (`registerRuntime`) and re-exports
   * `agentRunWorkflow` from `agent-runtime-core/workflows`. Give this or `workflowBundle`.
   */
  workflowsPath?: string;
  /** A prebuilt bundle (`bundleWorkflowCode`), for fast start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** What the activities need (the LLM client). */
  activities: ActivityDeps;
  /** Any other Temporal worker option. */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * Creates a Temporal Worker that executes agent runs: the generic workflow and our activities.
 * Heartbeats are flushed at least every second so cancellation reaches a model call quickly.
 */
export async function createAgentWorker(options: AgentWorkerOptions): Promise<Worker> {
  const config = getConfig();
  const connection =
    options.connection ??
    (await NativeConnection.connect({ address: options.address ?? config.temporalAddress }));
  const source = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: options.workflowsPath };
  if (!options.workflowBundle && !options.workflowsPath) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'createAgentWorker: give workflowsPath (your module registering agents) or workflowBundle',
    );
  }
  return Worker.create({
    connection,
    namespace: options.namespace ?? config.temporalNamespace,
    taskQueue: options.taskQueue ?? config.taskQueue,
    ...source,
    activities: createActivities(options.activities),
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '10s',
    ...options.workerOptions,
  });
}

/**
 * Builds the stores a worker gives its runs from settings (conversations, and the event bus,
 * state store and audit store the settings ask for), as `worker/main.ts` does: pass `stores.deps` into
 * `createAgentWorker({ activities: { llm, ...stores.deps } })` and call `stores.close()` on
 * shutdown. See docs/persistence.md.
 */
export { createRunStores, type RunStores, type RunStoresOptions } from './run-stores';

/**
 * Declares the step functions a worker provides (`createAgentWorker({ activities: { steps } })`);
 * workflow code takes typed handles from their type with `proxySteps<typeof steps>()`.
 */
export { defineSteps, type StepRegistry } from '../src/steps';
