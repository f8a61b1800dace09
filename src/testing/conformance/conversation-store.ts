// Node side (tests only): the ConversationStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { randomUUID } from 'node:crypto';
import { Scope } from '../../persistence/models';
import type { ConversationStore } from '../../persistence/conversations/store';
import type { StoreFactory } from './helpers';
import { expectCode, HOSTILE_TEXTS, scopeOptions, testRunner } from './helpers';

/**
 * The `ConversationStore` contract: save/get/list/delete, message order and round-trips, hostile
 * and large content, 50 concurrent appenders, branches, and forks.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describeConversationStore(
  name: string,
  factory: StoreFactory<ConversationStore>,
): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`ConversationStore conformance: ${name}`, () => {
    let store: ConversationStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    const text = (m: { content: unknown }) => m.content;

    it('saves, gets, lists newest first with paging and agent filter, and deletes', async () => {
      const a = await store.save({ title: 'A', agentKey: 'agent-1' });
      const b = await store.save({
        title: 'B',
        agentKey: 'agent-2',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const c = await store.save({ title: 'C', agentKey: 'agent-1' });
      expect((await store.get(b.id))?.messages.map(text)).toEqual(['hi']);
      expect((await store.list()).map((x) => x.title)).toEqual(['C', 'B', 'A']);
      expect((await store.list({ limit: 1, offset: 1 })).map((x) => x.title)).toEqual(['B']);
      expect((await store.list({ agentKey: 'agent-1' })).map((x) => x.id)).toEqual([c.id, a.id]);
      expect((await store.list())[0]?.messages).toEqual([]);
      await store.save({ ...a, title: 'A2' });
      const listed = await store.list();
      expect(listed[0]?.title).toBe('A2');
      expect(listed[0]?.createdAt.getTime()).toBe(a.createdAt.getTime());
      expect(await store.delete(a.id)).toBe(true);
      expect(await store.delete(a.id)).toBe(false);
      expect(await store.get(a.id)).toBeNull();
      await expectCode(store.getMessages(a.id), 'NOT_FOUND');
    });

    it('keeps scopes apart', async () => {
      const conv = await store.save({ title: 'session only' }, Scope.SESSION);
      expect(await store.get(conv.id)).toBeNull();
      expect((await store.get(conv.id, Scope.SESSION))?.title).toBe('session only');
      expect(await store.list()).toEqual([]);
    });

    it('appends messages in order and round-trips every field', async () => {
      const conv = await store.save({ title: 'fields' });
      const ts = new Date('2024-05-01T10:00:00.000Z');
      const [stored] = await store.addMessages(conv.id, [
        {
          role: 'assistant',
          content: null,
          timestamp: ts,
          toolCalls: [
            { id: 'call_1', name: 'search', arguments: '{"q": "docs"}' },
            // Model output may be malformed: the store keeps the text as given.
            { id: 'call_2', name: 'search', arguments: '{"q": ' },
          ],
          model: 'gpt-4o',
          usage: { promptTokens: 3 },
          metadata: { nested: { ok: true } },
        },
      ]);
      await store.addMessages(conv.id, [
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'result' }] },
        { role: 'user', content: { structured: [1, 2] } },
      ]);
      const msgs = await store.getMessages(conv.id);
      expect(msgs.map((m) => m.role)).toEqual(['assistant', 'tool', 'user']);
      expect(msgs[0]).toEqual(stored);
      expect(msgs[0]?.timestamp).toEqual(ts);
      expect(msgs[0]?.toolCalls).toEqual([
        { id: 'call_1', name: 'search', arguments: '{"q": "docs"}' },
        { id: 'call_2', name: 'search', arguments: '{"q": ' },
      ]);
      expect(msgs[1]?.content).toEqual([{ type: 'text', text: 'result' }]);
      expect(msgs[2]?.content).toEqual({ structured: [1, 2] });
      expect(msgs[1]?.toolCallId).toBe('call_1');
    });

    it('getMessages honours limit and before', async () => {
      const conv = await store.save({ title: 'paging' });
      const base = Date.parse('2024-01-01T00:00:00Z');
      await store.addMessages(
        conv.id,
        [0, 1, 2, 3, 4].map((i) => ({
          role: 'user' as const,
          content: `m${i}`,
          timestamp: new Date(base + i * 1000),
        })),
      );
      expect((await store.getMessages(conv.id, { limit: 2 })).map(text)).toEqual(['m3', 'm4']);
      expect(
        (await store.getMessages(conv.id, { before: new Date(base + 3000) })).map(text),
      ).toEqual(['m0', 'm1', 'm2']);
      expect(
        (await store.getMessages(conv.id, { before: new Date(base + 3000), limit: 1 })).map(text),
      ).toEqual(['m2']);
      expect(await store.getMessages(conv.id, { limit: 0 })).toEqual([]);
    });

    it('save appends new messages and updates stored ones without deleting', async () => {
      const conv = await store.save({ title: 'x', messages: [{ role: 'user', content: 'one' }] });
      const loaded = (await store.get(conv.id))!;
      const first = loaded.messages[0]!;
      await store.save({
        ...loaded,
        messages: [
          { ...first, content: 'one (edited in place)' },
          { role: 'assistant', content: 'two' },
        ],
      });
      await store.save({ ...loaded, messages: [] });
      expect((await store.getMessages(conv.id)).map(text)).toEqual([
        'one (edited in place)',
        'two',
      ]);
    });

    it('rejects appends to a missing conversation, duplicate ids and invalid messages without partial writes', async () => {
      await expectCode(
        store.addMessages(randomUUID(), [{ role: 'user', content: 'x' }]),
        'NOT_FOUND',
      );
      const conv = await store.save({ title: 'x' });
      const [m] = await store.addMessages(conv.id, [{ role: 'user', content: 'first' }]);
      await expectCode(
        store.addMessages(conv.id, [
          { role: 'user', content: 'ok' },
          { id: m!.id, role: 'user', content: 'dup' },
        ]),
        'CONFLICT',
      );
      await expectCode(
        store.addMessages(conv.id, [
          { role: 'user', content: 'ok' },
          { role: 'robot' as never, content: 'bad' },
        ]),
        'VALIDATION_ERROR',
        'messages.1.role',
      );
      await expectCode(
        store.addMessages(conv.id, [{ id: 'not-a-uuid', role: 'user' }]),
        'VALIDATION_ERROR',
        'messages.0.id',
      );
      // A tool call's arguments are the model's JSON text, never an object.
      await expectCode(
        store.addMessages(conv.id, [
          {
            role: 'assistant',
            toolCalls: [{ id: 'call_1', name: 'search', arguments: { q: 'docs' } as never }],
          },
        ]),
        'VALIDATION_ERROR',
        'messages.0.toolCalls.0.arguments',
      );
      await expectCode(
        store.save({ id: randomUUID(), title: 5 as never }),
        'VALIDATION_ERROR',
        'conversation.title',
      );
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['first']);
    });

    it('refuses hostile arguments with VALIDATION_ERROR naming the field, and keeps working', async () => {
      const conv = await store.save({
        title: 'target',
        messages: [{ role: 'user', content: 'q' }],
      });
      const msgId = conv.messages[0]!.id;
      let deep: unknown = 'x';
      for (let i = 0; i < 10_000; i++) deep = [deep];
      const bad = (v: unknown) => v as string;
      await expectCode(store.get(bad(deep)), 'VALIDATION_ERROR', 'id');
      await expectCode(store.get(bad({ a: 1 })), 'VALIDATION_ERROR', 'id');
      await expectCode(store.get('a\u0000b'), 'VALIDATION_ERROR', 'id');
      await expectCode(store.delete(bad(42)), 'VALIDATION_ERROR', 'id');
      await expectCode(
        store.addMessages(bad(deep), [{ role: 'user', content: 'x' }]),
        'VALIDATION_ERROR',
        'conversationId',
      );
      await expectCode(
        store.getMessages(conv.id, { branchId: 'a\u0000b' }),
        'VALIDATION_ERROR',
        'options.branchId',
      );
      await expectCode(
        store.getMessages(conv.id, { before: bad('x') as unknown as Date }),
        'VALIDATION_ERROR',
        'options.before',
      );
      await expectCode(store.list({ agentKey: bad(null) }), 'VALIDATION_ERROR', 'options.agentKey');
      await expectCode(
        store.addMessages(conv.id, [{ role: 'user', content: 'x', metadata: { deep } as never }]),
        'VALIDATION_ERROR',
      );
      await expectCode(
        store.save({ title: 'far', createdAt: new Date('+010000-01-01T00:00:00Z') }),
        'VALIDATION_ERROR',
        'conversation.createdAt',
      );
      await expectCode(
        store.fork(conv.id, msgId, { id: conv.id }),
        'VALIDATION_ERROR',
        'options.id',
      );
      const other = await store.save({ title: 'other' });
      await expectCode(store.fork(conv.id, msgId, { id: other.id }), 'CONFLICT');
      // nothing was written, and the store still answers
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['q']);
      expect((await store.get(other.id))?.title).toBe('other');
    });

    it('stores hostile and very large content intact', async () => {
      const conv = await store.save({ title: HOSTILE_TEXTS.nul! + HOSTILE_TEXTS.loneHigh! });
      const big = 'x'.repeat(5 * 1024 * 1024 - 3) + '\u0000é';
      const inputs = [...Object.values(HOSTILE_TEXTS), big].map((content) => ({
        role: 'user' as const,
        content,
        metadata: { content },
        // The 5 MiB text once is enough: the arguments get the first KiB of each text.
        toolCalls: [{ id: 'call_1', name: 'echo', arguments: content.slice(0, 1024) }],
      }));
      await store.addMessages(conv.id, inputs);
      const back = await store.get(conv.id);
      expect(back?.title).toBe(HOSTILE_TEXTS.nul! + HOSTILE_TEXTS.loneHigh!);
      expect(back?.messages.map(text)).toEqual(inputs.map((i) => i.content));
      expect(back?.messages.map((m) => m.metadata.content)).toEqual(inputs.map((i) => i.content));
      expect(back?.messages.map((m) => m.toolCalls[0]?.arguments)).toEqual(
        inputs.map((i) => i.toolCalls[0]?.arguments),
      );
      // The store still works after hostile rows.
      await store.addMessages(conv.id, [{ role: 'assistant', content: 'after' }]);
      expect((await store.getMessages(conv.id, { limit: 1 })).map(text)).toEqual(['after']);
    }, 60_000);

    it('keeps every message and a total order under 50 concurrent appenders', async () => {
      const conv = await store.save({ title: 'race' });
      await Promise.all(
        Array.from({ length: 50 }, (_, w) =>
          store.addMessages(
            conv.id,
            [0, 1].map((i) => ({ role: 'user' as const, content: `w${w}-${i}` })),
          ),
        ),
      );
      const all = (await store.getMessages(conv.id)).map((m) => m.content as string);
      expect(all).toHaveLength(100);
      expect(new Set(all).size).toBe(100);
      for (let w = 0; w < 50; w++) {
        const i0 = all.indexOf(`w${w}-0`);
        // A batch is atomic: its two messages are adjacent.
        expect(all[i0 + 1]).toBe(`w${w}-1`);
      }
      expect(await store.getMessages(conv.id, { allBranches: true })).toHaveLength(100);
    });

    it('branches on edit, switches branches and reads each path from the root', async () => {
      const conv = await store.save({ title: 'branches' });
      const [, a1, u2, a2] = await store.addMessages(conv.id, [
        { role: 'user', content: 'u1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'u2' },
        { role: 'assistant', content: 'a2' },
      ]);
      // Edit u2: a new branch whose path is u1, a1, u2'.
      const edit = await store.createBranch(conv.id, u2!.id, { role: 'user', content: "u2'" });
      expect(edit.message.parentMessageId).toBe(u2!.id);
      expect(edit.message.branchId).toBe(edit.branchId);
      expect((await store.get(conv.id))?.activeBranchId).toBe(edit.branchId);
      // New messages go to the active branch.
      await store.addMessages(conv.id, [{ role: 'assistant', content: "a2'" }]);
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['u1', 'a1', "u2'", "a2'"]);
      // Regenerate a1 without activating: a branch off main.
      const regen = await store.createBranch(
        conv.id,
        a1!.id,
        { role: 'assistant', content: 'a1*' },
        { activate: false },
      );
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['u1', 'a1', "u2'", "a2'"]);
      expect((await store.getMessages(conv.id, { branchId: regen.branchId })).map(text)).toEqual([
        'u1',
        'a1*',
      ]);
      expect((await store.getMessages(conv.id, { branchId: null })).map(text)).toEqual([
        'u1',
        'a1',
        'u2',
        'a2',
      ]);
      // A branch of a branch: edit a2' on the edit branch.
      await store.setActiveBranch(conv.id, edit.branchId);
      const path = await store.getMessages(conv.id);
      const nested = await store.createBranch(conv.id, path[3]!.id, {
        role: 'assistant',
        content: "a2''",
      });
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['u1', 'a1', "u2'", "a2''"]);
      // Main keeps growing independently.
      await store.setActiveBranch(conv.id, null);
      await store.addMessages(conv.id, [{ role: 'user', content: 'u3' }]);
      expect((await store.get(conv.id))?.messages.map(text)).toEqual([
        'u1',
        'a1',
        'u2',
        'a2',
        'u3',
      ]);
      expect((await store.getMessages(conv.id, { branchId: nested.branchId })).map(text)).toEqual([
        'u1',
        'a1',
        "u2'",
        "a2''",
      ]);
      const branches = await store.listBranches(conv.id);
      expect(
        branches.map((b) => [b.branchId, b.forkMessageId, b.parentBranchId, b.messageCount]),
      ).toEqual([
        [null, null, null, 5],
        [edit.branchId, u2!.id, null, 2],
        [regen.branchId, a1!.id, null, 1],
        [nested.branchId, path[3]!.id, edit.branchId, 1],
      ]);
      expect(await store.getMessages(conv.id, { allBranches: true })).toHaveLength(9);
      await expectCode(store.setActiveBranch(conv.id, randomUUID()), 'NOT_FOUND');
      await expectCode(store.getMessages(conv.id, { branchId: randomUUID() }), 'NOT_FOUND');
      await expectCode(store.createBranch(conv.id, randomUUID(), { role: 'user' }), 'NOT_FOUND');
      await expectCode(
        store.createBranch(conv.id, a2!.id, { role: 'user', branchId: edit.branchId }),
        'CONFLICT',
      );
    });

    it('creates a branch from a README-style message with parentMessageId and branchId', async () => {
      const conv = await store.save({
        title: 'readme',
        messages: [{ role: 'user', content: 'Original question' }],
      });
      const original = (await store.get(conv.id))!.messages[0]!;
      const branchId = randomUUID();
      await store.addMessages(conv.id, [
        { role: 'user', content: 'Updated question', parentMessageId: original.id, branchId },
      ]);
      const loaded = await store.get(conv.id);
      expect(loaded?.activeBranchId).toBe(branchId);
      expect(loaded?.messages.map(text)).toEqual(['Updated question']);
      await expectCode(
        store.addMessages(conv.id, [{ role: 'user', branchId: randomUUID() }]),
        'VALIDATION_ERROR',
        'message.parentMessageId',
      );
      await expectCode(
        store.save({ ...loaded!, activeBranchId: randomUUID() }),
        'VALIDATION_ERROR',
        'conversation.activeBranchId',
      );
      // Saving the loaded conversation back keeps its branch.
      await store.save(loaded!);
      expect((await store.get(conv.id))?.activeBranchId).toBe(branchId);
    });

    it('forks a conversation at a message', async () => {
      const conv = await store.save({ title: 'source', agentKey: 'agent', metadata: { k: 1 } });
      const [u1, a1] = await store.addMessages(conv.id, [
        { role: 'user', content: 'u1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'u2' },
      ]);
      const edit = await store.createBranch(conv.id, a1!.id, { role: 'assistant', content: 'a1*' });
      await store.addMessages(conv.id, [{ role: 'user', content: 'u2*' }]);
      const fork = await store.fork(conv.id, edit.message.id, { title: 'Forked conversation' });
      expect(fork.id).not.toBe(conv.id);
      expect(fork.parentConversationId).toBe(conv.id);
      expect(fork.forkedFromMessageId).toBe(edit.message.id);
      expect(fork.title).toBe('Forked conversation');
      expect(fork.agentKey).toBe('agent');
      expect(fork.activeBranchId).toBeUndefined();
      expect(fork.messages.map(text)).toEqual(['u1', 'a1*']);
      expect(fork.messages[0]?.id).toBe(u1!.id);
      expect(
        fork.messages.every((m) => m.branchId === undefined && m.parentMessageId === undefined),
      ).toBe(true);
      await store.addMessages(fork.id, [{ role: 'user', content: 'fork only' }]);
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['u1', 'a1*', 'u2*']);
      expect((await store.getMessages(fork.id)).map(text)).toEqual(['u1', 'a1*', 'fork only']);
      await expectCode(store.fork(conv.id, randomUUID()), 'NOT_FOUND');
    });
  });
}
