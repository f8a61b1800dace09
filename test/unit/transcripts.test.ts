// Model calls by reference without a server: the chained hashes, the workflow's planning of each
// call (TranscriptChains), the answer carried once, the invokeModel activity's reading and
// storing of transcripts (a missing or differing prefix is TRANSCRIPT_MISSING, never a wrong
// conversation), and the memory store's bound.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createConversationActivities } from '../../activities/conversation-history';
import { createInvokeModel } from '../../activities/invoke-model';
import { InMemoryConversationStore } from '../../src/persistence/conversations/memory';
import type {
  InvokeModelByReferenceInput,
  InvokeModelOutput,
  InvokeModelResult,
} from '../../src/core/activity-contract';
import { compactResult, expandResult, jsonEqual } from '../../src/core/transcript';
import type { AppendConversationResult } from '../../src/core/persistence-contract';
import type { Message } from '../../src/core/types';
import { TranscriptChains } from '../../src/runtime/transcript-chains';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { InMemoryTranscriptStore, type TranscriptStore } from '../../src/transcripts';
import { canonicalJson, chainEntries, isChain } from '../../src/transcripts/chain';

const sys: Message = { role: 'system', content: 'be brief' };
const user = (content: string): Message => ({ role: 'user', content });
const reply = (content: string): Message => ({ role: 'assistant', content });
const toolMsg = (id: string): Message => ({ role: 'tool', tool_call_id: id, content: `r-${id}` });
const tools = [{ type: 'function' as const, function: { name: 'f' } }];

describe('chained hashes', () => {
  test('canonical JSON ignores key order and undefined properties', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, 'x'], c: undefined })).toBe(
      '{"a":[1,null,"x"],"b":1}',
    );
    expect(canonicalJson({ role: 'user', content: 'x' })).toBe(
      canonicalJson({ content: 'x', role: 'user' }),
    );
  });

  test('a chain names one exact prefix; entries of two diverging calls do not chain', () => {
    const a = chainEntries('', [sys, user('a'), reply('1')]);
    expect(isChain(a, a[2]!.hash)).toBe(true);
    expect(isChain(a.slice(0, 2), a[1]!.hash)).toBe(true);
    expect(isChain(a, a[1]!.hash)).toBe(false);
    expect(isChain([], '')).toBe(true);
    // Another call wrote position 1 differently after the same first message.
    const b = chainEntries(a[0]!.hash, [user('b')]);
    expect(b[0]!.hash).not.toBe(a[1]!.hash);
    expect(isChain([a[0]!, b[0]!, a[2]!], a[2]!.hash)).toBe(false);
    expect(isChain([a[0]!, b[0]!], b[0]!.hash)).toBe(true);
  });
});

