// A legible Temporal UI: headless Chromium (Debian's chromium, driven by playwright-core) opens a
// run's page in the dev server's Web UI while the run waits for a tool approval, and the page shows
// the labelled timers ("run timeout", "approval wait: delete_file"). The screenshot is kept as an
// artefact in test-artifacts/. The suite's dev server is headless, so this file starts its own with
// the Web UI on (gRPC port + 1000), as `npm run demo` does.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { OpenAIClient } from '../../src/llm/openai';
import { approveToolCallUpdate, toolApprovalsQuery } from '../../src/core/run-contract';
import { startTemporalDevServer, type DevServer } from '../../src/testing/temporal-server';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { deleteFile } from '../fixtures/tool-defs';
import {
  CHROMIUM,
  createTestWorker,
  launchChromium,
  testRunner,
  uniqueQueue,
  type TestEnv,
} from './helpers';
import { waitUntil } from './tools-helpers';

const ROOT = resolve(__dirname, '../..');
const ARTEFACTS = join(ROOT, 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
const browserTest = hasChromium ? test : test.skip;
if (!hasChromium) {
  console.warn(
    `Skipping the Temporal Web UI screenshot test: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it).`,
  );
}

let server: DevServer | undefined;
let env: TestEnv | undefined;
let llm: MockLLMServer | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  [server, llm] = await Promise.all([
    startTemporalDevServer({ ui: true, logFile: join(ARTEFACTS, 'obs-ui-temporal.log') }),
    startMockLLMServer(),
  ]);
  const address = server.address;
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  env = {
    address,
    client: new Client({ connection }),
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}, 60_000);

afterAll(async () => {
  await env?.close();
  await llm?.close();
  await server?.stop();
});

/** Waits until the UI server answers HTTP (it starts beside the gRPC frontend). */
async function waitForUi(url: string): Promise<void> {
  await waitUntil(
    async () => {
      try {
        return (await fetch(url)).ok;
      } catch {
        return false;
      }
    },
    20_000,
    `the Temporal Web UI at ${url}`,
  );
}

browserTest(
  "the run's page in the Temporal Web UI shows the labelled timers (screenshot)",
  async () => {
    const tq = uniqueQueue('obs-ui-shot');
    const worker = await createTestWorker(
      env!,
      tq,
      new OpenAIClient({
        apiKey: 'sk-test',
        baseURL: llm!.openaiBaseURL,
        defaultModel: 'test-model',
      }),
      { tools: new ToolRegistry([deleteFile.implement(() => undefined)]) },
    );
    llm!.enqueue(
      {
        type: 'tool_calls',
        toolCalls: [{ id: 'call_1', name: 'delete_file', arguments: { path: '/tmp/ui' } }],
      },
      { type: 'text', content: 'deleted' },
    );
    const workflowId = `obs-ui-shot-${randomUUID()}`;
    mkdirSync(ARTEFACTS, { recursive: true });

    await worker.runUntil(async () => {
      const handle = await testRunner(env!, tq).start({
        agent: 'tool-calling',
        runId: workflowId,
        inputData: { messages: [{ role: 'user', content: 'delete /tmp/ui' }] },
      });
      const wf = env!.client.workflow.getHandle(workflowId);
      await waitUntil(
        async () => (await wf.query(toolApprovalsQuery)).length === 1,
        15_000,
        'the approval request',
      );
      const { runId } = await wf.describe();
      const uiUrl = server!.uiUrl!;
      await waitForUi(uiUrl);

      const browser = await launchChromium();
      let text = '';
      let timerRows: string[] = [];
      try {
        const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
        page.setDefaultTimeout(20_000);
        page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
        // The run's page opens on its event history ("All" view): one row per event, the timer's
        // summary shown in the row's details ("Summary  run timeout").
        await page.goto(`${uiUrl}/namespaces/default/workflows/${workflowId}/${runId}/history`);
        const timers = page.locator('tr', { hasText: 'Timer Started' });
        // Both timers rendered (or 20 s passed: the text and screenshot below then say what showed).
        await waitUntil(async () => (await timers.count()) >= 2, 20_000, 'two Timer Started rows')
          .then(() => page.getByText('approval wait: delete_file').first().waitFor())
          .catch((err: Error) => console.error(`the UI page did not render: ${err.message}`));
        timerRows = (await timers.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
        text = await page.locator('body').innerText();
        writeFileSync(join(ARTEFACTS, 'temporal-ui-run.txt'), text);
        await page.screenshot({ path: join(ARTEFACTS, 'temporal-ui-run.png'), fullPage: true });
      } finally {
        await browser.close();
      }
      expect(text).toContain(workflowId);
      expect(text).toContain('RUNNING');
      // Each timer's row carries its label, as text on the page.
      expect(timerRows).toHaveLength(2);
      expect(timerRows.find((r) => r.includes('5 minutes'))).toContain('Summary run timeout');
      expect(timerRows.find((r) => r.includes('2 minutes'))).toContain(
        'Summary approval wait: delete_file',
      );

      // Let the run finish so the worker shuts down cleanly.
      await wf.executeUpdate(approveToolCallUpdate, {
        args: [{ toolCallId: 'call_1', approved: true, reason: 'seen in the UI' }],
      });
      expect((await handle.result()).error).toBeUndefined();
    });
  },
  60_000,
);
