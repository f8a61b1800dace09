// `npm run demo`: durable agent runs end to end on an embedded setup. Starts a Temporal dev
// server with its Web UI (or uses TEMPORAL_ADDRESS), a worker in this process with the example
// tools and step functions, and an in-memory event bus shared by the worker and the runner, so
// the model's tokens show live. Then it runs the tool-calling ResearchAssistant (streamed model
// call -> `search_docs` tool call as a durable activity -> streamed final answer) and the
// three-step DocsDigestAgent (steps with progress), printing their events as they happen.
// Without OPENAI_API_KEY the model is a local server speaking the OpenAI wire format, scripted
// here to make the same tool-call round trip a real model would. `--keep` leaves the server, UI
// and worker running; `--web` serves the HTTP API and the chat page instead of the two scripted
// runs; `--json` prints raw events; a non-flag argument is the question asked.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AgentRunner, type RunHandle } from '../src/client/runner';
import type { RunResult } from '../src/core/types';
import { InMemoryEventBus } from '../src/events';
import { RunRenderer } from '../cli/render';
import { startDevStack } from '../cli/dev';
import { OpenAIClient } from '../src/llm/openai';
import type { LLMClient } from '../src/core/llm-types';
import { createAgentWorker } from '../worker';
import {
  startMockLLMServer,
  type RecordedRequest,
  type ScriptedReply,
} from '../src/testing/llm-server';
import { resolveTemporalCli, startTemporalDevServer } from '../src/testing/temporal-server';
import { exampleSteps } from '../examples/steps';
import { exampleTools } from '../examples/tool-handlers';

const keep = process.argv.includes('--keep');
const web = process.argv.includes('--web');
const json = process.argv.includes('--json');
const question =
  process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'What makes an agent run durable?';

const STOPWORDS = new Set(
  'what which when where does make makes made with that this have from into about your there their them they then than show shows should would could agent agents runtime core library'.split(
    ' ',
  ),
);

/** The search the scripted model makes for a question: its longest non-trivial word. */
function searchQueryFor(text: string): string {
  const words = (text.toLowerCase().match(/[a-z][a-z0-9_-]{3,}/g) ?? []).filter(
    (w) => !STOPWORDS.has(w),
  );
  return words.reduce((a, b) => (b.length > a.length ? b : a), '') || 'durable';
}

interface ToolMessage {
  role: string;
  content?: unknown;
}

/**
 * The local model's script, answering like a model that uses tools would: a request without a
 * tool result yet calls `search_docs`; once the tool result is in the conversation, it streams a
 * final answer built from that result (so the answer shows what the tool really returned).
 */
function scriptedModel(request: RecordedRequest): ScriptedReply {
  const body = request.body as { messages?: ToolMessage[] } | undefined;
  const messages = body?.messages ?? [];
  const toolResult = [...messages].reverse().find((m) => m.role === 'tool');
  if (!toolResult) {
    const user = [...messages].reverse().find((m) => m.role === 'user');
    const text = typeof user?.content === 'string' ? user.content : question;
    return {
      type: 'tool_calls',
      content: 'Let me look that up in the documentation.',
      toolCalls: [{ name: 'search_docs', arguments: { query: searchQueryFor(text), limit: 3 } }],
      delayMs: 300,
      chunkDelayMs: 15,
    };
  }
  let answer: string;
  try {
    const result = JSON.parse(String(toolResult.content)) as {
      query: string;
      matches: number;
      passages: { file: string; heading: string; text: string }[];
    };
    const best = result.passages[0];
    const others = [...new Set(result.passages.slice(1).map((p) => `${p.file} ("${p.heading}")`))];
    answer = best
      ? `I searched the documentation for "${result.query}" and found ${result.matches} ` +
        `passages. The best match, in ${best.file} under "${best.heading || '(top)'}", says: ` +
        best.text +
        (others.length ? ` More in ${others.join(' and ')}.` : '')
      : `I searched the documentation for "${result.query}" and found nothing about it.`;
  } catch {
    answer = `The tool answered: ${String(toolResult.content).slice(0, 240)}`;
  }
  return { type: 'text', content: answer, chunkDelayMs: 20 };
}

/**
 * Prints a run as it happens with the CLI's renderer (tokens inline, one line per tool call and
 * result, a progress bar per step, the usage and UI link at the end); `--json` prints the raw
 * events instead.
 */
