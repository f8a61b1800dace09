// Benchmark: how large does a run's Temporal history grow with the number of tool turns? Run:
// `npm run bench:history` (BENCH_LARGE=1 adds N = 300; BENCH_TURNS=10,50 picks the Ns;
// BENCH_SUGGEST_CAN=400 makes the server suggest continue-as-new past 400 events; the CaN column
// counts each run's continue-as-new, history bytes and events are summed over its executions;
// BENCH_BREAKDOWN=1 prints where the bytes go for every N, not only the largest, and
// BENCH_BREAKDOWN=events splits Temporal's own events by type; BENCH_EVENTS=1 gives the worker an
// event bus and the runs `persistence: { runEvents: true }`). One process: a dev server (child), the local
// model server and a worker. A ToolCallingAgent makes N tool calls (2 KB of arguments, 2 KB of
// result each), then answers. For each N, two runs side by side on the same worker:
// - full: `modelCall.transcript: 'full'`, every model call carries the whole conversation (the
//   behaviour of runs recorded before transcripts by reference; the baseline);
// - reference: the default, a model call carries the messages new since the previous call and a
//   reference to the transcript the worker keeps;
// - local: reference, with the tool declared `local: true` (each call a local activity, whose
//   result is the only trace it leaves in history).
// History bytes are the serialized `fetchHistory()`; transcript bytes are the JSON of the run's
// final conversation. Targets: history <= 1.5x transcript at N = 100, and the ratio at N = 300
// at most 10 % above the ratio at N = 30 (linear growth). The byte counts are deterministic (the
// model's script and the run's code fix them), so each mode runs once per N.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { AgentRunner } from '../src/client/runner';
import { OpenAIClient } from '../src/llm/openai';
import type { RecordedRequest, ScriptedReply } from '../src/testing/llm-server';
import { startMockLLMServer } from '../src/testing/llm-server';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { InMemoryTranscriptStore } from '../src/transcripts';
import { InMemoryEventBus } from '../src/events/memory';
import { createAgentWorker } from '../worker';
import { PAYLOAD_CHARS, fetchChunk, fetchChunkLocal } from './history-agent';

type Mode = 'full' | 'reference' | 'local';

/** BENCH_EVENTS=1: runs also persist their events (an event bus on the worker, `runEvents`). */
const EVENTS = Boolean(process.env.BENCH_EVENTS);

/**
 * The in-memory transcript store, declared durable and shared (see the worker below): the one
 * worker never restarts, and the runners in this process read the same object.
 */
class DurableMemoryTranscripts extends InMemoryTranscriptStore {
  override readonly durable = true;
  override readonly shared = true;
}

/** Temporal terminates a run whose history passes 50 MiB; the full mode gets there near N = 150. */
const FULL_MODE_MAX_TURNS = 100;

function turnsToRun(): number[] {
  if (process.env.BENCH_TURNS) return process.env.BENCH_TURNS.split(',').map(Number);
  return process.env.BENCH_LARGE ? [10, 30, 100, 300] : [10, 30, 100];
}

/** The model: calls `fetch_chunk` until the conversation holds N tool results, then answers. */
function reply(request: RecordedRequest): ScriptedReply {
  const body = request.body as {
    messages: { role: string; content?: unknown }[];
    tools?: { function: { name: string } }[];
  };
  const turns = Number(/turns=(\d+)/.exec(String(body.messages[1]?.content))?.[1] ?? 0);
  const done = body.messages.filter((m) => m.role === 'tool').length;
  if (done >= turns) return { type: 'text', content: `Fetched ${done} chunks.` };
  // {"after":"…"} is PAYLOAD_CHARS long.
  const after = `${done}:`.padEnd(PAYLOAD_CHARS - 12, 'a');
  const name = body.tools?.[0]?.function.name ?? fetchChunk.name;
  return { type: 'tool_calls', toolCalls: [{ name, arguments: { after } }] };
}

interface Measurement {
  historyBytes: number;
  events: number;
  transcriptBytes: number;
  /** How many times the run continued as new (its executions - 1); bytes and events are summed. */
  continues: number;
  seconds: number;
  /** Bytes per category (activity type + input/result, or `other`). */
  breakdown: Map<string, number>;
}

const History = temporal.api.history.v1.History;
const HistoryEvent = temporal.api.history.v1.HistoryEvent;

