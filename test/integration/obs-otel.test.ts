// OpenTelemetry and trace sinks on real runs: a local OTLP/HTTP receiver (the JSON protocol the
// official exporter speaks) gets one trace per run whose client, workflow and activity spans are
// linked, with GenAI attributes on model calls and a retried tool attempt visible as such.
// Real Temporal dev server; the official openai client against the local LLM server.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { AgentMetrics, createAgentWorker, serveMetrics } from '../../worker';
import { AgentRunner } from '../../src/client/runner';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import type { TraceEvent } from '../../src/tracing/trace-sink';
import { obsAdd, obsFlakyLookup } from '../fixtures/obs-agents';
import { obsSteps } from '../fixtures/obs-steps';
import { connectTestEnv, uniqueQueue, type TestEnv } from './helpers';
import { waitUntil } from './tools-helpers';

/** One span as the OTLP/JSON body carries it, attributes flattened. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  statusCode: number;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
};

function valueOf(v: OtlpValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

/** A minimal OTLP/HTTP trace receiver: accepts JSON POSTs to /v1/traces. */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  requests: { path: string; contentType: string }[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']) });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: {
          scopeSpans?: {
            spans?: {
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              name: string;
              attributes?: { key: string; value: OtlpValue }[];
              status?: { code?: number };
            }[];
          }[];
        }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              attributes: Object.fromEntries(
                (s.attributes ?? []).map((a) => [a.key, valueOf(a.value)]),
              ),
              statusCode: s.status?.code ?? 0,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let env: TestEnv;
let llm: MockLLMServer;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let provider: NodeTracerProvider;
let processor: SimpleSpanProcessor;

beforeAll(async () => {
  env = await connectTestEnv();
  llm = await startMockLLMServer();
  receiver = await startOtlpReceiver();
  // One processor for the provider (client and activity spans) and the worker (workflow spans).
  processor = new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }));
  provider = new NodeTracerProvider({ spanProcessors: [processor] });
  // Sets the global tracer provider, context manager and W3C propagator, as users do.
  provider.register();
});
afterAll(async () => {
  await provider?.shutdown();
  await receiver?.close();
  await llm?.close();
  await env?.close();
});

const lookupAttempts = new Map<string, number>();

function workerTools(): ToolRegistry {
  return new ToolRegistry([
    obsAdd.implement(({ a, b }) => ({ sum: a + b })),
    obsFlakyLookup.implement(({ key }, ctx) => {
      lookupAttempts.set(key, ctx.attempt);
      if (ctx.attempt === 1) throw new Error('lookup backend busy');
      return { key, value: 'found' };
    }),
  ]);
}

