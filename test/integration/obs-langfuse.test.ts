// Langfuse: with `langfuseEnabled`, a worker sends its spans to Langfuse's OpenTelemetry endpoint
// (here a local HTTP server standing in for the Langfuse host), authenticated with the public and
// secret key; model calls arrive as generations with usage and cost, and with `langfuseMask` no
// prompt text arrives. Real Temporal dev server; the official openai client.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgentWorker } from '../../worker';
import { AgentRunner } from '../../src/client/runner';
import { configure, resetConfig } from '../../src/config';
import { OpenAIClient } from '../../src/llm/openai';
import {
  type ScriptedReply,
  startMockLLMServer,
  type MockLLMServer,
} from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { obsAdd, obsFlakyLookup } from '../fixtures/obs-agents';
import { obsSteps } from '../fixtures/obs-steps';
import { connectTestEnv, uniqueQueue, type TestEnv } from './helpers';
import { waitUntil } from './tools-helpers';

interface Received {
  path: string;
  authorization: string;
  body: string;
}

let env: TestEnv;
let llm: MockLLMServer;
let langfuse: Server;
let host: string;
const received: Received[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  llm = await startMockLLMServer();
  langfuse = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        authorization: String(req.headers.authorization ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => langfuse.listen(0, '127.0.0.1', resolve));
  host = `http://127.0.0.1:${(langfuse.address() as AddressInfo).port}`;
});
afterAll(async () => {
  resetConfig();
  await new Promise((resolve) => langfuse?.close(resolve));
  await llm?.close();
  await env?.close();
});

type Attr = { key: string; value: Record<string, unknown> };
type OtlpSpan = { name: string; attributes?: Attr[] };

function spansOf(bodies: Received[]): { name: string; attrs: Record<string, unknown> }[] {
  return bodies.flatMap((r) => {
    const body = JSON.parse(r.body) as {
      resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
    };
    return (body.resourceSpans ?? []).flatMap((rs) =>
      (rs.scopeSpans ?? []).flatMap((ss) =>
        (ss.spans ?? []).map((s) => ({
          name: s.name,
          attrs: Object.fromEntries(
            (s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
          ),
        })),
      ),
    );
  });
}

async function runOnce(
  mask: boolean,
  prompt: string,
  agent = 'obs-traced',
  replies: ScriptedReply[] = [
    {
      type: 'text',
      content: 'The answer text.',
      model: 'test-model',
      usage: { promptTokens: 40, completionTokens: 10 },
    },
  ],
): Promise<string> {
  configure({
    langfuseEnabled: true,
    langfusePublicKey: 'pk-lf-test',
    langfuseSecretKey: 'sk-lf-test',
    langfuseHost: host,
    langfuseMask: mask,
  });
  const taskQueue = uniqueQueue('obs-langfuse');
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/obs-workflows'),
    activities: {
      llm: new OpenAIClient({
        apiKey: 'sk-test',
        baseURL: llm.openaiBaseURL,
        defaultModel: 'test-model',
      }),
      tools: new ToolRegistry([
        obsAdd.implement(({ a, b }) => ({ sum: a + b })),
        obsFlakyLookup.implement(({ key }) => ({ key })),
      ]),
      steps: obsSteps,
      modelPrices: { 'test-model': { promptPerMillion: 1000, completionPerMillion: 2000 } },
    },
  });
  llm.enqueue(...replies);
  const runId = `obs-langfuse-${randomUUID()}`;
  const runner = new AgentRunner({ client: env.client, config: { taskQueue } });
  await worker.runUntil(
    runner.execute({
      agent,
      runId,
      inputData: { messages: [{ role: 'user', content: prompt }] },
    }),
  );
  return runId;
}

test('generations reach the Langfuse OTel endpoint with usage, cost and Basic auth; masking drops prompt text', async () => {
  const runId = await runOnce(false, 'plain prompt words');
  const mine = () =>
    spansOf(received).filter(
      (s) =>
        s.attrs['agent_runtime.run_id'] === runId && s.attrs['gen_ai.operation.name'] === 'chat',
    );
  await waitUntil(() => mine().length === 1, 15_000, 'the generation at Langfuse');
  expect(new Set(received.map((r) => r.path))).toEqual(new Set(['/api/public/otel/v1/traces']));
  const basic = `Basic ${Buffer.from('pk-lf-test:sk-lf-test').toString('base64')}`;
  expect(received.every((r) => r.authorization === basic)).toBe(true);
  const gen = mine()[0]!.attrs;
  expect(gen['langfuse.observation.type']).toBe('generation');
  expect(gen['gen_ai.usage.input_tokens']).toBe(40);
  expect(gen['gen_ai.usage.output_tokens']).toBe(10);
  expect(JSON.parse(String(gen['langfuse.observation.usage_details']))).toEqual({
    input: 40,
    output: 10,
    total: 50,
  });
  // 40 × $1000/M + 10 × $2000/M = $0.06
  const cost = JSON.parse(String(gen['langfuse.observation.cost_details'])) as { total: number };
  expect(cost.total).toBeCloseTo(0.06, 9);
  expect(String(gen['langfuse.observation.input'])).toContain('plain prompt words');
  expect(String(gen['langfuse.observation.output'])).toContain('The answer text.');
  // The workflow's span went too (one trace: the run's).
  await waitUntil(
    () => spansOf(received).some((s) => s.name === 'RunWorkflow:agentRunWorkflow'),
    15_000,
    'the workflow span',
  );

  received.length = 0;
  const maskedRun = await runOnce(true, 'secret prompt words');
  await waitUntil(
    () =>
      spansOf(received).some(
        (s) =>
          s.attrs['agent_runtime.run_id'] === maskedRun &&
          s.attrs['gen_ai.operation.name'] === 'chat',
      ),
    15_000,
    'the masked generation',
  );
  const all = received.map((r) => r.body).join('\n');
  expect(all).not.toContain('secret prompt words');
  expect(all).not.toContain('The answer text.');
  expect(all).toContain('gen_ai.usage.input_tokens');
}, 120_000);

test('a model call by reference records its input as the model got it: tool results filled in, not empty', async () => {
  const runId = await runOnce(false, 'add two and three', 'obs-tool-loop', [
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_sum', name: 'obs_add', arguments: { a: 2, b: 3 } }],
    },
    { type: 'text', content: 'Five.' },
  ]);
  const chats = () =>
    spansOf(received).filter(
      (s) =>
        s.attrs['agent_runtime.run_id'] === runId && s.attrs['gen_ai.operation.name'] === 'chat',
    );
  await waitUntil(() => chats().length === 2, 15_000, 'both generations at Langfuse');
  const second = chats().find((s) => String(s.attrs['agent_runtime.turn']) === '2');
  // The call sent the tool result by reference (empty in its activity input); the recorded
  // input is what the model was shown.
  const input = JSON.parse(String(second?.attrs['gen_ai.input.messages'])) as {
    role: string;
    content?: string;
  }[];
  expect(input).toEqual([
    expect.objectContaining({ role: 'tool', tool_call_id: 'call_sum', content: '{"sum":5}' }),
  ]);
  expect(second?.attrs['langfuse.observation.input']).toBe(second?.attrs['gen_ai.input.messages']);
}, 120_000);