async function measure(
  runners: Record<'full' | 'reference', AgentRunner>,
  turns: number,
  mode: Mode,
): Promise<Measurement> {
  const runner = runners[mode === 'full' ? 'full' : 'reference'];
  const started = Date.now();
  const handle = await runner.start({
    agent: mode === 'local' ? 'history-bench-local' : 'history-bench',
    runId: `bench-history-${mode}-${turns}-${randomUUID()}`,
    inputData: { messages: [{ role: 'user', content: `Fetch the chunks: turns=${turns}` }] },
  });
  const result = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  // The run's executions, first to last (a run continues as new past its history thresholds).
  const chain = await executionChain(handle.workflow);
  const activityOf = new Map<number, string>();
  const breakdown = new Map<string, number>();
  const add = (key: string, n: number) => breakdown.set(key, (breakdown.get(key) ?? 0) + n);
  for (const e of chain.flatMap((h) => h.events ?? [])) {
    const size = HistoryEvent.encode(e).finish().length;
    const scheduled = e.activityTaskScheduledEventAttributes;
    const completed = e.activityTaskCompletedEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      activityOf.set(Number(e.eventId), type);
      add(`${type} input`, size);
    } else if (completed) {
      add(`${activityOf.get(Number(completed.scheduledEventId)) ?? '?'} result`, size);
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const data = e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
      const type = data
        ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string })
            .activity_type
        : undefined;
      add(`${type ?? '?'} (local) result`, size);
    } else if (e.workflowExecutionCompletedEventAttributes) add('run result', size);
    else if (e.workflowExecutionStartedEventAttributes) add('run input', size);
    else
      add(
        process.env.BENCH_BREAKDOWN === 'events'
          ? `other: ${temporal.api.enums.v1.EventType[e.eventType ?? 0]}`
          : 'other events',
        size,
      );
  }
  if (process.env.BENCH_DUMP && mode !== 'full') dumpHistory(chain, `${mode}-${turns}`);
  return {
    historyBytes: chain.reduce((n, h) => n + History.encode(h).finish().length, 0),
    events: chain.reduce((n, h) => n + (h.events?.length ?? 0), 0),
    continues: chain.length - 1,
    transcriptBytes: Buffer.byteLength(JSON.stringify(result.finalMessages)),
    seconds,
    breakdown,
  };
}

/**
 * The histories of a run's executions, first to last: from the current execution back through
 * each started event's `continuedExecutionRunId`. Throws on an empty history, so a broken walk
 * cannot report 0 bytes as a met target.
 */
async function executionChain(
  workflow: WorkflowHandle,
): Promise<temporal.api.history.v1.IHistory[]> {
  const out: temporal.api.history.v1.IHistory[] = [];
  let runId: string | undefined = (await workflow.describe()).runId;
  while (runId) {
    const h: temporal.api.history.v1.IHistory = await workflow.client
      .getHandle(workflow.workflowId, runId)
      .fetchHistory();
    if (!h.events?.length)
      throw new Error(`execution ${runId} of ${workflow.workflowId} has no history`);
    out.unshift(h);
    const first: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes | undefined =
      h.events[0]?.workflowExecutionStartedEventAttributes ?? undefined;
    runId = first?.continuedExecutionRunId || undefined;
  }
  return out;
}

/**
 * BENCH_DUMP=<dir>: writes the reference and local runs' histories as JSON (payload data decoded
 * to text) to `<dir>/history-<mode>-<N>.json`, to see what each event carries.
 */
