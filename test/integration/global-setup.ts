// Jest global setup of the integration project: one Temporal dev server and one workflow bundle
// for the whole run. Values reach test files through process.env.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startTemporalDevServer, type DevServer } from '../../src/testing/temporal-server';
import { AGENT_PRELOAD_MODULES } from '../../worker';

declare global {
  var __temporalDevServer: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.SKIP_TEMPORAL === '1') return;
  const dir = mkdtempSync(join(tmpdir(), 'agent-runtime-it-'));
  const [server, bundle] = await Promise.all([
    process.env.TEMPORAL_ADDRESS
      ? Promise.resolve(undefined)
      : startTemporalDevServer({ logFile: join(dir, 'temporal.log') }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/workflows'),
      // As createAgentWorker bundles: zod loaded once per worker thread, shared by the runs.
      preloadModules: [...AGENT_PRELOAD_MODULES],
      logger: quietLogger,
    }),
  ]);
  if (server) {
    globalThis.__temporalDevServer = server;
    process.env.TEMPORAL_ADDRESS = server.address;
  }
  const codePath = join(dir, 'workflow-bundle.js');
  writeFileSync(codePath, bundle.code);
  process.env.TEST_WORKFLOW_BUNDLE = codePath;
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
};
