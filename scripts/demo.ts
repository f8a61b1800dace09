// `npm run demo`: a durable agent run end to end on an embedded setup. Starts a Temporal dev
// server with its Web UI (or uses TEMPORAL_ADDRESS), a worker in this process, and runs the demo
// agent through AgentRunner, printing its events live. Without OPENAI_API_KEY the model is a local
// server speaking the OpenAI wire format. `--keep` leaves the server, UI and worker running.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AgentRunner } from '../src/client/runner';
import { OpenAIClient } from '../src/llm/openai';
import type { LLMClient } from '../src/llm/types';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createAgentWorker } from '../src/worker';
import { startMockLLMServer } from '../src/testing/llm-server';
import { resolveTemporalCli, startTemporalDevServer } from '../src/testing/temporal-server';

const keep = process.argv.includes('--keep');
const question =
  process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'What makes an agent run durable?';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const root = join(__dirname, '..');
  let address = process.env.TEMPORAL_ADDRESS;
  let uiUrl = process.env.TEMPORAL_UI_URL;
  let stopServer: (() => Promise<void>) | undefined;
  if (!address) {
    const cli = resolveTemporalCli({ projectDir: root, verbose: true });
    console.log('Starting a Temporal dev server with its Web UI ...');
    const server = await startTemporalDevServer({
      cliPath: cli,
      ui: true,
      logFile: join(root, '.data', 'temporal-demo.log'),
    });
    address = server.address;
    uiUrl = server.uiUrl;
    stopServer = () => server.stop();
  }

  let llm: LLMClient;
  let closeLlm: (() => Promise<void>) | undefined;
  if (process.env.OPENAI_API_KEY) {
    llm = new OpenAIClient({
      apiKey: process.env.OPENAI_API_KEY,
      defaultModel: process.env.AGENT_RUNTIME_DEFAULT_MODEL ?? 'gpt-4o-mini',
    });
    console.log('Model: OpenAI (OPENAI_API_KEY is set).');
  } else {
    const local = await startMockLLMServer();
    llm = new OpenAIClient({
      apiKey: 'local-demo-key',
      baseURL: local.openaiBaseURL,
      defaultModel: 'local-demo-model',
    });
    closeLlm = () => local.close();
    console.log(
      `Model: no OPENAI_API_KEY, so a local server speaking the OpenAI wire format answers (${local.openaiBaseURL}).`,
    );
  }

  const taskQueue = 'agent-runtime-demo';
  console.log('Starting a worker (bundling workflow code takes a few seconds) ...');
  const worker = await createAgentWorker({
    address,
    taskQueue,
    workflowsPath: require.resolve('../examples/workflows'),
    activities: { llm },
  });
  const runner = new AgentRunner({ config: { address, taskQueue } });
  const runId = `demo-${randomUUID().slice(0, 8)}`;

  const work = async () => {
    const handle = await runner.start({
      agent: 'demo-assistant',
      runId,
      inputData: { messages: [{ role: 'user', content: question }] },
    });
    console.log(`\nRun ${runId} started. Events:`);
    for await (const ev of handle.events()) {
      console.log(`  #${ev.seq} ${ev.type} ${JSON.stringify(ev.payload)}`);
    }
    const result = await handle.result();
    console.log('\nResult:');
    console.log(
      JSON.stringify(
        { finalOutput: result.finalOutput, usage: result.usage, error: result.error },
        null,
        2,
      ),
    );
    if (uiUrl)
      console.log(
        `\nInspect the run in the Temporal Web UI: ${uiUrl}/namespaces/default/workflows/${runId}`,
      );
    else
      console.log(
        `\nInspect the run: temporal workflow show --workflow-id ${runId} --address ${address}`,
      );
  };

  if (keep) {
    const running = worker.run();
    await work();
    console.log('\n--keep: the dev server, its UI and the worker stay up. Press Ctrl-C to stop.');
    await running;
  } else {
    await worker.runUntil(work);
  }
  await runner.close();
  await closeLlm?.();
  await stopServer?.();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
