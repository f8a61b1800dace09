// Node side: the composition root of a worker process (`npm run worker`). The only place that reads
// the environment, builds the LLM clients and stores, and starts a Temporal Worker. SIGINT/SIGTERM
// shut it down gracefully (in-flight activities get `shutdownGraceTime` to finish).
//
// As a command it serves the workflows module at AGENT_WORKFLOWS_PATH, with the tool handlers and
// step functions exported (`tools`, `steps`) by the module at AGENT_WORKER_ACTIVITIES, if set.
// `examples/worker.ts` calls `runWorkerProcess` with the example agents instead.
import path from 'node:path';
import { getConfig } from '../src/config';
import { AgentRuntimeError } from '../src/core/errors';
import type { LLMClient } from '../src/core/llm-types';
import { createLLMClient } from '../src/llm';
import type { StepRegistry } from '../src/steps';
import type { AnyTool } from '../src/tools/tool';
import { createAgentWorker } from '.';
import { createRunStores } from './run-stores';

/** What a worker process serves. */
export interface WorkerProcessOptions {
  /** Path of the workflows module (registers the agents, re-exports `agentRunWorkflow`). */
  workflowsPath: string;
  /** Tool handlers the agents call by name. @default none */
  tools?: readonly AnyTool[];
  /** Step functions the agents' `StepExecutor`s call by name. @default none */
  steps?: StepRegistry;
  /** Shown in the start-up line. */
  label?: string;
}

/**
 * The workers' model clients from the settings, one per provider, made on first use. The default
 * provider's client is made now: a missing API key fails at start-up, naming the setting, not in
 * the first run.
 */
export function llmFromSettings(): (provider?: string) => LLMClient {
  const config = getConfig();
  const clients = new Map<string, LLMClient>();
  const llm = (provider?: string): LLMClient => {
    const name = (provider ?? config.modelProvider) as typeof config.modelProvider;
    let client = clients.get(name);
    if (!client) {
      client = createLLMClient(config, name);
      clients.set(name, client);
    }
    return client;
  };
  llm();
  return llm;
}

/** Builds clients and stores from the settings, runs a worker until SIGINT/SIGTERM, then closes. */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const config = getConfig();
  const llm = llmFromSettings();
  // Stores runs write to when their runner asks (AgentRunner's `persistence` option): conversations
  // (and audit with AGENT_RUNTIME_AUDIT=1) on DATABASE_URL, else PGlite; event bus and state store
  // per AGENT_RUNTIME_EVENT_BUS_BACKEND / AGENT_RUNTIME_STATE_STORE_BACKEND (REDIS_URL for redis).
  const stores = createRunStores({
    config,
    audit: /^(1|true|yes|on)$/i.test(process.env.AGENT_RUNTIME_AUDIT ?? ''),
  });
  const worker = await createAgentWorker({
    workflowsPath: options.workflowsPath,
    // Large payloads by reference in DATABASE_URL's payload_blobs (clients on the same settings
    // read them); without a database, oversize results fail PAYLOAD_TOO_LARGE.
    ...(stores.payloadStorage ? { payloadStorage: stores.payloadStorage } : {}),
    activities: {
      llm,
      modelPrices: config.modelPrices,
      ...stores.deps,
      ...(options.tools ? { tools: options.tools } : {}),
      ...(options.steps ? { steps: options.steps } : {}),
    },
  });
  console.log(
    `worker: polling task queue "${config.taskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace}), ` +
      `provider ${config.modelProvider}, workflows ${options.label ?? options.workflowsPath}`,
  );
  await worker.run();
  await stores.close();
  console.log('worker: shut down');
}

/** The command: everything it serves comes from two environment variables. */
async function main(): Promise<void> {
  const workflowsPath = process.env.AGENT_WORKFLOWS_PATH;
  if (!workflowsPath) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'AGENT_WORKFLOWS_PATH is not set: point it at your workflows module (it registers your agents ' +
        'and re-exports agentRunWorkflow). For this repository`s example agents run `npm run worker:examples`.',
    );
  }
  const activitiesPath = process.env.AGENT_WORKER_ACTIVITIES;
  const extra = activitiesPath
    ? ((await import(path.resolve(activitiesPath))) as {
        tools?: readonly AnyTool[];
        steps?: StepRegistry;
      })
    : {};
  await runWorkerProcess({
    workflowsPath: path.resolve(workflowsPath),
    ...(extra.tools ? { tools: extra.tools } : {}),
    ...(extra.steps ? { steps: extra.steps } : {}),
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