describe('the answer carried once', () => {
  const base = { usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, model: 'm' };
  test('content and tool calls are left out when the message says them', () => {
    const message: Message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    };
    const full: InvokeModelResult = {
      ...base,
      message,
      content: '',
      toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      finishReason: 'tool_calls',
      latencyMs: 3,
    };
    const compact = compactResult(full);
    expect(compact).not.toHaveProperty('content');
    expect(compact).not.toHaveProperty('toolCalls');
    expect(
      expandResult({ ...compact, transcript: { length: 3, hash: 'h', previousHash: 'p' } }),
    ).toEqual(full);
  });

  test('an answer whose text differs from its message keeps its text', () => {
    const full: InvokeModelResult = {
      ...base,
      message: { role: 'assistant', content: [{ type: 'text', text: 'hi' }] },
      content: 'hi',
      toolCalls: [],
      finishReason: 'stop',
    };
    const compact = compactResult(full);
    expect(compact.content).toBe('hi');
    expect(compact).not.toHaveProperty('toolCalls');
    expect(expandResult(compact)).toEqual(full);
  });

  test('jsonEqual compares as JSON', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(jsonEqual({ a: [{ x: 'y' }] }, { a: [{ x: 'z' }] })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});

describe('TranscriptChains (the workflow side)', () => {
  const tip = (length: number, tag = 't') => ({
    length,
    hash: `${tag}${length}`,
    previousHash: `${tag}${length - 1}`,
  });

  test('the first call sends everything; the next ones what follows the stored reply', () => {
    const chains = new TranscriptChains('run:exec');
    const m1 = [sys, user('q')];
    const p1 = chains.plan(m1, { tools });
    expect(p1.transcript).toEqual({ id: 'run:exec:1', length: 0, hash: '' });
    expect(p1.newMessages).toEqual(m1);
    expect(p1.options).toEqual({ tools });
    chains.succeeded(p1, m1, reply('calls f'), tip(3));

    const m2 = [...m1, reply('calls f'), toolMsg('c1')];
    const p2 = chains.plan(m2, { tools });
    expect(p2.transcript).toEqual({ id: 'run:exec:1', length: 3, hash: 't3' });
    expect(p2.newMessages).toEqual([toolMsg('c1')]);
    // The same options: referred to by key, not sent again.
    expect(p2.options).toBeUndefined();
    expect(p2.optionsKey).toBe(p1.optionsKey);
    chains.succeeded(p2, m2, reply('done'), tip(5));

    // Changed options travel again, under a new key.
    const p3 = chains.plan([...m2, reply('done'), user('more')], { tools, temperature: 0 });
    expect(p3.transcript.length).toBe(5);
    expect(p3.options).toEqual({ tools, temperature: 0 });
    expect(p3.optionsKey).not.toBe(p1.optionsKey);
  });

  test('an agent that changed the reply refers to the prefix before it', () => {
    const chains = new TranscriptChains('r:e');
    const m1 = [user('q')];
    const p1 = chains.plan(m1, {});
    chains.succeeded(p1, m1, reply('original'), tip(2));
    const p2 = chains.plan([...m1, reply('edited'), user('next')], {});
    expect(p2.transcript).toEqual({ id: 'r:e:1', length: 1, hash: 't1' });
    expect(p2.newMessages).toEqual([reply('edited'), user('next')]);
  });

  test('a mutated message is noticed: the copy kept is not the agent’s object', () => {
    const chains = new TranscriptChains('r:e');
    const first = user('q');
    const m1 = [first];
    const p1 = chains.plan(m1, {});
    chains.succeeded(p1, m1, reply('a'), tip(2));
    first.content = 'changed';
    const p2 = chains.plan([first, reply('a'), user('n')], {});
    // Nothing matches any more: a new transcript, sent whole.
    expect(p2.transcript).toEqual({ id: 'r:e:2', length: 0, hash: '' });
    expect(p2.newMessages).toHaveLength(3);
  });

  test('separate conversations get separate transcripts, up to the limit', () => {
    const chains = new TranscriptChains('r:e', 2);
    const convo = (name: string) => [user(name)];
    for (const name of ['a', 'b']) {
      const m = convo(name);
      const p = chains.plan(m, {});
      chains.succeeded(p, m, reply(name), tip(2, name));
    }
    const pa = chains.plan([...convo('a'), reply('a'), user('a2')], {});
    expect(pa.transcript).toMatchObject({ id: 'r:e:1', length: 2, hash: 'a2' });
    const pb = chains.plan([...convo('b'), reply('b'), user('b2')], {});
    expect(pb.transcript).toMatchObject({ id: 'r:e:2', length: 2, hash: 'b2' });
    // A third conversation evicts the least recently used (a).
    const pc = chains.plan(convo('c'), {});
    chains.succeeded(pc, convo('c'), reply('c'), tip(2, 'c'));
    expect(chains.plan([...convo('b'), reply('b')], {}).transcript.length).toBe(2);
    expect(chains.plan([...convo('a'), reply('a')], {}).transcript.length).toBe(0);
  });

  test('a failed call keeps only its prefix; a call the worker could not store forgets the transcript', () => {
    const chains = new TranscriptChains('r:e');
    const m1 = [user('q')];
    const p1 = chains.plan(m1, {});
    chains.succeeded(p1, m1, reply('a'), tip(2));
    const m2 = [...m1, reply('a'), user('q2')];
    const p2 = chains.plan(m2, {});
    chains.succeeded(p2, m2, reply('b'), tip(4));
    // A call referring to length 2 fails: whatever it wrote after 2 is unknown now.
    const p3 = chains.plan([...m1, reply('a'), user('other')], {});
    expect(p3.transcript.length).toBe(2);
    chains.failed(p3);
    expect(chains.plan([...m2, reply('b')], {}).transcript.length).toBe(2);
    // Without a tip: the next call starts a new transcript.
    const p4 = chains.plan(m2, {});
    chains.succeeded(p4, m2, reply('b'), undefined);
    expect(chains.plan([...m2, reply('b')], {}).transcript).toMatchObject({ length: 0 });
  });

  test('resend: the same transcript from the start, options included', () => {
    const chains = new TranscriptChains('r:e');
    const m1 = [user('q')];
    const p1 = chains.plan(m1, { tools });
    chains.succeeded(p1, m1, reply('a'), tip(2));
    const m2 = [...m1, reply('a'), user('q2')];
    const p2 = chains.plan(m2, { tools });
    const again = chains.resend(p2, m2, { tools });
    expect(again.transcript).toEqual({ id: p2.transcript.id, length: 0, hash: '' });
    expect(again.newMessages).toEqual(m2);
    expect(again.options).toEqual({ tools });
  });
});

/** An activity environment that does not log (the failures here are expected). */
function activityEnv(): MockActivityEnvironment {
  const quiet = () => undefined;
  return new MockActivityEnvironment(undefined, {
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

describe('the invokeModel activity by reference', () => {
  const llm = () => new MockLLMClient({ respond: (messages) => reply(`seen ${messages.length}`) });

  function byRef(over: Partial<InvokeModelByReferenceInput> = {}): InvokeModelByReferenceInput {
    return {
      runId: 'run',
      turn: 1,
      transcript: { id: 'run:exec:1', length: 0, hash: '' },
      newMessages: [sys, user('q')],
      optionsKey: 'o1',
      options: { tools },
      ...over,
    };
  }

  async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  test('stores the new messages and the reply; the next call reads them back', async () => {
    const store = new InMemoryTranscriptStore();
    const client = llm();
    const invoke = createInvokeModel({ llm: client, transcriptStore: store });
    const env = activityEnv();
    const first: InvokeModelOutput = await env.run(invoke, byRef());
    expect(first).not.toHaveProperty('content');
    expect(first.message).toEqual(reply('seen 2'));
    expect(first.transcript?.length).toBe(3);
    const second: InvokeModelOutput = await env.run(
      invoke,
      byRef({
        turn: 2,
        transcript: { id: 'run:exec:1', length: 3, hash: first.transcript!.hash },
        newMessages: [user('q2')],
        options: undefined,
      }),
    );
    expect(second.message).toEqual(reply('seen 4'));
    expect(client.calls[1]?.messages).toEqual([sys, user('q'), reply('seen 2'), user('q2')]);
    // The options came from the store.
    expect(client.calls[1]?.options.tools).toEqual(tools);
    expect(second.transcript?.length).toBe(5);
    expect(second.transcript?.previousHash).not.toBe(first.transcript?.hash);
  });

  test('appendConversation by reference drops the system messages it names (a continued run cannot tell their roles)', async () => {
    const transcriptStore = new InMemoryTranscriptStore();
    const conversationStore = new InMemoryConversationStore();
    const conv = await conversationStore.save({ title: 't', messages: [] });
    const env = activityEnv();
    const first: InvokeModelOutput = await env.run(
      createInvokeModel({ llm: llm(), transcriptStore }),
      byRef(),
    );
    const acts = createConversationActivities({ conversationStore, transcriptStore });
    const input = {
      runId: 'run',
      conversationId: conv.id,
      messages: [user('q')],
      // The whole transcript from its start: [system, q, reply], then a message with no store.
      stored: {
        transcript: { id: 'run:exec:1', length: 3, hash: first.transcript!.hash },
        from: 0,
        then: [sys, user('next')],
      },
    };
    const r: AppendConversationResult = await env.run(
      (i: typeof input) => acts.appendConversation(i),
      input,
    );
    expect(r.appended).toBe(4);
    const stored = await conversationStore.getMessages(conv.id);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'q'],
      ['user', 'q'],
      ['assistant', 'seen 2'],
      ['user', 'next'],
    ]);
  });

  test('appendConversation by reference: a transcript store that fails is a retried STORAGE_ERROR, not TRANSCRIPT_MISSING', async () => {
    class Failing extends InMemoryTranscriptStore {
      override read(): Promise<null> {
        return Promise.reject(new Error('connection reset'));
      }
    }
    const conversationStore = new InMemoryConversationStore();
    const conv = await conversationStore.save({ title: 't', messages: [] });
    const acts = createConversationActivities({
      conversationStore,
      transcriptStore: new Failing(),
    });
    const input = {
      runId: 'run',
      conversationId: conv.id,
      messages: [user('q')],
      stored: { transcript: { id: 'run:exec:1', length: 3, hash: 'h' }, from: 0, then: [] },
    };
    const failure = await failureOf(
      activityEnv().run((i: typeof input) => acts.appendConversation(i), input),
    );
    expect(failure).toMatchObject({ type: 'STORAGE_ERROR', nonRetryable: false });
    expect(failure.message).toContain('connection reset');
    expect(await conversationStore.getMessages(conv.id)).toHaveLength(0);
  });

  test('a retried attempt rewrites the same positions: nothing is duplicated', async () => {
    const store = new InMemoryTranscriptStore();
    const invoke = createInvokeModel({ llm: llm(), transcriptStore: store });
    const env = activityEnv();
    const a: InvokeModelOutput = await env.run(invoke, byRef());
    const b: InvokeModelOutput = await env.run(invoke, byRef());
    expect(b.transcript).toEqual(a.transcript);
    expect((await store.read('run:exec:1', 3))?.map((e) => e.message)).toEqual([
      sys,
      user('q'),
      reply('seen 2'),
    ]);
    expect(await store.read('run:exec:1', 4)).toBeNull();
  });

  test('a prefix the store lacks is TRANSCRIPT_MISSING, not retried, before any model call', async () => {
    const client = llm();
    const invoke = createInvokeModel({ llm: client });
    const failure = await failureOf(
      activityEnv().run(invoke, byRef({ transcript: { id: 'run:exec:1', length: 3, hash: 'h' } })),
    );
    expect(failure).toMatchObject({ type: 'TRANSCRIPT_MISSING', nonRetryable: true });
    expect(client.calls).toHaveLength(0);
  });

  test('stored messages that do not chain to the reference are TRANSCRIPT_MISSING', async () => {
    const store = new InMemoryTranscriptStore();
    const invoke = createInvokeModel({ llm: llm(), transcriptStore: store });
    const env = activityEnv();
    const first: InvokeModelOutput = await env.run(invoke, byRef());
    // Another call of the run rewrote position 1.
    const other = chainEntries(first.transcript!.previousHash, [user('other')]);
    await store.append('run:exec:1', 1, other);
    const failure = await failureOf(
      env.run(
        invoke,
        byRef({
          transcript: { id: 'run:exec:1', length: 3, hash: first.transcript!.hash },
          newMessages: [user('q2')],
        }),
      ),
    );
    expect(failure.type).toBe('TRANSCRIPT_MISSING');
  });

  test('missing call options are TRANSCRIPT_MISSING', async () => {
    const store = new InMemoryTranscriptStore();
    const invoke = createInvokeModel({ llm: llm(), transcriptStore: store });
    const env = activityEnv();
    const first: InvokeModelOutput = await env.run(invoke, byRef());
    const failure = await failureOf(
      env.run(
        invoke,
        byRef({
          transcript: { id: 'run:exec:1', length: 3, hash: first.transcript!.hash },
          optionsKey: 'o7',
          options: undefined,
        }),
      ),
    );
    expect(failure.type).toBe('TRANSCRIPT_MISSING');
  });

  test('a failing store: reading is TRANSCRIPT_MISSING, writing loses only the tip', async () => {
    const broken: TranscriptStore = {
      append: () => Promise.reject(new Error('down')),
      read: () => Promise.reject(new Error('down')),
      putConstant: () => Promise.reject(new Error('down')),
      getConstant: () => Promise.reject(new Error('down')),
      close: () => Promise.resolve(),
    };
    const invoke = createInvokeModel({ llm: llm(), transcriptStore: broken });
    const env = activityEnv();
    const answered: InvokeModelOutput = await env.run(invoke, byRef());
    expect(answered.message).toEqual(reply('seen 2'));
    expect(answered.transcript).toBeUndefined();
    const failure = await failureOf(
      env.run(invoke, byRef({ transcript: { id: 'run:exec:1', length: 3, hash: 'h' } })),
    );
    expect(failure.type).toBe('TRANSCRIPT_MISSING');
  });

  test('the whole-conversation input of earlier runs still gets a whole result', async () => {
    const invoke = createInvokeModel({ llm: llm() });
    const out: InvokeModelOutput = await activityEnv().run(invoke, {
      runId: 'run',
      turn: 1,
      messages: [user('q')],
      options: {},
    });
    expect(out).toMatchObject({ content: 'seen 1', toolCalls: [], message: reply('seen 1') });
    expect(out.transcript).toBeUndefined();
  });
});

test('the memory store drops the least recently used transcripts beyond its bound', async () => {
  const store = new InMemoryTranscriptStore({ maxChars: 450 });
  const big = (id: string) => chainEntries('', [user(`${id}:${'x'.repeat(100)}`)]);
  await store.append('a', 0, big('a'));
  await store.append('b', 0, big('b'));
  expect(await store.read('a', 1)).not.toBeNull();
  // a was read last: c pushes b out.
  await store.append('c', 0, big('c'));
  expect(await store.read('b', 1)).toBeNull();
  expect(await store.read('a', 1)).not.toBeNull();
  expect(await store.read('c', 1)).not.toBeNull();
});
