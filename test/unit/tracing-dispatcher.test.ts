// TraceDispatcher: trace() never throws or waits; each sink's failures, timeouts and overflow are
// counted; a hanging sink holds up neither the caller nor the other sinks.
import { ConsoleTraceSink, TraceDispatcher, type TraceEvent } from '../../src/tracing/trace-sink';
import { configure, resetConfig } from '../../src/config';

function event(n: number): TraceEvent {
  return { type: 'run.start', runId: `r${n}`, agentKey: 'a', attempt: 1, timestamp: 'now' };
}

afterEach(() => resetConfig());

test('a throwing, a rejecting and a hanging sink cost the caller nothing; a good sink gets every event', async () => {
  const got: string[] = [];
  let hangingCalls = 0;
  const d = new TraceDispatcher(
    [
      {
        trace: () => {
          throw new Error('sink down');
        },
      },
      { trace: () => Promise.reject(new Error('rejected')) },
      {
        trace: () => {
          hangingCalls++;
          return new Promise<void>(() => undefined);
        },
      },
      { trace: (e) => void got.push(e.runId) },
    ],
    { sinkTimeoutMs: 50 },
  );
  const started = performance.now();
  for (let i = 0; i < 3; i++) d.trace(event(i));
  // Synchronous and immediate: no sink has even been called yet.
  expect(performance.now() - started).toBeLessThan(20);
  expect(got).toEqual([]);
  await d.flush(2000);
  expect(got).toEqual(['r0', 'r1', 'r2']);
  expect(hangingCalls).toBe(3);
  expect(d.stats()).toEqual({ delivered: 3, errors: 6, timedOut: 3, dropped: 0 });
});

test('a full buffer drops the oldest events and counts them', async () => {
  const got: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const d = new TraceDispatcher(
    [
      {
        trace: async (e) => {
          await gate;
          got.push(e.runId);
        },
      },
    ],
    { bufferSize: 2, sinkTimeoutMs: 5000 },
  );
  for (let i = 0; i < 6; i++) d.trace(event(i));
  release();
  await d.flush(2000);
  // Six queued into a buffer of two: four dropped, the newest two delivered.
  expect(d.stats().dropped).toBe(4);
  expect(got).toEqual(['r4', 'r5']);
});

test('bad options throw at construction', () => {
  expect(() => new TraceDispatcher([], { bufferSize: 0 })).toThrow(RangeError);
  expect(() => new TraceDispatcher([], { sinkTimeoutMs: -1 })).toThrow(RangeError);
});

test('the console sink writes one JSON line per event', () => {
  const lines: string[] = [];
  new ConsoleTraceSink({ write: (l) => lines.push(l) }).trace(event(7));
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!.replace('[agent-trace] ', ''))).toMatchObject({ runId: 'r7' });
});

test('configure() takes trace sinks and rejects objects that are not sinks', () => {
  const sink = { trace: () => undefined };
  expect(configure({ traceSinks: [sink] }, {}).traceSinks).toEqual([sink]);
  expect(() => configure({ traceSinks: [{} as never] }, {})).toThrow(/trace\(event\)/);
  expect(configure({}, { AGENT_RUNTIME_TRACING_BACKEND: 'console' }).tracingBackend).toBe(
    'console',
  );
});

test('AgentMetrics counts tool errors, step retries, cost and runs by outcome', async () => {
  const { AgentMetrics } = await import('../../src/tracing/metrics');
  const m = new AgentMetrics();
  const base = { runId: 'r', timestamp: 't', latencyMs: 5 };
  m.observe({
    type: 'tool.call',
    ...base,
    tool: 'x',
    toolCallId: 'c',
    attempt: 1,
    error: { type: 'TOOL_ERROR', message: 'no' },
  });
  m.observe({ type: 'tool.call', ...base, tool: 'x', toolCallId: 'c', attempt: 2 });
  m.observe({ type: 'step', ...base, step: 's', stepIndex: 0, attempt: 2 });
  m.observe({
    type: 'model.call',
    ...base,
    turn: 1,
    attempt: 1,
    model: 'm',
    stream: false,
    promptTokens: 3,
    completionTokens: 2,
    totalTokens: 5,
    costUsd: 0.5,
  });
  m.observe({
    type: 'run.end',
    runId: 'r',
    timestamp: 't',
    agentKey: 'a',
    status: 'failed',
    promptTokens: 3,
    completionTokens: 2,
    totalTokens: 5,
  });
  const text = await m.registry.metrics();
  expect(text).toContain('agent_runtime_tool_calls_total{tool="x",outcome="error"} 1');
  expect(text).toContain('agent_runtime_tool_calls_total{tool="x",outcome="ok"} 1');
  expect(text).toContain('agent_runtime_step_retries_total{step="s"} 1');
  expect(text).toContain('agent_runtime_cost_usd_total{model="m"} 0.5');
  expect(text).toContain('agent_runtime_runs_total{agent="a",outcome="failed"} 1');
});
