// Node side: the local development stack of `agent-runtime dev` and `npm run demo -- --web`: a
// Temporal dev server with its Web UI (unless an address is given), a worker for the user's
// workflows module, and the HTTP API with the chat page, in one process sharing an in-memory
// event bus (token deltas stream) and conversation store.
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { AgentRunner } from '../src/client/runner';
import type { LLMClient } from '../src/core/llm-types';
import { InMemoryEventBus } from '../src/events';
import { InMemoryConversationStore } from '../src/persistence';
import type { PriceTable } from '../src/llm';
import { listRuntimes } from '../src/runtime/registry';
import { serve, type AgentServer } from '../src/server';
import type { StepRegistry } from '../src/steps';
import { resolveTemporalCli, startTemporalDevServer } from '../src/testing/temporal-server';
import type { AnyTool } from '../src/tools/tool';
import { createAgentWorker } from '../worker';

/** Options of `startDevStack`. */
export interface DevStackOptions {
  /** The workflows module (registers the agents, re-exports `agentRunWorkflow`). */
  workflowsPath: string;
  /** The model client of the worker's model calls. */
  llm: LLMClient | ((provider?: string) => LLMClient);
  tools?: readonly AnyTool[];
  steps?: StepRegistry;
  modelPrices?: PriceTable;
  /** API port (0: a free one). @default 8080 */
  port?: number;
  /** Use this Temporal server instead of starting a dev server. */
  temporalAddress?: string;
  /** Its Web UI, when `temporalAddress` is given. */
  temporalUiUrl?: string;
  /** @default 'agent-runtime-dev' */
  taskQueue?: string;
  /** Where the dev server writes its log. @default .data/temporal-dev.log */
  logFile?: string;
  /** Progress lines. @default console.log */
  log?: (line: string) => void;
}

/** A running development stack. */
export interface DevStack {
  /** The API and chat page. */
  url: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  agents: string[];
  runner: AgentRunner;
  server: AgentServer;
  worker: Worker;
  stop(): Promise<void>;
}

/** Agent keys the workflows module registers, read by loading it here (empty if it cannot be). */
async function agentsOf(workflowsPath: string): Promise<string[]> {
  try {
    await import(workflowsPath);
    return listRuntimes().sort();
  } catch {
    return [];
  }
}

/** Starts the dev server (unless given), a worker, and the API with the chat page. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const log = options.log ?? ((l: string) => console.log(l));
  let address = options.temporalAddress;
  let uiUrl = options.temporalUiUrl;
  let stopTemporal: (() => Promise<void>) | undefined;
  if (!address) {
    log('Starting a Temporal dev server with its Web UI ...');
    const server = await startTemporalDevServer({
      cliPath: resolveTemporalCli({ projectDir: process.cwd() }),
      ui: true,
      logFile: options.logFile ?? join(process.cwd(), '.data', 'temporal-dev.log'),
    });
    address = server.address;
    uiUrl = server.uiUrl;
    stopTemporal = () => server.stop();
  }
  const taskQueue = options.taskQueue ?? 'agent-runtime-dev';
  const eventBus = new InMemoryEventBus();
  const conversations = new InMemoryConversationStore();
  log('Starting a worker (bundling the workflow code takes a few seconds) ...');
  const worker = await createAgentWorker({
    address,
    taskQueue,
    workflowsPath: options.workflowsPath,
    activities: {
      llm: options.llm,
      eventBus,
      conversationStore: conversations,
      ...(options.modelPrices ? { modelPrices: options.modelPrices } : {}),
      ...(options.tools ? { tools: options.tools } : {}),
      ...(options.steps ? { steps: options.steps } : {}),
    },
  });
  const running = worker.run();
  const runner = new AgentRunner({
    config: { address, taskQueue },
    eventBus,
    persistence: { conversations: true },
    payloadStorage: false,
  });
  const agents = await agentsOf(options.workflowsPath);
  const server = await serve({
    runner,
    conversations,
    auth: 'none',
    port: options.port ?? 8080,
    chatPage: true,
    ...(agents.length ? { agents } : {}),
    ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
  });
  return {
    url: server.url,
    temporalAddress: address,
    temporalUiUrl: uiUrl,
    agents,
    runner,
    server,
    worker,
    async stop() {
      await server.close();
      worker.shutdown();
      await running.catch(() => undefined);
      await runner.close();
      await stopTemporal?.();
    },
  };
}
