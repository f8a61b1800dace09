import { AgentRuntimeError } from '../../../src/core/errors';
import type { JsonValue } from '../../../src/core/types';
import type { MemoryStore, StoreContext } from '../../../src/persistence';
import {
  Conversation,
  InMemoryMemoryStore,
  PersistenceManager,
  Scope,
  Task,
  TaskState,
} from '../../../src/persistence';
import { projectIdFor } from '../../../src/persistence/manager';

class UserMemoryStore extends InMemoryMemoryStore {
  constructor(readonly user: string) {
    super({ projectId: `user-${user}` });
  }
  override async get(key: string): Promise<JsonValue | undefined> {
    return `${this.user}:${JSON.stringify(await super.get(key))}`;
  }
}

class ContextStore extends InMemoryMemoryStore {
  constructor(readonly context: StoreContext) {
    super({ projectId: context.projectId });
  }
}

describe('PersistenceManager', () => {
  it('uses an instance first, then a factory, then a class with args', async () => {
    const instance = new InMemoryMemoryStore();
    let calls = 0;
    const factory = (): MemoryStore => {
      calls++;
      return new InMemoryMemoryStore();
    };
    const m1 = new PersistenceManager({
      backend: 'memory',
      memoryStore: instance,
      memoryStoreFactory: factory,
      memoryStoreClass: UserMemoryStore,
    });
    expect(m1.memory).toBe(instance);
    const m2 = new PersistenceManager({
      backend: 'memory',
      memoryStoreFactory: factory,
      memoryStoreClass: UserMemoryStore,
    });
    expect(m2.memory).toBe(m2.memory);
    expect(calls).toBe(1);
    const m3 = new PersistenceManager({
      backend: 'memory',
      memoryStoreClass: UserMemoryStore,
      memoryStoreArgs: ['alice'],
    });
    await m3.memory.set('k', 'v');
    expect(await m3.memory.get('k')).toBe('alice:"v"');
  });

  it('constructs a class without args with a StoreContext', () => {
    const m = new PersistenceManager({
      backend: 'memory',
      projectDir: '/tmp/some-project',
      sessionId: 's1',
      memoryStoreClass: ContextStore,
    });
    const store = m.memory as ContextStore;
    expect(store.context).toEqual({
      projectDir: '/tmp/some-project',
      projectId: projectIdFor('/tmp/some-project'),
      sessionId: 's1',
    });
  });

  it('derives the project id from the project directory', async () => {
    const a = new PersistenceManager({ backend: 'memory', projectDir: '/tmp/a' });
    const b = new PersistenceManager({ backend: 'memory', projectDir: '/tmp/a/../a' });
    expect(a.projectId).toBe(b.projectId);
    expect(a.projectId).not.toBe(
      new PersistenceManager({ backend: 'memory', projectDir: '/tmp/b' }).projectId,
    );
    expect(a.projectId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives knowledge and audit only when configured', () => {
    const m = new PersistenceManager({ backend: 'memory' });
    expect(m.hasKnowledge()).toBe(false);
    expect(m.hasAudit()).toBe(false);
    expect(m.knowledge).toBeNull();
    const n = new PersistenceManager({
      backend: 'memory',
      enableKnowledge: true,
      enableAudit: true,
    });
    expect(n.hasKnowledge()).toBe(true);
    expect(n.hasAudit()).toBe(true);
  });

  it('picks postgres with a databaseUrl and rejects postgres without one', () => {
    expect(new PersistenceManager({ databaseUrl: 'postgresql://nowhere/db' }).backend).toBe(
      'postgres',
    );
    expect(() => new PersistenceManager({ backend: 'postgres' })).toThrow(AgentRuntimeError);
  });

  it('keeps sessions apart with the memory backend', async () => {
    const m = new PersistenceManager({ backend: 'memory', sessionId: 'one' });
    await m.memory.set('k', 'session one', Scope.SESSION);
    expect(await m.memory.get('k', { scope: 'session', sessionId: 'two' })).toBeUndefined();
    expect(await m.memory.get('k', Scope.SESSION)).toBe('session one');
  });
});

describe('models', () => {
  it('fill defaults, expose enum constants and coerce ISO dates', () => {
    const t = Task.parse({ name: 'n', dueAt: '2024-12-31T00:00:00Z' });
    expect(t.state).toBe(TaskState.NOT_STARTED);
    expect(t.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.dueAt).toEqual(new Date('2024-12-31T00:00:00Z'));
    expect(TaskState.parse('complete')).toBe(TaskState.COMPLETE);
    expect(Scope.options).toEqual(['global', 'project', 'session']);
    const c = Conversation.parse({});
    expect([c.title, c.messages, c.activeBranchId]).toEqual(['', [], undefined]);
  });

  it('reject invalid values naming the field', () => {
    const r = Task.safeParse({ name: 'n', dependencies: ['nope'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['dependencies', 0]);
    expect(Task.safeParse({ name: 'n', dueAt: 'not a date' }).success).toBe(false);
  });
});
