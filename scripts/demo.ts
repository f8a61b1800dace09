// `npm run demo`: durable agent runs end to end on an embedded setup. Starts a Temporal dev
// server with its Web UI (or uses TEMPORAL_ADDRESS), a worker in this process with the example
// tools and step functions, and an in-memory event bus shared by the worker and the runner, so
// the model's tokens show live. Then it runs the tool-calling ResearchAssistant (streamed model
// call -> `search_docs` tool call as a durable activity -> streamed final answer) and the
// three-step DocsDigestAgent (steps with progress), printing their events as they happen.
// Without OPENAI_API_KEY the model is a local server speaking the OpenAI wire format, scripted
// here to make the same tool-call round trip a real model would. `--keep` leaves the server, UI
// and worker running; a non-flag argument is the question asked.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AgentRunner, type RunHandle } from '../src/client/runner';
import { EventType } from '../src/core/events';
import type { RunEvent } from '../src/core/types';
import { InMemoryEventBus } from '../src/events';
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

/** One line for a durable event, payload shortened. */
function describe(ev: RunEvent): string {
  const payload = JSON.stringify(ev.payload);
  const short = payload.length > 160 ? `${payload.slice(0, 157)}...` : payload;
  return `  #${ev.seq} ${ev.type} ${short}`;
}

/** Prints a run's events as they come: deltas inline as one growing line, durable events one a line. */
async function printEvents(handle: RunHandle): Promise<{ deltas: number }> {
  let streaming = false;
  let deltas = 0;
  for await (const ev of handle.events()) {
    if (ev.type === EventType.ASSISTANT_DELTA) {
      if (!streaming) process.stdout.write('  ~ streaming: ');
      streaming = true;
      deltas += 1;
      const delta = (ev.payload as { delta?: unknown }).delta;
      process.stdout.write(typeof delta === 'string' ? delta : '');
      continue;
    }
    if (streaming) process.stdout.write('\n');
    streaming = false;
    if (ev.type === EventType.ASSISTANT_RETRY) {
      console.log('  ~ (the model call is retried: its streamed text so far is dropped)');
      continue;
    }
    console.log(describe(ev));
  }
  if (streaming) process.stdout.write('\n');
  return { deltas };
}

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
    console.log(`\n[1/2] research-assistant: run ${runId} asks "${question}". Events:`);
    const { deltas } = await printEvents(handle);
    const result = await handle.result();
    failed ||= result.error !== undefined && result.error !== null;
    console.log(`\nResult (${deltas} streamed deltas shown above):`);
    console.log(
      JSON.stringify(
        { finalOutput: result.finalOutput, usage: result.usage, error: result.error },
        null,
        2,
      ),
    );

    // 2. A durable multi-step job with progress.
    const digestId = `demo-digest-${suffix}`;
    runIds.push(digestId);
    const digest = await runner.start({
      agent: 'docs-digest',
      runId: digestId,
      inputData: { messages: [] },
    });
    console.log(`\n[2/2] docs-digest: run ${digestId}, three steps on the worker. Events:`);
    await printEvents(digest);
    const digestResult = await digest.result();
    failed ||= digestResult.error !== undefined && digestResult.error !== null;
    console.log('\nResult:');
    console.log(
      JSON.stringify({ finalOutput: digestResult.finalOutput, error: digestResult.error }, null, 2),
    );

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
