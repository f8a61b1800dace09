// Conformance suites for the persistence store interfaces: every implementation (memory,
// Postgres, PGlite) runs the same tests, so they cannot drift apart.
import { randomUUID } from 'node:crypto';
import type { AgentRuntimeError } from '../../src/core/errors';
import type {
  AuditStore,
  ConversationStore,
  KnowledgeStore,
  MemoryStore,
  PreferencesStore,
  StoreScopeOptions,
  TaskStore,
} from '../../src/persistence';
import { AuditEventType, FactType, Scope, TaskState } from '../../src/persistence';
import { HOSTILE_TEXTS, expectCode } from '../../src/testing/conformance/assertions';

// Shared with the StateStore and EventBus suites (src/testing/conformance/).
export { HOSTILE_TEXTS, expectCode };

/** Builds a fresh store for one test; `options` isolate its PROJECT and SESSION scopes. */
export type StoreFactory<T> = (options: StoreScopeOptions) => Promise<T>;

function scopeOptions(): StoreScopeOptions {
  return { projectId: `p-${randomUUID()}`, sessionId: `s-${randomUUID()}` };
}

/** The MemoryStore contract. */
export function describeMemoryStore(name: string, factory: StoreFactory<MemoryStore>): void {
  describe(`MemoryStore conformance: ${name}`, () => {
    let store: MemoryStore;
    let opts: StoreScopeOptions;
    beforeEach(async () => {
      opts = scopeOptions();
      store = await factory(opts);
    });
    afterEach(async () => store.close());

    it('gets, sets, overwrites and deletes JSON values', async () => {
      expect(await store.get('missing')).toBeUndefined();
      await store.set('user_name', 'Alice');
      expect(await store.get('user_name')).toBe('Alice');
      await store.set('user_name', { first: 'Alice', tags: [1, true, null] });
      expect(await store.get('user_name')).toEqual({ first: 'Alice', tags: [1, true, null] });
      expect(await store.delete('user_name')).toBe(true);
      expect(await store.delete('user_name')).toBe(false);
      expect(await store.get('user_name')).toBeUndefined();
    });

    it('returns copies, not references', async () => {
      const value = { n: 1 };
      await store.set('k', value);
      value.n = 2;
      const got = (await store.get('k')) as { n: number };
      expect(got.n).toBe(1);
      got.n = 3;
      expect(await store.get('k')).toEqual({ n: 1 });
    });

    it('keeps GLOBAL, PROJECT, SESSION and different projects apart', async () => {
      await store.set('k', 'project');
      await store.set('k', 'global', Scope.GLOBAL);
      await store.set('k', 'session', Scope.SESSION);
      await store.set('k', 'other-project', {
        scope: 'project',
        projectId: `${opts.projectId}-other`,
      });
      await store.set('k', 'other-session', { scope: 'session', sessionId: 'another' });
      expect(await store.get('k')).toBe('project');
      expect(await store.get('k', Scope.PROJECT)).toBe('project');
      expect(await store.get('k', Scope.GLOBAL)).toBe('global');
      expect(await store.get('k', Scope.SESSION)).toBe('session');
      expect(await store.get('k', { scope: 'session', sessionId: 'another' })).toBe(
        'other-session',
      );
      expect(await store.clear(Scope.SESSION)).toBe(1);
      expect(await store.get('k', Scope.SESSION)).toBeUndefined();
      expect(await store.get('k')).toBe('project');
      await store.clear(Scope.GLOBAL);
    });

    it('rejects SESSION scope without a session id', async () => {
      const noSession = await factory({ projectId: opts.projectId ?? 'x' });
      await expectCode(noSession.get('k', Scope.SESSION), 'VALIDATION_ERROR', 'scope.sessionId');
      await noSession.close();
    });

    it('lists keys sorted, with prefixes matched literally', async () => {
      const keys = ['a%b', 'a_b', 'axb', 'a\\b', "a'b", 'ab', 'b', 'a%'];
      for (const k of keys) await store.set(k, k);
      expect(await store.listKeys()).toEqual([...keys].sort());
      expect(await store.listKeys({ prefix: 'a%' })).toEqual(['a%', 'a%b']);
      expect(await store.listKeys({ prefix: 'a_' })).toEqual(['a_b']);
      expect(await store.listKeys({ prefix: 'a\\' })).toEqual(['a\\b']);
      expect(await store.listKeys({ prefix: "a'" })).toEqual(["a'b"]);
      expect(await store.listKeys({ prefix: 'zz' })).toEqual([]);
      expect(await store.clear()).toBe(keys.length);
      expect(await store.listKeys()).toEqual([]);
    });

    it('stores hostile text values intact', async () => {
      for (const [k, v] of Object.entries(HOSTILE_TEXTS)) {
        await store.set(k, { v });
        expect(await store.get(k)).toEqual({ v });
      }
    });

    it('rejects bad keys and non-JSON values with a typed error', async () => {
      await expectCode(store.set('', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('a\u0000b', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('a\uD800', 1), 'VALIDATION_ERROR', 'key');
      await expectCode(store.set('k', Number.NaN), 'VALIDATION_ERROR', 'value');
      await expectCode(store.set('k', { d: new Date() } as never), 'VALIDATION_ERROR');
      expect(await store.listKeys()).toEqual([]);
    });
  });
}

/** The PreferencesStore contract. */
export function describePreferencesStore(
  name: string,
  factory: StoreFactory<PreferencesStore>,
): void {
  describe(`PreferencesStore conformance: ${name}`, () => {
    let store: PreferencesStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    it('defaults to GLOBAL scope and keeps scopes apart', async () => {
      const key = `theme-${randomUUID()}`;
      await store.set(key, 'dark');
      expect(await store.get(key)).toBe('dark');
      expect(await store.get(key, Scope.GLOBAL)).toBe('dark');
      expect(await store.get(key, Scope.PROJECT)).toBeUndefined();
      await store.set(key, 'light', Scope.PROJECT);
      expect(await store.getAll(Scope.PROJECT)).toEqual({ [key]: 'light' });
      expect((await store.getAll())[key]).toBe('dark');
      expect(await store.delete(key)).toBe(true);
      expect(await store.delete(key)).toBe(false);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.get(key, Scope.PROJECT)).toBe('light');
    });

    it('rejects bad keys', async () => {
      await expectCode(store.set('\u0000', 'x', Scope.SESSION), 'VALIDATION_ERROR', 'key');
    });
  });
}

/** The ConversationStore contract, including branching, forks and concurrent appends. */
export function describeConversationStore(
  name: string,
  factory: StoreFactory<ConversationStore>,
): void {
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
          toolCalls: [{ id: 'call_1', name: 'search', arguments: { q: 'docs' }, timestamp: ts }],
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
      expect(msgs[0]?.toolCalls[0]?.arguments).toEqual({ q: 'docs' });
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
      await expectCode(
        store.save({ id: randomUUID(), title: 5 as never }),
        'VALIDATION_ERROR',
        'conversation.title',
      );
      expect((await store.getMessages(conv.id)).map(text)).toEqual(['first']);
    });

    it('stores hostile and very large content intact', async () => {
      const conv = await store.save({ title: HOSTILE_TEXTS.nul! + HOSTILE_TEXTS.loneHigh! });
      const big = 'x'.repeat(5 * 1024 * 1024 - 3) + '\u0000é';
      const inputs = [...Object.values(HOSTILE_TEXTS), big].map((content) => ({
        role: 'user' as const,
        content,
        metadata: { content },
      }));
      await store.addMessages(conv.id, inputs);
      const back = await store.get(conv.id);
      expect(back?.title).toBe(HOSTILE_TEXTS.nul! + HOSTILE_TEXTS.loneHigh!);
      expect(back?.messages.map(text)).toEqual(inputs.map((i) => i.content));
      expect(back?.messages.map((m) => m.metadata.content)).toEqual(inputs.map((i) => i.content));
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

/** The TaskStore contract: lists, transitions, dependencies, readiness, checkpoints, attempts. */
export function describeTaskStore(name: string, factory: StoreFactory<TaskStore>): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let store: TaskStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    it('saves a task and updates its state, setting completedAt on completion', async () => {
      const conversationId = randomUUID();
      const task = await store.save({ name: 'Review code', conversationId });
      expect(task.state).toBe(TaskState.NOT_STARTED);
      expect(task.completedAt).toBeUndefined();
      const started = await store.update(task.id, { state: TaskState.IN_PROGRESS });
      expect(started.state).toBe('in_progress');
      const done = await store.update(task.id, { state: TaskState.COMPLETE });
      expect(done.completedAt).toBeInstanceOf(Date);
      expect((await store.get(task.id))?.completedAt?.getTime()).toBe(done.completedAt?.getTime());
      await expectCode(store.update(task.id, { state: TaskState.IN_PROGRESS }), 'CONFLICT');
      const reopened = await store.update(task.id, { state: TaskState.NOT_STARTED });
      expect(reopened.completedAt).toBeUndefined();
      await expectCode(store.update(randomUUID(), { state: 'complete' }), 'NOT_FOUND');
      expect((await store.list({ conversationId })).map((t) => t.id)).toEqual([task.id]);
    });

    it('round-trips every enhanced field', async () => {
      const dep = await store.save({ name: 'dep' });
      const due = new Date('2024-12-31T00:00:00.000Z');
      const cp = new Date('2024-06-01T12:00:00.000Z');
      const t = await store.save({
        name: 'Process large dataset',
        description: 'Multi-step data processing',
        state: TaskState.IN_PROGRESS,
        dependencies: [dep.id],
        priority: 10,
        dueAt: due,
        checkpointData: { step: 5, processed: 1000 },
        checkpointAt: cp,
        attempts: 2,
        lastError: 'Temporary network failure',
        metadata: { m: [1] },
      });
      const back = await store.get(t.id);
      expect(back).toEqual(t);
      expect(back?.dependencies).toEqual([dep.id]);
      expect(back?.dueAt).toEqual(due);
      expect(back?.checkpointAt).toEqual(cp);
      expect(back?.checkpointData).toEqual({ step: 5, processed: 1000 });
      expect([back?.priority, back?.attempts, back?.lastError]).toEqual([
        10,
        2,
        'Temporary network failure',
      ]);
    });

    it('orders ready tasks by priority then due date, and gates them on dependencies', async () => {
      const a = await store.save({ name: 'a', priority: 1 });
      const b = await store.save({
        name: 'b',
        priority: 5,
        dueAt: new Date('2025-02-01T00:00:00Z'),
      });
      const c = await store.save({
        name: 'c',
        priority: 5,
        dueAt: new Date('2025-01-01T00:00:00Z'),
      });
      const d = await store.save({ name: 'd', priority: 5 });
      const e = await store.save({ name: 'e', priority: 100, dependencies: [a.id, b.id] });
      const names = async () => (await store.getReady()).map((t) => t.name);
      expect(await names()).toEqual(['c', 'b', 'd', 'a']);
      await store.update(a.id, { state: 'complete' });
      expect(await names()).toEqual(['c', 'b', 'd']);
      await store.update(b.id, { state: 'in_progress' });
      expect(await names()).toEqual(['c', 'd']);
      await store.update(b.id, { state: 'complete' });
      expect(await names()).toEqual(['e', 'c', 'd']);
      expect((await store.getReady({ limit: 1 })).map((t) => t.id)).toEqual([e.id]);
      await store.update(c.id, { state: 'cancelled' });
      expect(await names()).toEqual(['e', 'd']);
      expect(d.state).toBe('not_started');
      expect((await store.list({ state: 'complete' })).map((t) => t.name)).toEqual(['a', 'b']);
    });

    it('rejects dependency cycles, unknown dependencies and deleting a depended-on task', async () => {
      const a = await store.save({ name: 'a' });
      const b = await store.save({ name: 'b', dependencies: [a.id] });
      const c = await store.save({ name: 'c', dependencies: [b.id] });
      await expectCode(store.update(a.id, { dependencies: [c.id] }), 'DEPENDENCY_CYCLE');
      await expectCode(store.update(a.id, { dependencies: [a.id] }), 'DEPENDENCY_CYCLE');
      await expectCode(store.save({ ...a, dependencies: [b.id] }), 'DEPENDENCY_CYCLE');
      expect((await store.get(a.id))?.dependencies).toEqual([]);
      await expectCode(
        store.save({ name: 'x', dependencies: [randomUUID()] }),
        'VALIDATION_ERROR',
        'task.dependencies',
      );
      await expectCode(store.delete(b.id), 'CONFLICT');
      expect(await store.delete(c.id)).toBe(true);
      expect(await store.delete(b.id)).toBe(true);
      expect(await store.delete(b.id)).toBe(false);
      expect((await store.list()).map((t) => t.name)).toEqual(['a']);
    });

    it('keeps a cycle out even when written concurrently', async () => {
      const a = await store.save({ name: 'a' });
      const b = await store.save({ name: 'b' });
      const results = await Promise.allSettled([
        store.update(a.id, { dependencies: [b.id] }),
        store.update(b.id, { dependencies: [a.id] }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected');
      expect((failed?.reason as AgentRuntimeError).code).toBe('DEPENDENCY_CYCLE');
    });

    it('saves, reads, replaces and deletes task lists', async () => {
      const conversationId = randomUUID();
      const t1 = randomUUID();
      const t2 = randomUUID();
      // Tasks may reference later tasks of the same list.
      const list = await store.saveList({
        name: 'plan',
        conversationId,
        runId: 'run-1',
        tasks: [
          { id: t1, name: 'one', dependencies: [t2] },
          { id: t2, name: 'two' },
        ],
      });
      expect(list.tasks.map((t) => [t.name, t.taskListId])).toEqual([
        ['one', list.id],
        ['two', list.id],
      ]);
      expect((await store.getList(list.id))?.runId).toBe('run-1');
      expect((await store.getListByConversation(conversationId))?.id).toBe(list.id);
      expect(await store.getListByConversation(randomUUID())).toBeNull();
      expect((await store.getReady({ taskListId: list.id })).map((t) => t.name)).toEqual(['two']);
      await expectCode(store.saveList({ ...list, tasks: [list.tasks[0]!] }), 'CONFLICT');
      const replaced = await store.saveList({
        ...list,
        tasks: [{ ...list.tasks[1]!, name: 'two v2' }],
      });
      expect(replaced.tasks.map((t) => t.name)).toEqual(['two v2']);
      expect(await store.get(t1)).toBeNull();
      await expectCode(store.save({ name: 'orphan', taskListId: randomUUID() }), 'NOT_FOUND');
      await expectCode(
        store.saveList({ name: 'bad', tasks: [{ name: '' }] }),
        'VALIDATION_ERROR',
        'taskList.tasks.0.name',
      );
      expect(await store.deleteList(list.id)).toBe(true);
      expect(await store.deleteList(list.id)).toBe(false);
      expect(await store.getList(list.id)).toBeNull();
      expect(await store.get(t2)).toBeNull();
    });

    it('records checkpoints and attempts', async () => {
      const t = await store.save({ name: 'resumable' });
      const cp = await store.saveCheckpoint(t.id, { step: 3, text: HOSTILE_TEXTS.nul! });
      expect(cp.checkpointData).toEqual({ step: 3, text: HOSTILE_TEXTS.nul });
      expect(cp.checkpointAt).toBeInstanceOf(Date);
      const a1 = await store.recordAttempt(t.id, 'timeout');
      expect([a1.attempts, a1.lastError]).toEqual([1, 'timeout']);
      const a2 = await store.recordAttempt(t.id);
      expect([a2.attempts, a2.lastError]).toEqual([2, undefined]);
      expect(await store.get(t.id)).toEqual(a2);
      await expectCode(store.saveCheckpoint(randomUUID(), {}), 'NOT_FOUND');
      await expectCode(store.recordAttempt(randomUUID()), 'NOT_FOUND');
    });

    it('updates other fields and keeps scopes apart', async () => {
      const t = await store.save({ name: 'n' }, Scope.SESSION);
      expect(await store.get(t.id)).toBeNull();
      const u = await store.update(
        t.id,
        {
          name: 'renamed',
          description: 'd',
          priority: 3,
          dueAt: new Date(0),
          lastError: 'e',
          metadata: { a: 1 },
        },
        Scope.SESSION,
      );
      expect([
        u.name,
        u.description,
        u.priority,
        u.dueAt?.getTime(),
        u.lastError,
        u.metadata,
      ]).toEqual(['renamed', 'd', 3, 0, 'e', { a: 1 }]);
      const cleared = await store.update(t.id, { dueAt: null, lastError: null }, Scope.SESSION);
      expect([cleared.dueAt, cleared.lastError]).toEqual([undefined, undefined]);
      expect(await store.list()).toEqual([]);
    });
  });
}

/** The KnowledgeStore contract. */
export function describeKnowledgeStore(name: string, factory: StoreFactory<KnowledgeStore>): void {
  describe(`KnowledgeStore conformance: ${name}`, () => {
    let store: KnowledgeStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    it('saves facts by key and type, replaces by key, and hides expired ones', async () => {
      const f = await store.saveFact({
        key: 'user.preferred_language',
        value: 'Python',
        factType: FactType.PREFERENCE,
      });
      expect((await store.getFact(f.id))?.value).toBe('Python');
      expect((await store.getFactByKey('user.preferred_language'))?.id).toBe(f.id);
      const g = await store.saveFact({
        key: 'user.preferred_language',
        value: 'TypeScript',
        factType: FactType.PREFERENCE,
      });
      expect(await store.getFact(f.id)).toBeNull();
      expect((await store.getFactByKey('user.preferred_language'))?.value).toBe('TypeScript');
      await store.saveFact({
        key: 'project.name',
        value: { n: HOSTILE_TEXTS.nul! },
        factType: FactType.PROJECT,
      });
      await store.saveFact({ key: 'old', value: 1, expiresAt: new Date(Date.now() - 1000) });
      expect(await store.getFactByKey('old')).toBeNull();
      expect((await store.listFacts()).map((x) => x.key).sort()).toEqual([
        'project.name',
        'user.preferred_language',
      ]);
      expect((await store.listFacts({ factType: FactType.PROJECT })).map((x) => x.value)).toEqual([
        { n: HOSTILE_TEXTS.nul },
      ]);
      expect(await store.listFacts({ limit: 1 })).toHaveLength(1);
      expect(await store.purgeExpiredFacts()).toBe(1);
      expect(await store.deleteFact(g.id)).toBe(true);
      expect(await store.deleteFact(g.id)).toBe(false);
      expect(await store.getFactByKey('project.name', Scope.GLOBAL)).toBeNull();
      await expectCode(
        store.saveFact({ key: 'k', value: 1, confidence: 2 }),
        'VALIDATION_ERROR',
        'fact.confidence',
      );
    });

    it('saves summaries and finds them by conversation', async () => {
      const c1 = randomUUID();
      const c2 = randomUUID();
      const s1 = await store.saveSummary({
        content: 'one',
        conversationId: c1,
        createdAt: new Date('2024-01-01T00:00:00Z'),
      });
      const s2 = await store.saveSummary({
        content: 'both',
        conversationIds: [c1, c2],
        createdAt: new Date('2024-02-01T00:00:00Z'),
      });
      expect((await store.getSummary(s1.id))?.content).toBe('one');
      expect((await store.getSummariesForConversation(c1)).map((s) => s.id)).toEqual([
        s2.id,
        s1.id,
      ]);
      expect((await store.getSummariesForConversation(c2)).map((s) => s.id)).toEqual([s2.id]);
      expect(await store.deleteSummary(s1.id)).toBe(true);
      expect(await store.getSummary(s1.id)).toBeNull();
      expect(await store.deleteSummary(s1.id)).toBe(false);
    });

    it('finds nearest embeddings by cosine similarity', async () => {
      const x = await store.saveEmbedding({ vector: [1, 0, 0], content: 'x' });
      const xy = await store.saveEmbedding({
        vector: [1, 1, 0],
        content: 'xy',
        contentType: 'note',
      });
      const y = await store.saveEmbedding({ vector: [0, 2, 0], content: 'y' });
      await store.saveEmbedding({ vector: [1, 0], content: 'other dims' });
      await store.saveEmbedding({ vector: [0, 0, 0], content: 'zero' });
      expect(x.dimensions).toBe(3);
      expect((await store.getEmbedding(xy.id))?.vector).toEqual([1, 1, 0]);
      const hits = await store.searchSimilar([2, 0.1, 0], { limit: 3 });
      expect(hits.map((h) => h.embedding.content)).toEqual(['x', 'xy', 'y']);
      expect(hits[0]?.score).toBeCloseTo(2 / Math.sqrt(4.01), 6);
      expect(hits[1]?.score).toBeCloseTo(2.1 / (Math.sqrt(2) * Math.sqrt(4.01)), 6);
      expect(hits[2]?.score).toBeCloseTo(0.1 / Math.sqrt(4.01), 6);
      expect(
        (await store.searchSimilar([0, 1, 0], { contentType: 'note' })).map((h) => h.embedding.id),
      ).toEqual([xy.id]);
      expect(await store.deleteEmbedding(y.id)).toBe(true);
      expect((await store.searchSimilar([0.1, 1, 0])).map((h) => h.embedding.content)).toEqual([
        'xy',
        'x',
        'zero',
      ]);
      expect(await store.searchSimilar([0, 1, 0], {}, Scope.SESSION)).toEqual([]);
      await expectCode(
        store.saveEmbedding({ vector: [1, 2], dimensions: 3 }),
        'VALIDATION_ERROR',
        'embedding.dimensions',
      );
      await expectCode(store.searchSimilar([]), 'VALIDATION_ERROR', 'queryVector');
    });
  });
}

/** The AuditStore contract. */
export function describeAuditStore(name: string, factory: StoreFactory<AuditStore>): void {
  describe(`AuditStore conformance: ${name}`, () => {
    let store: AuditStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());
    const t = (s: number) => new Date(Date.parse('2024-03-01T00:00:00Z') + s * 1000);

    it('logs events and queries them by run, conversation, agent, type and time range', async () => {
      const conv = randomUUID();
      await store.logEvent({
        eventType: AuditEventType.AGENT_START,
        runId: 'r1',
        agentKey: 'a',
        timestamp: t(0),
      });
      await store.logEvent({
        eventType: AuditEventType.TOOL_CALL,
        runId: 'r1',
        conversationId: conv,
        action: 'Called search tool',
        details: { query: 'python docs' },
        timestamp: t(1),
      });
      await store.logEvent({
        eventType: AuditEventType.AGENT_END,
        runId: 'r2',
        agentKey: 'b',
        timestamp: t(2),
      });
      expect((await store.getEvents()).map((e) => e.eventType)).toEqual([
        'agent_end',
        'tool_call',
        'agent_start',
      ]);
      expect((await store.getEvents({ runId: 'r1' })).map((e) => e.eventType)).toEqual([
        'tool_call',
        'agent_start',
      ]);
      expect((await store.getEvents({ conversationId: conv }))[0]?.details).toEqual({
        query: 'python docs',
      });
      expect((await store.getEvents({ agentKey: 'b' })).map((e) => e.runId)).toEqual(['r2']);
      expect(
        (await store.getEvents({ eventTypes: ['agent_start', 'agent_end'] })).map((e) => e.runId),
      ).toEqual(['r2', 'r1']);
      expect(
        (await store.getEvents({ startTime: t(1), endTime: t(2) })).map((e) => e.eventType),
      ).toEqual(['tool_call']);
      expect(await store.getEvents({ limit: 1 })).toHaveLength(1);
      expect(await store.getEvents({}, Scope.GLOBAL)).toEqual([]);
      await expectCode(
        store.logEvent({ eventType: 'nope' as never }),
        'VALIDATION_ERROR',
        'entry.eventType',
      );
    });

    it('logs and resolves errors', async () => {
      const e1 = await store.logError({
        severity: 'warning',
        errorType: 'Timeout',
        message: 'slow',
        runId: 'r1',
        timestamp: t(0),
      });
      await store.logError({
        severity: 'critical',
        errorType: 'Crash',
        message: HOSTILE_TEXTS.nul!,
        stackTrace: 'at x',
        timestamp: t(1),
      });
      expect((await store.getErrors()).map((e) => e.errorType)).toEqual(['Crash', 'Timeout']);
      expect((await store.getErrors({ severity: 'critical' }))[0]?.message).toBe(HOSTILE_TEXTS.nul);
      expect(await store.resolveError(e1.id, 'raised the timeout')).toBe(true);
      expect(await store.resolveError(randomUUID())).toBe(false);
      const resolved = await store.getErrors({ resolved: true });
      expect(resolved.map((e) => [e.id, e.resolutionNotes])).toEqual([
        [e1.id, 'raised the timeout'],
      ]);
      expect(resolved[0]?.resolvedAt).toBeInstanceOf(Date);
      expect((await store.getErrors({ resolved: false })).map((e) => e.errorType)).toEqual([
        'Crash',
      ]);
      expect(
        (await store.getErrors({ runId: 'r1', startTime: t(0), endTime: t(1) })).map((e) => e.id),
      ).toEqual([e1.id]);
    });

    it('records metrics, filters by tags and summarises', async () => {
      const values = [100, 200, 300, 400, 1250.5];
      for (const [i, v] of values.entries()) {
        await store.recordMetric({
          name: 'llm_latency',
          value: v,
          unit: 'ms',
          tags: { model: i % 2 === 0 ? 'gpt-4' : 'claude' },
          runId: 'r1',
          timestamp: t(i),
        });
      }
      await store.recordMetric({ name: 'tokens', value: 7, timestamp: t(9) });
      expect((await store.getMetrics({ name: 'llm_latency' })).map((m) => m.value)).toEqual(
        [...values].reverse(),
      );
      expect((await store.getMetrics({ tags: { model: 'claude' } })).map((m) => m.value)).toEqual([
        400, 200,
      ]);
      expect(await store.getMetrics({ tags: { model: 'none' } })).toEqual([]);
      expect(await store.getMetrics()).toHaveLength(6);
      const s = await store.getMetricSummary('llm_latency');
      expect(s).toMatchObject({ count: 5, min: 100, max: 1250.5, sum: 2250.5, avg: 450.1 });
      expect(s.p50).toBeCloseTo(300, 6);
      expect(s.p95).toBeCloseTo(400 + (1250.5 - 400) * 0.8, 6);
      expect(s.p99).toBeCloseTo(400 + (1250.5 - 400) * 0.96, 6);
      expect(
        (await store.getMetricSummary('llm_latency', { startTime: t(1), endTime: t(3) })).count,
      ).toBe(2);
      expect(await store.getMetricSummary('missing')).toEqual({
        count: 0,
        min: 0,
        max: 0,
        avg: 0,
        sum: 0,
        p50: 0,
        p95: 0,
        p99: 0,
      });
      await expectCode(
        store.recordMetric({ name: 'x', value: Number.POSITIVE_INFINITY }),
        'VALIDATION_ERROR',
        'metric.value',
      );
    });
  });
}