async function printRun(handle: RunHandle, uiUrl: string | undefined): Promise<RunResult> {
  const renderer = new RunRenderer(process.stdout, { json });
  for await (const ev of handle.events()) renderer.event(ev);
  const result = await handle.result();
  renderer.summary({
    runId: handle.runId,
    usage: result.usage,
    ...(result.error ? { error: result.error } : {}),
    ...(uiUrl ? { uiUrl: `${uiUrl}/namespaces/default/workflows/${handle.runId}` } : {}),
  });
  return result;
}

async function main(): Promise<void> {
  // Worker warnings in words, one line each (not the SDK's log object).
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => console.warn(`warning: ${entry.message}`)),
  });
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
    local.setHandler(scriptedModel);
    llm = new OpenAIClient({
      apiKey: 'local-demo-key',
      baseURL: local.openaiBaseURL,
      defaultModel: 'local-demo-model',
    });
    closeLlm = () => local.close();
    console.log(
      `Model: no OPENAI_API_KEY, so a local server speaking the OpenAI wire format answers (${local.openaiBaseURL}),\n` +
        '       scripted to call the search_docs tool and then stream an answer from its result.',
    );
  }

  if (web) {
    // The API and the chat page over a worker of the example agents (the dev stack of
    // `agent-runtime dev`), on the dev server started above.
    const stack = await startDevStack({
      workflowsPath: require.resolve('../examples/workflows'),
      llm,
      tools: exampleTools,
      steps: exampleSteps,
      port: Number(process.env.PORT ?? 8080),
      temporalAddress: address,
      ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
      taskQueue: 'agent-runtime-demo-web',
    });
    console.log(`\nChat page: ${stack.url}/   (agents: ${stack.agents.join(', ')})`);
    console.log(`API:       ${stack.url}   (OpenAPI document: ${stack.url}/openapi.json)`);
    console.log(
      `Try:       curl -s -X POST ${stack.url}/runs -H 'content-type: application/json' -d '{"agent":"research-assistant","message":"${question}"}'`,
    );
    if (uiUrl) console.log(`Temporal UI: ${uiUrl}`);
    console.log('Press Ctrl-C to stop.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await stack.stop();
    await closeLlm?.();
    await stopServer?.();
    return;
  }

  // One bus for the worker (its model-call activities publish token deltas to it) and the runner
  // (RunHandle.events() interleaves them with the run's durable events).
  const eventBus = new InMemoryEventBus();
  const taskQueue = 'agent-runtime-demo';
  console.log('Starting a worker (bundling workflow code takes a few seconds) ...');
  const worker = await createAgentWorker({
    address,
    taskQueue,
    workflowsPath: require.resolve('../examples/workflows'),
    activities: { llm, eventBus, tools: exampleTools, steps: exampleSteps },
  });
  const runner = new AgentRunner({ config: { address, taskQueue }, eventBus });
  const suffix = randomUUID().slice(0, 8);
  const runIds: string[] = [];
  let failed = false;

  const work = async () => {
    // 1. A tool-calling agent with streamed model calls.
    const runId = `demo-${suffix}`;
    runIds.push(runId);
    const handle = await runner.start({
      agent: 'research-assistant',
      runId,
      inputData: { messages: [{ role: 'user', content: question }] },
    });
    console.log(`\n[1/2] research-assistant: run ${runId} asks "${question}"`);
    const result = await printRun(handle, uiUrl);
    failed ||= result.error !== undefined && result.error !== null;

    // 2. A durable multi-step job with progress.
    const digestId = `demo-digest-${suffix}`;
    runIds.push(digestId);
    const digest = await runner.start({
      agent: 'docs-digest',
      runId: digestId,
      inputData: { messages: [] },
    });
    console.log(`\n[2/2] docs-digest: run ${digestId}, three steps on the worker`);
    const digestResult = await printRun(digest, uiUrl);
    failed ||= digestResult.error !== undefined && digestResult.error !== null;
    if (!json) console.log(`digest: ${JSON.stringify(digestResult.finalOutput.digest)}`);

    console.log('');
    for (const id of runIds) {
      if (uiUrl)
        console.log(
          `Inspect run ${id} in the Temporal Web UI: ${uiUrl}/namespaces/default/workflows/${id}`,
        );
      else
        console.log(
          `Inspect run ${id}: temporal workflow show --workflow-id ${id} --address ${address}`,
        );
    }
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
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
