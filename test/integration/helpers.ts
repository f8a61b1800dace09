// Shared helpers of the integration tests: connections to the suite's dev server and workers.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createAgentWorker } from '../../worker';
import type { ActivityDeps } from '../../activities';
import type { LLMClient } from '../../src/core/llm-types';
import { AgentRunner, type AgentRunnerOptions, type RunnerConfig } from '../../src/client/runner';

/** Connections to the dev server started by global setup. */
export interface TestEnv {
  address: string;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestEnv(): Promise<TestEnv> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEMPORAL_ADDRESS is not set: the integration global setup did not run');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  return {
    address,
    client,
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A unique task queue per test, since test files share the server. */
export function uniqueQueue(prefix = 'tq'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * A worker on the suite's bundled test workflows. `extra` adds activity dependencies beside the
 * LLM client (stores, event bus, tools, steps…).
 */
export async function createTestWorker(
  env: TestEnv,
  taskQueue: string,
  llm: LLMClient,
  extra: Omit<Partial<ActivityDeps>, 'llm'> = {},
): Promise<Worker> {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set');
  return createAgentWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath },
    activities: { ...extra, llm },
  });
}

export function testRunner(
  env: TestEnv,
  taskQueue: string,
  config: RunnerConfig = {},
  options: Omit<AgentRunnerOptions, 'client' | 'config'> = {},
): AgentRunner {
  return new AgentRunner({ ...options, client: env.client, config: { taskQueue, ...config } });
}

/** Debian's chromium, which the browser tests drive (`.ci/run` installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts Debian's chromium headless through playwright-core, quiet (no updates, sync, first run). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}