test('one trace per run links client, workflow and activity spans, with gen_ai attributes', async () => {
  const taskQueue = uniqueQueue('obs-otel');
  const events: TraceEvent[] = [];
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
      tools: workerTools(),
      steps: obsSteps,
    },
    openTelemetry: { spanProcessor: processor, tracerProvider: provider },
    traceSinks: [{ trace: (e) => void events.push(e) }],
  });
  const client = new Client({
    connection: env.connection,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  const runner = new AgentRunner({ client, config: { taskQueue } });
  llm.enqueue(
    {
      type: 'tool_calls',
      model: 'test-model',
      toolCalls: [
        { id: 'call_add', name: 'obs_add', arguments: { a: 2, b: 3 } },
        { id: 'call_lookup', name: 'obs_flaky_lookup', arguments: { key: 'k1' } },
      ],
      usage: { promptTokens: 11, completionTokens: 7 },
    },
    {
      type: 'text',
      content: 'All done.',
      model: 'test-model',
      usage: { promptTokens: 20, completionTokens: 3 },
    },
  );
  const runId = `obs-otel-${randomUUID()}`;
  const result = await worker.runUntil(
    runner.execute({
      agent: 'obs-traced',
      runId,
      inputData: { messages: [{ role: 'user', content: 'add and look up' }] },
    }),
  );
  expect(result.finalOutput).toEqual({ response: 'All done.' });
  expect(lookupAttempts.get('k1')).toBe(2);
  await provider.forceFlush();

  const runSpans = () =>
    receiver.spans.filter((s) => s.attributes['agent_runtime.run_id'] === runId);
  await waitUntil(() => runSpans().length >= 6, 10_000, 'the GenAI spans');
  const clientStart = receiver.spans.find(
    (s) => s.name === 'StartWorkflow:agentRunWorkflow' && s.parentSpanId === '',
  );
  await waitUntil(
    () => receiver.spans.some((s) => s.name === 'RunWorkflow:agentRunWorkflow'),
    10_000,
    'the workflow span',
  );
  expect(clientStart).toBeDefined();
  const traceId = clientStart!.traceId;
  const trace = receiver.spans.filter((s) => s.traceId === traceId);
  // Every span of this run is in the client's trace: one trace per run.
  for (const s of runSpans()) expect(s.traceId).toBe(traceId);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const ancestors = (s: ReceivedSpan): string[] => {
    const out: string[] = [];
    for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p.name);
    return out;
  };
  const names = trace.map((s) => s.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'RunWorkflow:agentRunWorkflow',
      'StartActivity:invokeModel',
      'RunActivity:invokeModel',
    ]),
  );

  // Model calls: streamed, with the GenAI attributes, under client → workflow → activity.
  const chats = trace.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
  expect(chats).toHaveLength(2);
  for (const chat of chats) {
    expect(chat.name).toBe('chat');
    expect(chat.attributes['gen_ai.response.model']).toBe('test-model');
    expect(chat.attributes['agent_runtime.stream']).toBe(true);
    expect(ancestors(chat).slice(0, 2)).toEqual([
      'RunActivity:invokeModel',
      'StartActivity:invokeModel',
    ]);
    expect(ancestors(chat)).toEqual(
      expect.arrayContaining(['RunWorkflow:agentRunWorkflow', 'StartWorkflow:agentRunWorkflow']),
    );
  }
  const first = chats.find((c) => c.attributes['agent_runtime.turn'] === 1)!;
  expect(first.attributes['gen_ai.usage.input_tokens']).toBe(11);
  expect(first.attributes['gen_ai.usage.output_tokens']).toBe(7);
  expect(first.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
  const second = chats.find((c) => c.attributes['agent_runtime.turn'] === 2)!;
  expect(second.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);

  // Tool calls: the failed attempt and its retry are two spans, marked by attempt.
  const tools = trace.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
  const lookups = tools
    .filter((s) => s.attributes['gen_ai.tool.name'] === 'obs_flaky_lookup')
    .sort(
      (a, b) =>
        Number(a.attributes['temporal.activity.attempt']) -
        Number(b.attributes['temporal.activity.attempt']),
    );
  expect(lookups.map((s) => s.attributes['temporal.activity.attempt'])).toEqual([1, 2]);
  expect(lookups[0]!.statusCode).toBe(2); // ERROR
  expect(lookups[0]!.attributes['error.type']).toBe('TOOL_ERROR');
  expect(lookups[1]!.attributes['agent_runtime.retry']).toBe(true);
  expect(lookups[1]!.statusCode).not.toBe(2);
  expect(tools.filter((s) => s.attributes['gen_ai.tool.name'] === 'obs_add')).toHaveLength(1);
  for (const t of tools) expect(ancestors(t)[0]).toBe('RunActivity:executeTool');

  // Steps.
  const steps = trace.filter((s) => s.name.startsWith('step '));
  expect(steps.map((s) => s.name).sort()).toEqual(['step prepare', 'step summarise']);
  for (const s of steps) expect(ancestors(s)).toContain('RunWorkflow:agentRunWorkflow');
  expect(receiver.requests.every((r) => r.contentType.startsWith('application/json'))).toBe(true);

  // The same run through the trace sink.
  await waitUntil(() => events.some((e) => e.type === 'run.end'), 5000, 'run.end');
  const types = events.filter((e) => e.runId === runId).map((e) => e.type);
  expect(types[0]).toBe('run.start');
  expect(types.filter((t) => t === 'model.call')).toHaveLength(2);
  expect(types.filter((t) => t === 'tool.call')).toHaveLength(3);
  expect(types.filter((t) => t === 'step')).toHaveLength(2);
  expect(types.filter((t) => t === 'error')).toHaveLength(1);
  const end = events.find((e) => e.type === 'run.end');
  expect(end).toMatchObject({
    status: 'succeeded',
    promptTokens: 31,
    completionTokens: 10,
    modelCalls: 2,
  });
  const call = events.find((e) => e.type === 'model.call');
  expect(call).toMatchObject({
    model: 'test-model',
    finishReason: 'tool_calls',
    promptTokens: 11,
    stream: true,
  });
}, 120_000);

test('a trace sink that throws and one that never settles do not fail or hold up the run', async () => {
  const taskQueue = uniqueQueue('obs-sinks');
  const events: TraceEvent[] = [];
  const metrics = new AgentMetrics();
  const endpoint = await serveMetrics(metrics.registry, { port: 0 });
  let hanging = 0;
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
      tools: workerTools(),
      steps: obsSteps,
    },
    traceSinks: [
      {
        trace: () => {
          throw new Error('sink down');
        },
      },
      {
        trace: () => {
          hanging++;
          return new Promise<void>(() => undefined);
        },
      },
      { trace: (e) => void events.push(e) },
    ],
    // Each hanging call would cost the run 30 s if the run waited for it.
    tracing: { sinkTimeoutMs: 30_000 },
    metrics,
  });
  const runner = new AgentRunner({ client: env.client, config: { taskQueue } });
  llm.enqueue({ type: 'text', content: 'Quick.', model: 'test-model' });
  const runId = `obs-sinks-${randomUUID()}`;
  const started = Date.now();
  const result = await worker.runUntil(
    runner.execute({
      agent: 'obs-traced',
      runId,
      inputData: { messages: [{ role: 'user', content: 'hi' }] },
    }),
  );
  const elapsed = Date.now() - started;
  expect(result.finalOutput).toEqual({ response: 'Quick.' });
  // One model call and the run start/end: far below one 30 s sink timeout.
  expect(elapsed).toBeLessThan(15_000);
  await waitUntil(
    () => events.some((e) => e.type === 'run.end' && e.runId === runId),
    5000,
    'run.end',
  );
  expect(hanging).toBeGreaterThanOrEqual(1);
  expect(events.filter((e) => e.runId === runId).map((e) => e.type)).toEqual([
    'run.start',
    'model.call',
    'run.end',
  ]);

  // The same run in the Prometheus metrics, scraped over HTTP.
  const res = await fetch(endpoint.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  await endpoint.close();
  expect(text).toContain('agent_runtime_runs_total{agent="obs-traced",outcome="succeeded"} 1');
  expect(text).toContain('agent_runtime_model_calls_total{model="test-model",outcome="ok"} 1');
  expect(text).toMatch(/agent_runtime_tokens_total\{model="test-model",kind="prompt"\} [1-9]/);
  expect(text).toContain('# TYPE agent_runtime_model_call_duration_seconds histogram');
}, 60_000);
