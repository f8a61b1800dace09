// Records the replay histories of test/fixtures/histories/ (listed in
// test/fixtures/replay-histories.ts) from real runs on a dev server it starts:
// `npx tsx scripts/record-history.ts` records all of them, `… tools-approval.json steps.json` only
// those. A committed history stands for runs recorded by the code of its day, which must keep
// replaying: never re-record one after changing workflow code (the script refuses to overwrite
// a file unless given --overwrite); record a NEW fixture for the new code path instead (e.g.
// multi-turn.json is the whole-conversation path, tool-loop-by-reference.json the path by
// reference).
// Every run has a fixed workflow id and scripted inputs (MockLLMClient, in-memory stores); the
// script checks each run did what its history is meant to pin before writing it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { format, resolveConfig } from 'prettier';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import { AgentRunner, RunHandle } from '../src/client/runner';
import type { RunPersistenceOptions } from '../src/core/run-contract';
import type { Message, RunEvent } from '../src/core/types';
import { configure } from '../src/config';
import { InMemoryEventBus } from '../src/events';
import { InMemoryAuditStore, InMemoryConversationStore } from '../src/persistence';
import { InMemoryStateStore } from '../src/state';
import { MockLLMClient } from '../src/testing/mock-llm';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { ToolRegistry } from '../src/tools/registry';
import { InMemoryTranscriptStore, type TranscriptEntry } from '../src/transcripts';
import { createAgentWorker } from '../worker';
import {
  HISTORIES_DIR,
  replayHistories,
  type ReplayHistory,
} from '../test/fixtures/replay-histories';
import { steps } from '../test/fixtures/step-functions';
import { addTool, deleteFile, localAdd } from '../test/fixtures/tool-defs';

/** What a recording needs: the dev server's connections and the test workflows' bundle. */
interface Recorder {
  client: Client;
  native: NativeConnection;
  bundle: WorkflowBundle;
}

/** Runs one recording: starts the run, drives it to its end, returns its handle. */
type Recording = (rec: Recorder, fixture: ReplayHistory) => Promise<RunHandle>;

/** The usage every scripted model answer reports (the mock reports none by default). */
const USAGE = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };

/** The conversation the persistence run continues (created in the store beforehand). */
const CONVERSATION_ID = '7f3c2a10-5b4e-4c1d-9a8e-2f6b1c0d3e4a';

/** Fails the recording when a run did not do what its history is meant to pin. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`recording went wrong: ${what}`);
}

/** An assistant message calling tools: `[id, name, arguments]` each. */
function callTools(...calls: [string, string, Record<string, unknown>][]): Message {
  return {
    role: 'assistant',
    content: null,
    tool_calls: calls.map(([id, name, args]) => ({
      id,
      type: 'function',
      function: { name, arguments: JSON.stringify(args) },
    })),
  };
}

/**
 * An in-memory bus that holds the publishing of one event type until released, so a run can be
 * cancelled while the flush carrying it is in flight.
 */
class HeldEventBus extends InMemoryEventBus {
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  private arrived: () => void = () => undefined;
  /** Resolves when a publish of the held type is waiting. */
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));

  constructor(private readonly heldType: string) {
    super();
  }

  override async publish(event: RunEvent): Promise<void> {
    if (event.type === this.heldType) {
      this.arrived();
      await this.gate;
    }
    return super.publish(event);
  }

  /** Lets held and later publishes through. */
  release(): void {
    this.open();
  }
}

