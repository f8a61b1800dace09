// The pure parts of continue-as-new: the options' validation, an event log that continues
// another execution's numbering, the paged events query over such a log, and how a conversation
// is carried (by reference to a durable transcript store, whole otherwise) and resumed.
import { AgentRuntimeError } from '../../src/core/errors';
import { DEFAULT_CONTINUE_AS_NEW, resolveContinueAsNew } from '../../src/core/run-contract';
import type { EventsPage } from '../../src/core/run-contract';
import type { Message } from '../../src/core/types';
import { RunEventLog } from '../../src/runtime/run-core';
import {
  TranscriptChains,
  isTranscriptPlaceholder,
  placeholderPosition,
} from '../../src/runtime/transcript-chains';
import { answerEventsQuery } from '../../workflows/events-query';

describe('continueAsNew options', () => {
  test('defaults, overrides, and typed errors naming the field', () => {
    expect(resolveContinueAsNew(undefined, 'continueAsNew', 'INVALID_INPUT')).toEqual(
      DEFAULT_CONTINUE_AS_NEW,
    );
    expect(
      resolveContinueAsNew({ maxHistoryEvents: 50, eventTail: 0 }, 'c', 'CONFIG_INVALID'),
    ).toMatchObject({ enabled: true, maxHistoryEvents: 50, eventTail: 0 });
    for (const bad of [
      { maxHistoryEvents: 0 },
      { maxHistoryBytes: 1.5 },
      { enabled: 'yes' },
      { nope: 1 },
      7,
    ]) {
      let err: unknown;
      try {
        resolveContinueAsNew(bad, 'config.continueAsNew', 'CONFIG_INVALID');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AgentRuntimeError);
      expect((err as AgentRuntimeError).code).toBe('CONFIG_INVALID');
      expect(String((err as AgentRuntimeError).details.field)).toMatch(/^config\.continueAsNew/);
    }
  });
});

describe('an event log continuing an earlier execution', () => {
  const earlier = new RunEventLog('r', () => 0);
  for (let i = 0; i < 10; i++) earlier.append('x', { i });

  test('numbers on from the carried lastSeq, holding only the tail', () => {
    const log = new RunEventLog('r', () => 0, { lastSeq: earlier.lastSeq, tail: earlier.tail(3) });
    expect(log.base).toBe(7);
    expect(log.lastSeq).toBe(10);
    expect(log.append('y', {}).seq).toBe(11);
    expect(log.after(8).map((e) => e.seq)).toEqual([9, 10, 11]);
    expect(log.after(2).map((e) => e.seq)).toEqual([8, 9, 10, 11]);
  });

  test('the events query pages it and tells a watcher behind where the held events start', () => {
    const log = new RunEventLog('r', () => 0, { lastSeq: 10, tail: earlier.tail(3) });
    log.append('y', {});
    const behind = answerEventsQuery(log.events, { afterSeq: 2, limit: 2 }) as EventsPage;
    expect(behind.firstSeq).toBe(8);
    expect(behind.events.map((e) => e.seq)).toEqual([8, 9]);
    const near = answerEventsQuery(log.events, { afterSeq: 9 }) as EventsPage;
    expect(near.events.map((e) => e.seq)).toEqual([10, 11]);
    expect(near.lastSeq).toBe(11);
    // A whole log has no firstSeq.
    expect((answerEventsQuery(earlier.events, { afterSeq: 0 }) as EventsPage).firstSeq).toBe(
      undefined,
    );
    expect((answerEventsQuery(log.events, 9) as { seq: number }[]).map((e) => e.seq)).toEqual([
      10, 11,
    ]);
  });
});

describe('carrying a conversation', () => {
  const messages: Message[] = [
    { role: 'system', content: 's' },
    { role: 'user', content: 'u' },
  ];
  const reply: Message = { role: 'assistant', content: 'a' };
  const tip = (durable: boolean) => ({ length: 3, hash: 'h3', previousHash: 'h2', durable });

  test('by reference when the store is durable: placeholders stand for the stored prefix', () => {
    const chains = new TranscriptChains('run:exec1');
    const plan = chains.plan(messages, { model: 'm' });
    chains.succeeded(plan, messages, reply, tip(true));
    const tool: Message = { role: 'tool', tool_call_id: 't', content: '1' };
    const carried = chains.carry([...messages, reply, tool]);
    expect(carried.ref).toEqual({ id: 'run:exec1:1', length: 3, hash: 'h3' });
    expect(carried.tail).toEqual([tool]);
    expect(JSON.stringify(carried)).not.toContain('"content":"u"');

    const next = new TranscriptChains('run:exec2');
    const resumed = next.seed(carried);
    expect(resumed).toHaveLength(4);
    expect(resumed.slice(0, 3).every(isTranscriptPlaceholder)).toBe(true);
    expect(placeholderPosition(resumed[2])).toEqual({ id: 'run:exec1:1', index: 3 });
    // The next call continues the carried transcript: only what follows the prefix travels.
    const again = next.plan([...resumed, { role: 'user', content: 'more' }], { model: 'm' });
    expect(again.transcript).toEqual(carried.ref);
    expect(again.newMessages).toEqual([tool, { role: 'user', content: 'more' }]);
    expect(again.options).toBeUndefined();
  });

  test('whole when the store is not durable (a restarted worker would lack it)', () => {
    const chains = new TranscriptChains('run:exec1');
    const plan = chains.plan(messages, {});
    chains.succeeded(plan, messages, reply, tip(false));
    const carried = chains.carry([...messages, reply]);
    expect(carried.ref.length).toBe(0);
    expect(carried.tail).toEqual([...messages, reply]);
    expect(new TranscriptChains('run:exec2').seed(carried)).toEqual([...messages, reply]);
  });
});

test('a continued execution that holds no event yet still reports where the log stands', () => {
  // eventTail 0: the next execution holds nothing of the 40 events before it.
  const page = answerEventsQuery([], { afterSeq: 3 }, 40) as EventsPage;
  expect(page).toEqual({ events: [], lastSeq: 40, done: false, firstSeq: 41 });
});
