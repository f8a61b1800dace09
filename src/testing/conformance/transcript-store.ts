// Node side: the TranscriptStore conformance suite of `agent-runtime-core/testing`: every backend
// (ours and yours) runs the same tests, so they cannot drift apart.
import { randomUUID } from 'node:crypto';
import type { Message } from '../../core/types';
import type { TranscriptEntry, TranscriptStore } from '../../transcripts/transcript-store';
import { HOSTILE_TEXTS, expectCode, testRunner } from './helpers';

/** Builds the store one test uses; the suite closes it after the test. */
export type TranscriptStoreFactory = () => Promise<TranscriptStore>;

/** Entries for messages, with made-up chained hashes (the store keeps them as given). */
function entries(messages: Message[], start = 0, tag = 'h'): TranscriptEntry[] {
  return messages.map((message, i) => ({
    message,
    hash: `${tag}${start + i}`,
    previousHash: start + i === 0 ? '' : `${tag}${start + i - 1}`,
  }));
}

function user(content: string): Message {
  return { role: 'user', content };
}

/**
 * Declares the `TranscriptStore` contract as a `describe` block of tests for one backend:
 * entries by position, read whole or not at all, as copies (hostile strings and unknown message
 * fields intact); appends that replace their positions, so a retried call duplicates nothing;
 * constants per transcript; typed validation errors. Every test uses fresh transcript ids, so
 * stores may share a database or key prefix.
 *
 * Call it at the top level of a test file run by Jest, or by Vitest with `globals: true`: it uses
 * the runner's global `describe`, `it`, `beforeEach`, `afterEach` and `expect`.
 *
 * @example
 * describeTranscriptStore('redis', async () => new RedisTranscriptStore({ client: redis, keyPrefix }));
 */