/** Polls `condition` every 50 ms until it holds, for at most 15 s. */
async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`recording went wrong: no ${what} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A worker on the test workflows with the given activity dependencies, on its own queue. */
async function withWorker<T>(
  rec: Recorder,
  taskQueue: string,
  activities: ActivityDeps,
  persistence: RunPersistenceOptions | undefined,
  fn: (runner: AgentRunner) => Promise<T>,
): Promise<T> {
  const worker = await createAgentWorker({
    connection: rec.native,
    taskQueue,
    workflowBundle: rec.bundle,
    activities,
  });
  const runner = new AgentRunner({
    client: rec.client,
    config: { taskQueue },
    ...(persistence ? { persistence } : {}),
  });
  return worker.runUntil(() => fn(runner));
}

/** A memory transcript store that cannot give the transcript once (as a restarted worker's). */
class ForgetsOnce extends InMemoryTranscriptStore {
  private reads = 0;
  override async read(id: string, length: number): Promise<TranscriptEntry[] | null> {
    return ++this.reads === 2 ? null : super.read(id, length);
  }
}

/** A memory transcript store that says it is durable, so a continued run carries by reference. */
class DurableMemoryTranscripts extends InMemoryTranscriptStore {
  override readonly durable = true;
}

/** A durable memory transcript store the client reads too (`RunHandle.result()` by reference). */
class SharedDurableMemoryTranscripts extends DurableMemoryTranscripts {
  override readonly shared = true;
}

/**
 * A ToolCallingAgent of four tool turns that continues as new once its history passes 25 events
 * (`continueAsNew.maxHistoryEvents`), its conversation by reference; returns a handle pinned to
 * execution `pin` (1: the first, which continued; 2: the last, which resumed and finished).
 */
async function recordContinued(
  rec: Recorder,
  fixture: ReplayHistory,
  pin: 1 | 2,
  withConversation = false,
): Promise<RunHandle> {
  const llm = new MockLLMClient({
    respond: (m) => {
      const done = m.filter((x) => x.role === 'tool').length;
      if (done >= 4) return { role: 'assistant', content: 'Four times 3.' };
      return callTools([`call_${done}`, 'add', { a: 1, b: 2 }]);
    },
    usage: USAGE,
  });
  const taskQueue = `record-continue-as-new-${pin}${withConversation ? '-conversation' : ''}`;
  const conversationStore = new InMemoryConversationStore();
  // With a conversation: a store the client reads, so the last execution reads nothing back.
  const transcriptStore = withConversation
    ? new SharedDurableMemoryTranscripts()
    : new DurableMemoryTranscripts();
  if (withConversation) {
    await conversationStore.save({
      id: CONVERSATION_ID,
      title: 'replay fixture',
      messages: [
        { role: 'user', content: 'Add 2 and 2.' },
        { role: 'assistant', content: '4.' },
      ],
    });
  }
  const worker = await createAgentWorker({
    connection: rec.native,
    taskQueue,
    workflowBundle: rec.bundle,
    activities: {
      llm,
      tools: [addTool],
      transcriptStore,
      ...(withConversation ? { conversationStore } : {}),
    },
  });
  const runner = new AgentRunner({
    client: rec.client,
    config: { taskQueue, continueAsNew: { maxHistoryEvents: 30 } },
    ...(withConversation ? { persistence: { conversations: true }, transcriptStore } : {}),
  });
  return worker.runUntil(async () => {
    const handle = await runner.start({
      agent: 'tool-calling',
      runId: fixture.workflowId,
      inputData: {
        ...(withConversation ? { conversationId: CONVERSATION_ID } : {}),
        messages: [{ role: 'user', content: 'Add 1 and 2, four times.' }],
      },
    });
    const types: string[] = [];
    for await (const ev of handle.events()) types.push(ev.type);
    const result = await handle.result();
    check(result.error === undefined, `the continued run failed: ${result.error?.message}`);
    const continues = types.filter((t) => t === 'run.continued').length;
    check(continues >= 1, 'the run continued as new');
    const earlier = withConversation ? 2 : 0;
    check(
      result.finalMessages.length === earlier + 2 + 4 * 2 + 1,
      'the whole conversation read back',
    );
    if (withConversation) {
      const stored = await conversationStore.getMessages(CONVERSATION_ID);
      check(stored.length === 2 + 1 + 4 * 2 + 1, `appended once: ${stored.length} messages`);
    }
    const runIds: string[] = [];
    for await (const w of rec.client.workflow.list({
      query: `WorkflowId = '${fixture.workflowId}'`,
    })) {
      runIds.push(w.runId);
    }
    const described = await Promise.all(
      runIds.map((id) => rec.client.workflow.getHandle(fixture.workflowId, id).describe()),
    );
    described.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const pinned = pin === 1 ? described[0] : described.at(-1);
    check(pinned !== undefined, `execution ${pin} exists`);
    return new RunHandle(
      fixture.workflowId,
      rec.client.workflow.getHandle(fixture.workflowId, pinned!.runId),
    );
  });
}

const recordings: Record<string, Recording> = {
  /** The execution of a ToolCallingAgent run that continues as new after two tool turns. */
  'continue-as-new.json': (rec, fixture) => recordContinued(rec, fixture, 1),

  /** The execution that resumed it (conversation by reference) and finished. */
  'continued-execution.json': (rec, fixture) => recordContinued(rec, fixture, 2),

  /**
   * The last execution of the same run with a stored conversation: it appends the conversation
   * by reference to the carried transcript (`CarriedTranscript.ownFrom`), with no read-back.
   */
  'continued-conversation.json': (rec, fixture) => recordContinued(rec, fixture, 2, true),

  /**
   * Recorded by the code before carried transcripts said where the run's own messages start
   * (60eb477): the last execution of a continued run with a stored conversation whose agent
   * returns a real copy of its input, then placeholders of the carried transcript. It reads the
   * transcript back (`loadTranscript`) and appends the messages whole.
   */
  'continued-conversation-before.json': async (rec, fixture) => {
    const conversationStore = new InMemoryConversationStore();
    await conversationStore.save({
      id: CONVERSATION_ID,
      title: 'replay fixture',
      messages: [
        { role: 'user', content: 'Hello.' },
        { role: 'assistant', content: 'Hi.' },
      ],
    });
    let n = 0;
    const llm = new MockLLMClient({
      respond: () => ({ role: 'assistant', content: `answer ${++n}` }),
      usage: USAGE,
    });
    const transcriptStore = new SharedDurableMemoryTranscripts();
    const taskQueue = 'record-continued-conversation-before';
    const worker = await createAgentWorker({
      connection: rec.native,
      taskQueue,
      workflowBundle: rec.bundle,
      activities: { llm, transcriptStore, conversationStore },
    });
    const runner = new AgentRunner({
      client: rec.client,
      config: { taskQueue, continueAsNew: { maxHistoryEvents: 20 } },
      persistence: { conversations: true },
      transcriptStore,
    });
    return worker.runUntil(async () => {
      const handle = await runner.start({
        agent: 'can-copy-input',
        runId: fixture.workflowId,
        inputData: {
          conversationId: CONVERSATION_ID,
          messages: [{ role: 'user', content: 'Count to four.' }],
          params: { turns: 4 },
        },
      });
      const result = await handle.result();
      check(result.error === undefined, `the run failed: ${result.error?.message}`);
      const stored = await conversationStore.getMessages(CONVERSATION_ID);
      check(stored.length === 2 + 1 + 4 * 2, `appended once: ${stored.length} messages`);
      const described = [];
      for await (const w of rec.client.workflow.list({
        query: `WorkflowId = '${fixture.workflowId}'`,
      })) {
        described.push(w);
      }
      check(described.length >= 2, 'the run continued as new');
      described.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
      return new RunHandle(
        fixture.workflowId,
        rec.client.workflow.getHandle(fixture.workflowId, described.at(-1)!.runId),
      );
    });
  },

  /**
   * A ToolCallingAgent with three tool turns, model calls by reference; the second call finds no
   * transcript (TRANSCRIPT_MISSING) and is sent again whole.
   */
  'tool-loop-by-reference.json': (rec, fixture) => {
    const llm = new MockLLMClient({
      respond: (m) => {
        const done = m.filter((x) => x.role === 'tool').length;
        if (done >= 3) return { role: 'assistant', content: 'Three times 3.' };
        return callTools([`call_${done}`, 'add', { a: 1, b: 2 }]);
      },
      usage: USAGE,
    });
    const activities = { llm, tools: [addTool], transcriptStore: new ForgetsOnce() };
    return withWorker(rec, 'record-by-reference', activities, undefined, async (runner) => {
      const handle = await runner.start({
        agent: 'tool-calling',
        runId: fixture.workflowId,
        inputData: { messages: [{ role: 'user', content: 'Add 1 and 2, three times.' }] },
      });
      for await (const ev of handle.events()) void ev;
      check((await handle.result()).error === undefined, 'the by-reference run failed');
      return handle;
    });
  },

  /**
   * A ToolCallingAgent whose tools are local (`local: true`): a turn of a local and an ordinary
   * call side by side, then a turn of one local call.
   */
  'local-tools.json': (rec, fixture) => {
    const llm = new MockLLMClient({
      respond: (m) => {
        const done = m.filter((x) => x.role === 'tool').length;
        if (done === 0)
          return callTools(
            ['call_l', 'local_add', { a: 2, b: 3 }],
            ['call_r', 'add', { a: 1, b: 1 }],
          );
        if (done === 2) return callTools(['call_l2', 'local_add', { a: 40, b: 2 }]);
        return { role: 'assistant', content: '5, 2 and 42' };
      },
      usage: USAGE,
    });
    const activities = { llm, tools: [localAdd, addTool] };
    return withWorker(rec, 'record-local-tools', activities, undefined, async (runner) => {
      const handle = await runner.start({
        agent: 'tool-calling-local',
        runId: fixture.workflowId,
        inputData: { messages: [{ role: 'user', content: 'Add these.' }] },
      });
      for await (const ev of handle.events()) void ev;
      check((await handle.result()).error === undefined, 'the local-tools run failed');
      const history = await handle.workflow.fetchHistory();
      const markers = (history.events ?? []).filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      check(markers.length === 2, `two local calls recorded (got ${markers.length})`);
      return handle;
    });
  },

  /** Two model calls with a checkpoint after each; the client follows the events. */
  'multi-turn.json': (rec, fixture) => {
    const llm = new MockLLMClient({
      respond: (m) => ({ role: 'assistant', content: `answer to ${m.length} messages` }),
      usage: USAGE,
    });
    return withWorker(rec, 'record', { llm }, undefined, async (runner) => {
      const handle = await runner.start({
        agent: 'multi-turn',
        runId: fixture.workflowId,
        inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
      });
      for await (const ev of handle.events()) void ev;
      check((await handle.result()).error === undefined, 'the multi-turn run failed');
      return handle;
    });
  },

  /**
   * Two tool turns of two parallel calls each: in the first, delete_file (approval required) is
   * approved beside an add; in the second, delete_file is rejected beside an add; then the
   * answer. The client follows the events and decides each approval request as it arrives.
   */
  'tools-approval.json': (rec, fixture) => {
    const deleted: string[] = [];
    const tools = new ToolRegistry([
      addTool,
      deleteFile.implement(({ path }) => {
        deleted.push(path);
        return { deleted: path };
      }),
    ]);
    const llm = new MockLLMClient({
      responses: [
        callTools(
          ['call_1', 'add', { a: 2, b: 3 }],
          ['call_2', 'delete_file', { path: '/tmp/draft.txt' }],
        ),
        callTools(
          ['call_3', 'delete_file', { path: '/etc/hosts' }],
          ['call_4', 'add', { a: 5, b: 8 }],
        ),
        { role: 'assistant', content: 'Sums 5 and 13; deleted /tmp/draft.txt, kept /etc/hosts.' },
      ],
      usage: USAGE,
    });
    const decisions: Record<string, { approved: boolean; reason: string }> = {
      call_2: { approved: true, reason: 'a scratch file' },
      call_3: { approved: false, reason: 'a system file' },
    };
    return withWorker(rec, 'record-tools', { llm, tools }, undefined, async (runner) => {
      const handle = await runner.start({
        agent: 'tool-calling',
        runId: fixture.workflowId,
        inputData: {
          messages: [
            { role: 'user', content: 'Add 2+3 and 5+8, delete /tmp/draft.txt and /etc/hosts.' },
          ],
        },
      });
      const decided: string[] = [];
      for await (const ev of handle.events()) {
        if (ev.type !== 'tool.approval_requested') continue;
        const id = String(ev.payload.toolCallId);
        const decision = decisions[id];
        check(decision !== undefined, `an approval request for ${id}`);
        await handle.approveToolCall(id, decision!);
        decided.push(id);
      }
      const result = await handle.result();
      check(result.error === undefined, `the tools run failed: ${result.error?.message}`);
      check(decided.join() === 'call_2,call_3', `decided ${decided.join()}`);
      check(deleted.join() === '/tmp/draft.txt', `deleted ${deleted.join()}`);
      llm.assertComplete();
      return handle;
    });
  },

  /**
   * Three steps: `fetch`; `flaky`, which fails its first attempt and is retried after a 1 s
   * durable timer; `report`, which reports progress from inside the step (signals). Each step
   * checkpoints. The client follows the events.
   */
  'steps.json': (rec, fixture) =>
    withWorker(
      rec,
      'record-steps',
      { llm: new MockLLMClient(), steps },
      undefined,
      async (runner) => {
        const handle = await runner.start({
          agent: 'steps-configured',
          runId: fixture.workflowId,
          inputData: {
            messages: [],
            params: {
              steps: [
                { name: 'fetch', fn: 'visit' },
                { name: 'flaky', fn: 'flaky', options: { retries: 1, retryDelay: 1 } },
                { name: 'report', fn: 'longRunning' },
              ],
              initialState: { failTimes: 1, longMs: 800 },
            },
          },
        });
        const types: string[] = [];
        for await (const ev of handle.events()) {
          types.push(ev.type);
        }
        const result = await handle.result();
        check(result.error === undefined, `the steps run failed: ${result.error?.message}`);
        check(types.filter((t) => t === 'step.retrying').length === 1, 'one retry');
        check(types.filter((t) => t === 'state.checkpoint').length === 3, 'three checkpoints');
        const history = await handle.workflow.fetchHistory();
        const signals = (history.events ?? []).filter(
          (e) => e.workflowExecutionSignaledEventAttributes,
        );
        const timers = (history.events ?? []).filter((e) => e.timerFiredEventAttributes);
        check(signals.length > 0, 'progress signals from inside a step');
        check(timers.length === 1, `one fired timer (the retry delay), got ${timers.length}`);
        return handle;
      },
    ),

  /**
   * A resumable chat turn with every store: the conversation (created beforehand) is loaded, the
   * checkpoint an earlier execution with this run id saved is loaded, two model calls run with
   * background event flushes, each turn checkpoints, the new messages are appended.
   */
  'persistence.json': async (rec, fixture) => {
    const conversationStore = new InMemoryConversationStore();
    await conversationStore.save({
      id: CONVERSATION_ID,
      title: 'replay fixture',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is a durable timer?' },
        { role: 'assistant', content: 'A timer that survives worker restarts.' },
      ],
    });
    const stateStore = new InMemoryStateStore();
    await stateStore.saveCheckpoint(fixture.workflowId, { turn: 1 });
    const eventBus = new InMemoryEventBus();
    let n = 0;
    const llm = new MockLLMClient({
      respond: () => ({ role: 'assistant', content: `answer ${++n}` }),
      usage: USAGE,
    });
    return withWorker(
      rec,
      'record-persistence',
      { llm, conversationStore, stateStore, eventBus, auditStore: new InMemoryAuditStore() },
      { runEvents: true, conversations: true, checkpoints: true },
      async (runner) => {
        const handle = await runner.start({
          agent: 'wiring-resumable-chat',
          runId: fixture.workflowId,
          inputData: {
            conversationId: CONVERSATION_ID,
            messages: [{ role: 'user', content: 'And a signal?' }],
            params: { turns: 2 },
          },
        });
        const result = await handle.result();
        check(result.error === undefined, `the persistence run failed: ${result.error?.message}`);
        check(
          JSON.stringify(result.finalOutput) ===
            JSON.stringify({ resumedFrom: 1, turn: 3, historyLength: 3 }),
          `output ${JSON.stringify(result.finalOutput)}`,
        );
        const stored = await conversationStore.getMessages(CONVERSATION_ID);
        check(stored.length === 7, `7 stored messages, got ${stored.length}`);
        const published = await eventBus.getEvents(fixture.workflowId);
        check(published.at(-1)?.type === 'run.succeeded', 'the events reached the bus');
        check(
          JSON.stringify(await stateStore.getCheckpoint(fixture.workflowId)) ===
            JSON.stringify({ turn: 3 }),
          'the last checkpoint reached the state store',
        );
        return handle;
      },
    );
  },

  /**
   * A run cancelled while a tool call waits for approval, with run events published: the client
   * follows the events and cancels the run at the approval request, while the background flush
   * that request started is still publishing (the bus holds it until the cancellation went
   * through), so the history has that flush's cancellation and the final flush after it.
   */
  'cancelled.json': (rec, fixture) => {
    const deleted: string[] = [];
    const tools = new ToolRegistry([
      deleteFile.implement(({ path }) => {
        deleted.push(path);
        return { deleted: path };
      }),
    ]);
    const llm = new MockLLMClient({
      responses: [callTools(['call_1', 'delete_file', { path: '/var/log/old.log' }])],
      usage: USAGE,
    });
    const eventBus = new HeldEventBus('tool.approval_requested');
    return withWorker(
      rec,
      'record-cancelled',
      { llm, tools, eventBus },
      { runEvents: true },
      async (runner) => {
        const handle = await runner.start({
          agent: 'tool-calling',
          runId: fixture.workflowId,
          inputData: { messages: [{ role: 'user', content: 'Delete /var/log/old.log.' }] },
        });
        let last = '';
        for await (const ev of handle.events()) {
          if (ev.type === 'tool.approval_requested') {
            await eventBus.reached;
            await handle.cancel();
            // Released once the cancellation is in history: the held flush then ends as it may.
            await waitFor(async () => {
              const history = await handle.workflow.fetchHistory();
              return (history.events ?? []).some(
                (e) => e.activityTaskCancelRequestedEventAttributes,
              );
            }, 'the held flush to be cancelled');
            eventBus.release();
          }
          last = ev.type;
        }
        const result = await handle.result();
        check(result.error?.type === 'RUN_CANCELLED', `ended ${result.error?.type ?? 'succeeded'}`);
        check(last === 'run.cancelled', `the last event was ${last}`);
        check(deleted.length === 0, 'the tool did not run');
        const published = await eventBus.getEvents(fixture.workflowId);
        check(published.at(-1)?.type === 'run.cancelled', 'the final flush reached the bus');
        return handle;
      },
    );
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const overwrite = args.includes('--overwrite');
  const wanted = args.filter((a) => a !== '--overwrite');
  for (const file of wanted) {
    if (!recordings[file])
      throw new Error(
        `unknown history ${file}: give file names of test/fixtures/replay-histories.ts`,
      );
  }
  const fixtures = replayHistories.filter((h) => wanted.length === 0 || wanted.includes(h.file));
  for (const h of fixtures) {
    if (!recordings[h.file]) throw new Error(`no recording for ${h.file}`);
  }
  // The library's defaults, whatever this shell's AGENT_RUNTIME_* variables say: they would
  // change the run input (timeouts, model-call options, persistence).
  configure({}, {});
  const server = await startTemporalDevServer();
  try {
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../test/fixtures/workflows'),
    });
    const rec: Recorder = { client: new Client({ connection }), native, bundle };
    for (const h of fixtures) {
      const out = join(HISTORIES_DIR, h.file);
      if (existsSync(out) && !overwrite) {
        console.log(`kept ${out} (committed; --overwrite to record it again)`);
        continue;
      }
      const handle = await recordings[h.file]!(rec, h);
      // Formatted as `npm run lint` (prettier --check) expects the committed file.
      const text = historyToJSON(await handle.workflow.fetchHistory());
      const options = { ...(await resolveConfig(out)), filepath: out };
      writeFileSync(out, await format(text, options));
      console.log(`wrote ${out}`);
    }
    await connection.close();
    await native.close();
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