function dumpHistory(chain: temporal.api.history.v1.IHistory[], name: string): void {
  const text = JSON.stringify(
    chain
      .flatMap((h) => h.events ?? [])
      .map((e) =>
        HistoryEvent.toObject(HistoryEvent.fromObject(e), {
          enums: String,
          longs: String,
          bytes: String,
        }),
      ),
    (key, value: unknown) =>
      key === 'data' && typeof value === 'string'
        ? Buffer.from(value, 'base64').toString('utf8')
        : value,
    1,
  );
  writeFileSync(join(process.env.BENCH_DUMP ?? '.', `history-${name}.json`), text);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const ns = turnsToRun();
  console.log(
    `history: ToolCallingAgent, N tool turns of ${PAYLOAD_CHARS} B arguments + ${PAYLOAD_CHARS} B results, N = ${ns.join(', ')}`,
  );
  // BENCH_SUGGEST_CAN=<events>: the server suggests continue-as-new past that many events.
  const suggest = process.env.BENCH_SUGGEST_CAN;
  const dev = await startTemporalDevServer(
    suggest
      ? {
          extraArgs: [
            '--dynamic-config-value',
            `limit.historyCount.suggestContinueAsNew=${Number(suggest)}`,
          ],
        }
      : {},
  );
  const server = await startMockLLMServer();
  server.setHandler(reply);
  const llm = new OpenAIClient({ apiKey: 'sk-bench', baseURL: server.openaiBaseURL });
  // Histories of the full mode pass the client's default 4 MB gRPC message limit.
  const connection = await Connection.connect({
    address: dev.address,
    channelArgs: { 'grpc.max_receive_message_length': 512 * 1024 * 1024 },
  });
  const native = await NativeConnection.connect({ address: dev.address });
  const client = new Client({ connection });
  const taskQueue = `bench-history-${randomUUID()}`;
  const transcriptStore = new DurableMemoryTranscripts();
  const worker = await createAgentWorker({
    connection: native,
    taskQueue,
    workflowsPath: require.resolve('./history-workflows'),
    // Durable as a Postgres or Redis store is (this single worker never restarts), so runs that
    // continue as new carry their conversation by reference, as they would in production.
    activities: {
      llm,
      tools: [fetchChunk, fetchChunkLocal],
      transcriptStore,
      ...(EVENTS ? { eventBus: new InMemoryEventBus() } : {}),
    },
  });
  const runners: Record<'full' | 'reference', AgentRunner> = {
    full: new AgentRunner({
      client,
      config: { taskQueue, runTimeout: '30m', modelCall: { transcript: 'full' } },
    }),
    reference: new AgentRunner({
      client,
      transcriptStore,
      config: { taskQueue, runTimeout: '30m' },
      ...(EVENTS ? { persistence: { runEvents: true } } : {}),
    }),
  };
  const rows: { n: number; full?: Measurement; ref: Measurement; local: Measurement }[] = [];
  try {
    await worker.runUntil(async () => {
      for (const n of ns) {
        // Interleaved: the two modes of one N run back to back on the same worker.
        const full = n <= FULL_MODE_MAX_TURNS ? await measure(runners, n, 'full') : undefined;
        const ref = await measure(runners, n, 'reference');
        const local = await measure(runners, n, 'local');
        rows.push({ n, ref, local, ...(full ? { full } : {}) });
        console.log(`  N = ${n} done`);
      }
    });
  } finally {
    await connection.close();
    await native.close();
    await server.close();
    await dev.stop();
  }

  const ratio = (m: Measurement) => m.historyBytes / m.transcriptBytes;
  const cols = (m: Measurement) =>
    `${kib(m.historyBytes).padStart(12)} ${String(m.events).padStart(6)} ${ratio(m).toFixed(2).padStart(5)} ${String(m.continues).padStart(3)}`;
  console.log(
    '\n     N  transcript |   full: history events ratio |   reference: history events ratio CaN |  local tool: history events ratio CaN',
  );
  for (const { n, full, ref, local } of rows) {
    const fullCols = full
      ? `${kib(full.historyBytes).padStart(14)} ${String(full.events).padStart(6)} ${ratio(full).toFixed(2).padStart(5)}`
      : `${'(over 50 MiB)'.padStart(14)} ${''.padStart(6)} ${''.padStart(5)}`;
    console.log(
      `${String(n).padStart(6)} ${kib(ref.transcriptBytes).padStart(11)} | ${fullCols} | ${cols(ref).padStart(36)} | ${cols(local).padStart(36)}`,
    );
  }
  console.log('\nwhere the bytes go (share of the history):');
  const shown = process.env.BENCH_BREAKDOWN ? rows : rows.slice(-1);
  for (const { n, full, ref, local } of shown) {
    for (const [mode, m] of [
      ['full', full],
      ['reference', ref],
      ['local tool', local],
    ] as const) {
      if (!m) continue;
      const parts = [...m.breakdown]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${((100 * v) / m.historyBytes).toFixed(0)}% (${kib(v)})`);
      console.log(`N = ${n} ${mode}: ${parts.join(', ')}`);
    }
  }
  for (const mode of ['ref', 'local'] as const) {
    const label = mode === 'ref' ? 'reference (activity tool)' : 'reference, local tool';
    const at = (n: number) => rows.find((r) => r.n === n)?.[mode];
    const r100 = at(100);
    if (r100) {
      const x = ratio(r100);
      console.log(
        `${label}: target history <= 1.5x transcript at N = 100: ${x <= 1.5 ? 'met' : 'NOT met'} (${x.toFixed(2)}x)`,
      );
    }
    const r30 = at(30);
    const r300 = at(300);
    if (r30 && r300) {
      const growth = ratio(r300) / ratio(r30) - 1;
      console.log(
        `${label}: target ratio at N = 300 <= 1.1x the ratio at N = 30: ${growth <= 0.1 ? 'met' : 'NOT met'} (${(100 * growth).toFixed(1)} %)`,
      );
    } else console.log(`${label}: (set BENCH_LARGE=1 for N = 300 and the linearity target)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
