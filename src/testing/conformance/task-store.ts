// Node side (tests only): the TaskStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { randomUUID } from 'node:crypto';
import type { AgentRuntimeError } from '../../core/errors';
import { Scope } from '../../persistence/models';
import { TaskState } from '../../persistence/tasks/models';
import type { TaskStore } from '../../persistence/tasks/store';
import type { StoreFactory } from './helpers';
import { expectCode, HOSTILE_TEXTS, scopeOptions, testRunner } from './helpers';

/**
 * The `TaskStore` contract: lists, state transitions, dependencies (cycles refused, also under
 * concurrent writes), readiness order, checkpoints and attempts.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describeTaskStore(name: string, factory: StoreFactory<TaskStore>): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
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

    it('orders ready-task ties by id in code point order, and list() by save order', async () => {
      const at = new Date('2025-01-01T00:00:00Z');
      // ids differing only in their first character's case: code point order puts upper case
      // first, which a linguistic collation would not
      const u = randomUUID().slice(1);
      const ids = ['b', 'A', 'c', 'B', 'a'].map((x) => `${x}${u}`);
      const listId = randomUUID();
      await store.saveList({ id: listId, name: 'ties' });
      for (const id of ids) {
        await store.save({ id, name: id, priority: 7, createdAt: at, taskListId: listId });
      }
      expect((await store.getReady({ taskListId: listId })).map((t) => t.id[0])).toEqual([
        'A',
        'B',
        'a',
        'b',
        'c',
      ]);
      expect((await store.list({ taskListId: listId })).map((t) => t.id)).toEqual(ids);
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
