// The composition root of a worker process (`npm run worker`): the only place that reads the
// environment, builds the LLM clients and starts a Temporal Worker. SIGINT/SIGTERM shut it down
// gracefully (in-flight activities get `shutdownGraceTime` to finish).
import { createLLMClient } from './src/llm';
import type { LLMClient } from './src/llm/types';
import { getConfig } from './src/config';
import { createAgentWorker } from './src/worker';
import { createRunStores } from './src/worker/run-stores';
import { exampleSteps } from './examples/steps';
import { exampleTools } from './examples/tool-handlers';

async function main(): Promise<void> {
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
  llm(); // Fail at start-up, not on the first run, when the default provider is not configured.
  const workflowsPath = process.env.AGENT_WORKFLOWS_PATH ?? require.resolve('./examples/workflows');
  // The example agents' tool handlers and step functions: on when this worker serves the example
  // workflows module (no AGENT_WORKFLOWS_PATH), else only with AGENT_WORKER_EXAMPLES=1 (=0 turns
  // them off either way). A run only reaches them by calling their names.
  const examplesFlag = process.env.AGENT_WORKER_EXAMPLES?.trim() ?? '';
  const withExamples =
    examplesFlag === ''
      ? process.env.AGENT_WORKFLOWS_PATH === undefined
      : /^(1|true|yes|on)$/i.test(examplesFlag);
  // Stores runs write to when their runner asks (AgentRunner's `persistence` option): conversations
  // (and audit with AGENT_RUNTIME_AUDIT=1) on DATABASE_URL, else PGlite; event bus and state store
  // per AGENT_RUNTIME_EVENT_BUS_BACKEND / AGENT_RUNTIME_STATE_STORE_BACKEND (REDIS_URL for redis).
  const stores = createRunStores({
    config,
    audit: /^(1|true|yes|on)$/i.test(process.env.AGENT_RUNTIME_AUDIT ?? ''),
  });
  const worker = await createAgentWorker({
    workflowsPath,
    activities: {
      llm,
      modelPrices: config.modelPrices,
      ...stores.deps,
      ...(withExamples ? { tools: exampleTools, steps: exampleSteps } : {}),
    },
  });
  console.log(
    `worker: polling task queue "${config.taskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace}), ` +
      `provider ${config.modelProvider}, workflows ${workflowsPath}` +
      (withExamples ? ', example tools and steps' : ''),
  );
  await worker.run();
  await stores.close();
  console.log('worker: shut down');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
