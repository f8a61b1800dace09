// The pure parts of the run-persistence wiring: what a run's new messages are, the chat <->
// stored message mapping, deterministic ids, audit derivation, and the activities on memory stores.
import { ApplicationFailure } from '@temporalio/common';
import { createRunPersistenceActivities } from '../../activities/run-persistence';
import type { Message, RunEvent } from '../../src/core/types';
import { InMemoryEventBus, readRunEvents } from '../../src/events';
import { auditRecordsFor } from '../../src/persistence/audit/run-audit-mapping';
import {
  runMessageId,
  toChatMessage,
  toStoredMessage,
} from '../../src/persistence/conversations/message-mapping';
import { deterministicId } from '../../src/persistence/deterministic-id';
import { InMemoryConversationStore } from '../../src/persistence/conversations/memory';
import { ConversationMessage } from '../../src/persistence/conversations/models';
import { inputEnd, newRunMessages, startsWithMessages } from '../../workflows/run-messages';

const u = (content: string): Message => ({ role: 'user', content });
const a = (content: string): Message => ({ role: 'assistant', content });
const ev = (runId: string, seq: number, type = 'progress.update', payload = {}): RunEvent => ({
  seq,
  runId,
  type,
  payload,
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

describe('inputEnd', () => {
  const history = [u('q1'), a('a1')];
  const s = (content: string): Message => ({ role: 'system', content });
  test("past a whole copy of the input, after the agent's system prompts", () => {
    expect(inputEnd(history, [u('q2')], [s('sys'), ...history, u('q2'), a('a2')])).toBe(4);
    expect(inputEnd(history, [u('q2')], [...history, u('q2')])).toBe(3);
    expect(inputEnd([], [u('q1')], [u('q1'), a('a1')])).toBe(1);
  });
  test('undefined when the messages do not begin with the input (or it is empty)', () => {
    expect(inputEnd(history, [u('q2')], [a('a2')])).toBeUndefined();
    expect(inputEnd(history, [u('q2')], [s('sys'), u('context'), ...history, u('q2')])).toBe(
      undefined,
    );
    expect(inputEnd([], [], [s('sys'), a('a1')])).toBeUndefined();
  });
});

describe('newRunMessages', () => {
  const history = [u('q1'), a('a1')];
  test('the whole transcript returned: history and input are stripped from what was produced', () => {
    expect(newRunMessages(history, [u('q2')], [...history, u('q2'), a('a2')])).toEqual([
      u('q2'),
      a('a2'),
    ]);
  });
  test('only what the agent produced returned: the input comes first', () => {
    expect(newRunMessages(history, [u('q2')], [a('a2')])).toEqual([u('q2'), a('a2')]);
  });
  test('nothing returned: the new input alone', () => {
    expect(newRunMessages(history, [u('q2')], [])).toEqual([u('q2')]);
  });
  const s = (content: string): Message => ({ role: 'system', content });
  test("an agent's own system prompt before the transcript is neither new nor appended", () => {
    expect(newRunMessages(history, [u('q2')], [s('sys'), ...history, u('q2'), a('a2')])).toEqual([
      u('q2'),
      a('a2'),
    ]);
    // The first run of a conversation (no history).
    expect(newRunMessages([], [u('q1')], [s('sys'), u('q1'), a('a1')])).toEqual([u('q1'), a('a1')]);
  });
  test('a history that starts with a system message, behind the agent system prompt', () => {
    const h = [s('be brief'), u('q1'), a('a1')];
    expect(newRunMessages(h, [u('q2')], [s('sys'), ...h, u('q2'), a('a2')])).toEqual([
      u('q2'),
      a('a2'),
    ]);
  });
  test('tool messages after the input are kept in order', () => {
    const call: Message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{}' } }],
    };
    const result: Message = { role: 'tool', tool_call_id: 'c1', content: '{"sum":3}' };
    expect(
      newRunMessages(history, [u('q2')], [s('sys'), ...history, u('q2'), call, result, a('3')]),
    ).toEqual([u('q2'), call, result, a('3')]);
  });
  test('a preamble of other messages before the transcript is dropped', () => {
    expect(
      newRunMessages(history, [u('q2')], [s('sys'), u('context'), ...history, u('q2'), a('a2')]),
    ).toEqual([u('q2'), a('a2')]);
  });
  test('system messages the client did not send are never appended; the ones it sent are', () => {
    expect(newRunMessages(history, [u('q2')], [s('sys'), a('a2'), s('note')])).toEqual([
      u('q2'),
      a('a2'),
    ]);
    expect(newRunMessages([], [s('be brief'), u('q1')], [s('be brief'), u('q1'), a('a1')])).toEqual(
      [s('be brief'), u('q1'), a('a1')],
    );
  });
  test('key order does not matter when comparing', () => {
    const reordered = { content: 'q1', role: 'user' } as Message;
    expect(startsWithMessages([reordered, a('a1')], history)).toBe(true);
    expect(startsWithMessages([u('other'), a('a1')], history)).toBe(false);
  });
});

describe('chat <-> stored messages', () => {
  test('round-trips names, tool calls (malformed arguments verbatim), tool results, content parts', () => {
    const messages: Message[] = [
      { role: 'user', content: [{ type: 'text', text: 'hi' }], name: 'alice', metadata: { k: 1 } },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{"x": ' } },
          { id: 'c3', type: 'function', function: { name: 'h', arguments: '[1,2]' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'r\u0000\ud800' },
    ];
    const back = messages.map((m, i) =>
      toChatMessage(ConversationMessage.parse(toStoredMessage(m, runMessageId('r', i)))),
    );
    expect(back).toEqual(messages);
  });
});

test('deterministic ids are stable RFC 9562 version-5 UUIDs, distinct per name', () => {
  const id = runMessageId('run-1', 0);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(runMessageId('run-1', 0)).toBe(id);
  expect(runMessageId('run-1', 1)).not.toBe(id);
  expect(runMessageId('run-2', 0)).not.toBe(id);
  expect(deterministicId('x')).not.toBe(deterministicId('y'));
});

test('deterministic ids never change: stored message and audit ids are derived from them', () => {
  // Computed with the first implementation; a retried activity and a run id started again find
  // their stored records by these ids, so any change would store everything twice.
  expect(runMessageId('run-1', 0)).toBe('fc0f77f6-d405-5865-9c2b-0160a977afa0');
  expect(runMessageId('run-1', 3, 'exec-7')).toBe('76a26056-174f-5809-b37d-23d72aa53ebd');
  expect(deterministicId('x')).toBe('97fb86bb-982c-5b11-bc03-ecc8fa532bbb');
  // Names are hashed as UTF-8; a lone surrogate as U+FFFD.
  expect(deterministicId('é 👨‍👩‍👧 \u0000')).toBe('fe5de53a-85c5-5efd-839c-bfa6ec6b9bc3');
  expect(deterministicId('a\uD800b')).toBe('57e56b54-e09c-51c8-8cae-4d915bdf08b5');
  const started = ev('r', 1, 'run.started');
  const audit = auditRecordsFor({ runId: 'r', agentKey: 'k', executionId: 'e1' }, [
    { ...started, timestamp: '2026-01-01T00:00:01.000Z' },
  ]);
  expect(audit.entries[0]?.id).toBe('439c684e-3d29-593d-a3ac-bde5262f403f');
});

test('audit derivation keeps hostile or empty model names out of metric tags', () => {
  const records = auditRecordsFor({ runId: 'r', agentKey: 'k', conversationId: 'not-a-uuid' }, [
    ev('r', 1, 'assistant.message', {
      model: '',
      turn: 1,
      latencyMs: 5,
      usage: { totalTokens: 3 },
    }),
    ev('r', 2, 'assistant.message', { model: 'bad\u0000', latencyMs: 6 }),
  ]);
  expect(records.metrics.map((m) => [m.name, m.value, m.tags])).toEqual([
    ['llm_latency', 5, { turn: '1' }],
    ['llm_total_tokens', 3, { turn: '1' }],
    ['llm_latency', 6, {}],
  ]);
  // A conversation id that is not a UUID is left out rather than failing validation.
  expect(records.entries.every((e) => e.conversationId === undefined)).toBe(true);
});

describe('activities on memory stores', () => {
  test('a second execution of a run id continues the stored log; a retried first batch keeps its offset', async () => {
    const bus = new InMemoryEventBus();
    const acts = createRunPersistenceActivities({ eventBus: bus });
    const at = (seq: number, minute: number, type = 'progress.update'): RunEvent => ({
      ...ev('r', seq, type),
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, minute, seq)).toISOString(),
    });
    const first = [at(1, 0, 'run.started'), at(2, 0), at(3, 0, 'run.failed')];
    expect(await acts.publishRunEvents({ runId: 'r', agentKey: 'k', events: first })).toMatchObject(
      { lastSeq: 3, seqOffset: 0 },
    );
    const batch = {
      runId: 'r',
      agentKey: 'k',
      executionId: 'e2',
      events: [at(1, 5, 'run.started')],
    };
    const r1 = await acts.publishRunEvents(batch);
    expect(r1).toMatchObject({ lastSeq: 1, seqOffset: 3 });
    // The same batch again (an attempt whose answer was lost): found in the log, same offset.
    expect(await acts.publishRunEvents(batch)).toMatchObject({ lastSeq: 1, seqOffset: 3 });
    await acts.publishRunEvents({
      ...batch,
      seqOffset: 3,
      events: [at(2, 5), at(3, 5, 'run.succeeded')],
    });
    const stored = await readRunEvents(bus, 'r');
    expect(stored.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run.started'],
      [2, 'progress.update'],
      [3, 'run.failed'],
      [4, 'run.started'],
      [5, 'progress.update'],
      [6, 'run.succeeded'],
    ]);
    expect(stored[3]?.timestamp).toBe(at(1, 5).timestamp);
  });
  test('a bus that lost earlier events answers where it stands, so the run resends', async () => {
    const bus = new InMemoryEventBus();
    const acts = createRunPersistenceActivities({ eventBus: bus });
    await acts.publishRunEvents({ runId: 'r', agentKey: 'k', events: [ev('r', 1), ev('r', 2)] });
    const lost = await acts.publishRunEvents({ runId: 'r2', agentKey: 'k', events: [ev('r2', 3)] });
    expect(lost.missingAfter).toBe(0);
    // A retried batch is a no-op.
    const again = await acts.publishRunEvents({
      runId: 'r',
      agentKey: 'k',
      events: [ev('r', 1), ev('r', 2)],
    });
    expect(again.lastSeq).toBe(2);
    expect((await readRunEvents(bus, 'r')).map((e) => e.seq)).toEqual([1, 2]);
  });

  test('a worker with no store: CONFIG_MISSING, not retryable', async () => {
    const acts = createRunPersistenceActivities({});
    const err = await acts
      .publishRunEvents({ runId: 'r', agentKey: 'k', events: [ev('r', 1)] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('CONFIG_MISSING');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    const conv = await acts
      .loadConversation({ runId: 'r', conversationId: 'c' })
      .catch((e: unknown) => e);
    expect((conv as ApplicationFailure).type).toBe('CONFIG_MISSING');
  });

  test('appendConversation twice stores the messages once', async () => {
    const store = new InMemoryConversationStore();
    const conv = await store.save({ messages: [{ role: 'user', content: 'q1' }] });
    const acts = createRunPersistenceActivities({ conversationStore: store });
    const input = { runId: 'run-x', conversationId: conv.id, messages: [u('q2'), a('a2')] };
    expect((await acts.appendConversation(input)).appended).toBe(2);
    const second = await acts.appendConversation(input);
    expect(second.appended).toBe(0);
    expect(second.messageIds).toEqual([runMessageId('run-x', 0), runMessageId('run-x', 1)]);
    expect((await store.getMessages(conv.id)).map((m) => m.content)).toEqual(['q1', 'q2', 'a2']);
  });
});

test('readRunEvents pages through the whole log', async () => {
  const bus = new InMemoryEventBus();
  for (let i = 1; i <= 5; i++) await bus.publish(ev('p', i));
  expect((await readRunEvents(bus, 'p', { pageSize: 2 })).map((e) => e.seq)).toEqual([
    1, 2, 3, 4, 5,
  ]);
  expect((await readRunEvents(bus, 'p', { afterSeq: 3, pageSize: 2 })).map((e) => e.seq)).toEqual([
    4, 5,
  ]);
  expect(await readRunEvents(bus, 'nothing')).toEqual([]);
});