export function describeTranscriptStore(name: string, factory: TranscriptStoreFactory): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`TranscriptStore conformance: ${name}`, () => {
    let store: TranscriptStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => store.close());

    it('reads the first `length` entries in order, or null when one is missing', async () => {
      const id = `t-${randomUUID()}`;
      expect(await store.read(id, 0)).toEqual([]);
      expect(await store.read(id, 1)).toBeNull();
      const written = entries([user('a'), user('b'), user('c')]);
      await store.append(id, 0, written);
      expect(await store.read(id, 2)).toEqual(written.slice(0, 2));
      expect(await store.read(id, 3)).toEqual(written);
      expect(await store.read(id, 4)).toBeNull();
      // A gap: position 3 is missing.
      await store.append(id, 4, entries([user('e')], 4));
      expect(await store.read(id, 5)).toBeNull();
      expect(await store.read(id, 3)).toEqual(written);
    });

    it('keeps copies: changing what was written or read changes nothing stored', async () => {
      const id = `t-${randomUUID()}`;
      const written = entries([user('original')]);
      await store.append(id, 0, written);
      (written[0]!.message as { content: string }).content = 'changed';
      const read = await store.read(id, 1);
      expect(read?.[0]?.message).toEqual(user('original'));
      (read![0]!.message as { content: string }).content = 'changed again';
      expect((await store.read(id, 1))?.[0]?.message).toEqual(user('original'));
    });

    it('a retried append rewrites its positions: nothing is duplicated', async () => {
      const id = `t-${randomUUID()}`;
      const first = entries([user('a'), user('b')]);
      await store.append(id, 0, first);
      await store.append(id, 0, first);
      const next = entries([{ role: 'assistant', content: 'c' }], 2);
      await store.append(id, 2, next);
      await store.append(id, 2, next);
      expect(await store.read(id, 3)).toEqual([...first, ...next]);
      expect(await store.read(id, 4)).toBeNull();
    });

    it('an append replaces what its positions held', async () => {
      const id = `t-${randomUUID()}`;
      const old = entries([user('a'), user('b'), user('c')]);
      await store.append(id, 0, old);
      const replaced = entries([user('x')], 1, 'other');
      await store.append(id, 1, replaced);
      expect(await store.read(id, 3)).toEqual([old[0], replaced[0], old[2]]);
    });

    it('keeps transcripts apart', async () => {
      const a = `t-${randomUUID()}`;
      const b = `t-${randomUUID()}`;
      await store.append(a, 0, entries([user('for a')]));
      expect(await store.read(b, 1)).toBeNull();
      await store.append(b, 0, entries([user('for b')]));
      expect((await store.read(a, 1))?.[0]?.message).toEqual(user('for a'));
      expect((await store.read(b, 1))?.[0]?.message).toEqual(user('for b'));
    });

    it('keeps messages exactly: hostile strings, tool calls, unknown fields', async () => {
      const id = `t-${randomUUID()}`;
      const messages: Message[] = [
        ...Object.values(HOSTILE_TEXTS).map(user),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'f', arguments: `{"x":"${HOSTILE_TEXTS.sqlish}"}` },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: HOSTILE_TEXTS.emoji },
        {
          role: 'user',
          content: [{ type: 'text', text: HOSTILE_TEXTS.rtl }],
          metadata: { n: 1 },
          providerField: { kept: true },
        } as Message,
      ];
      const written = entries(messages, 0, HOSTILE_TEXTS.loneHigh);
      await store.append(id, 0, written);
      expect(await store.read(id, messages.length)).toEqual(written);
    });

    it('keeps constants per transcript, replacing by key', async () => {
      const a = `t-${randomUUID()}`;
      const b = `t-${randomUUID()}`;
      expect(await store.getConstant(a, 'o1')).toBeNull();
      await store.putConstant(a, 'o1', { model: 'm', tools: [{ name: HOSTILE_TEXTS.nul! }] });
      await store.putConstant(a, 'o2', { temperature: 0.5 });
      expect(await store.getConstant(a, 'o1')).toEqual({
        model: 'm',
        tools: [{ name: HOSTILE_TEXTS.nul }],
      });
      expect(await store.getConstant(b, 'o1')).toBeNull();
      await store.putConstant(a, 'o1', { model: 'other' });
      expect(await store.getConstant(a, 'o1')).toEqual({ model: 'other' });
      expect(await store.getConstant(a, 'o2')).toEqual({ temperature: 0.5 });
    });

    it('rejects bad input with typed errors', async () => {
      const good = entries([user('a')]);
      await expectCode(store.append('', 0, good), 'VALIDATION_ERROR', 'transcriptId');
      await expectCode(store.read('a\u0000b', 1), 'VALIDATION_ERROR', 'transcriptId');
      await expectCode(store.append('t', -1, good), 'VALIDATION_ERROR', 'from');
      await expectCode(store.read('t', 1.5), 'VALIDATION_ERROR', 'length');
      await expectCode(
        store.append('t', 0, [{ message: {} as Message, hash: 'h', previousHash: '' }]),
        'VALIDATION_ERROR',
      );
      await expectCode(store.putConstant('t', '', {}), 'VALIDATION_ERROR', 'key');
      await expectCode(store.putConstant('t', 'k', { x: Number.NaN }), 'VALIDATION_ERROR');
      // ids and keys are kept as is (a column, a Redis key): lone surrogates are refused everywhere
      await expectCode(store.append('t\uD800', 0, good), 'VALIDATION_ERROR', 'transcriptId');
      await expectCode(store.putConstant('t', '\uDC00', {}), 'VALIDATION_ERROR', 'key');
      await expectCode(store.getConstant('t', 'k\uD800'), 'VALIDATION_ERROR', 'key');
      const value = { '\uD800k': '\uDC00v', 'n\u0000': ['\u0000'] };
      await store.putConstant('t-json', 'k', value);
      expect(await store.getConstant('t-json', 'k')).toEqual(value);
    });
  });
}
