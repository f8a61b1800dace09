// Benchmark: how long does a streamed token take from the local LLM server to a RunHandle.events()
// consumer, through the official SDK, the invokeModel activity and the event bus? Run:
// `npm run bench:llm`. Everything runs in this one process (dev server as a child), so the server's
// send times and the consumer's receive times share one clock (performance.now()).
// Baseline, measured in the same run: the same server read directly by the SDK client (no run, no
// bus). Target: p50 < 20 ms through the in-memory bus.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { AgentRunner } from '../src/client/runner';
import { InMemoryEventBus, PostgresEventBus, RedisEventBus, type EventBus } from '../src/events';
import { OpenAIClient } from '../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../src/testing/llm-server';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { createAgentWorker } from '../worker';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WORDS = 60;
const CHUNK_DELAY_MS = 5;
const CONTENT = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ');

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] ?? NaN;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

/** Latencies of reading the stream with the SDK directly (no run, no bus). */
async function baseline(server: MockLLMServer, llm: OpenAIClient): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    server.reset();
    server.enqueue({ type: 'text', content: CONTENT, chunkDelayMs: CHUNK_DELAY_MS });
    let i = 0;
    const received: number[] = [];
    for await (const c of llm.stream([{ role: 'user', content: 'go' }])) {
      if (!c.delta) continue;
      received[i++] = performance.now();
    }
    const sent = server.requests[0]?.deltaSentAt ?? [];
    received.forEach((t, k) => out.push(t - (sent[k] ?? NaN)));
  }
  return out.filter(Number.isFinite);
}

/** Latencies from the server to a RunHandle.events() consumer through `bus`. */
async function throughRuns(
  server: MockLLMServer,
  runner: AgentRunner,
): Promise<{ latencies: number[]; delivered: number; expected: number }> {
  const out: number[] = [];
  let delivered = 0;
  for (let r = 0; r < RUNS; r++) {
    server.reset();
    // The headers wait 150 ms, so the watcher is subscribed before the first delta.
    server.enqueue({ type: 'text', content: CONTENT, chunkDelayMs: CHUNK_DELAY_MS, delayMs: 150 });
    const handle = await runner.start({
      agent: 'streaming',
      runId: `bench-${randomUUID()}`,
      inputData: { messages: [{ role: 'user', content: 'go' }] },
    });
    const received = new Map<number, number>();
    for await (const e of handle.events()) {
      if (e.type === 'assistant.delta' && e.payload.attempt === 1) {
        received.set(e.payload.index as number, performance.now());
      }
    }
    const sent = server.requests.find((q) => q.stream)?.deltaSentAt ?? [];
    for (const [index, at] of received) {
      const s = sent[index];
      if (s !== undefined) out.push(at - s);
    }
    delivered += received.size;
  }
  return { latencies: out, delivered, expected: RUNS * WORDS };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  console.log(
    `llm-stream-latency: ${RUNS} runs x ${WORDS} deltas, ${CHUNK_DELAY_MS} ms apart (one process)`,
  );
  const dev = await startTemporalDevServer();
  const server = await startMockLLMServer();
  const llm = new OpenAIClient({
    apiKey: 'sk-bench',
    baseURL: server.openaiBaseURL,
    defaultModel: 'bench',
  });
  const connection = await Connection.connect({ address: dev.address });
  const native = await NativeConnection.connect({ address: dev.address });
  const client = new Client({ connection });
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    max: 4,
  });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const buses: [string, EventBus][] = [
    ['memory', new InMemoryEventBus()],
    ['postgres', new PostgresEventBus({ pool })],
    ['redis', new RedisEventBus({ client: redis, keyPrefix: `bench-${randomUUID()}:` })],
  ];
  try {
    const base = await baseline(server, llm);
    const rows: [string, number[], string][] = [['SDK direct (baseline)', base, '']];
    for (const [name, bus] of buses) {
      const taskQueue = `bench-${randomUUID()}`;
      const worker = await createAgentWorker({
        connection: native,
        taskQueue,
        workflowsPath: require.resolve('./llm-stream-workflows'),
        activities: { llm, eventBus: bus },
      });
      const runner = new AgentRunner({ client, config: { taskQueue }, eventBus: bus });
      try {
        const r = await worker.runUntil(() => throughRuns(server, runner));
        rows.push([
          `run -> events() via ${name} bus`,
          r.latencies,
          `${r.delivered}/${r.expected} delivered`,
        ]);
      } catch (err) {
        rows.push([`run -> events() via ${name} bus`, [], `failed: ${(err as Error).message}`]);
      }
    }
    const p50base = percentile(base, 50);
    console.log('\npath                                  p50        p99     p50 / baseline');
    for (const [name, xs, note] of rows) {
      const p50 = percentile(xs, 50);
      console.log(
        `${name.padEnd(36)} ${fmt(p50).padStart(9)} ${fmt(percentile(xs, 99)).padStart(10)}   ${(p50 / p50base).toFixed(1).padStart(6)}x  ${note}`,
      );
    }
    const mem = rows.find((r) => r[0].includes('memory'));
    const p50mem = percentile(mem?.[1] ?? [], 50);
    console.log(
      `\ntarget p50 < 20 ms (memory bus): ${p50mem < 20 ? 'met' : 'NOT met'} (${fmt(p50mem)})`,
    );
  } finally {
    for (const [, bus] of buses) await bus.close();
    redis.disconnect();
    await pool.end();
    await connection.close();
    await native.close();
    await server.close();
    await dev.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
