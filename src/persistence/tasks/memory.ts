// Node side only: the in-memory TaskStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describeTaskStore` from `agent-runtime-core/testing`).
import {
  checkCheckpointData,
  checkOptionalText,
  checkTaskQuery,
  checkTaskUpdate,
} from '../arguments';
import type { JsonValue } from '../../core/types';
import { Partitions } from '../in-memory';
import { checkLimit, deepClone } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import { notFound, parseId, parseModel, toScopeContext } from '../validation';
import {
  applyTaskUpdate,
  compareReady,
  cycleError,
  dependedOnError,
  prepareTask,
  unknownDependencyError,
} from './logic';
import { Task, TaskList } from './models';
import type { TaskInput, TaskListInput } from './models';
import type { TaskQuery, TaskStore, TaskUpdate } from './store';

interface StoredList {
  list: Omit<TaskList, 'tasks'>;
  /** Write order: breaks ties of equal `updatedAt` milliseconds (Postgres keeps microseconds). */
  written: number;
}

let writeCounter = 0;

/** In-memory `TaskStore`. */
export class InMemoryTaskStore implements TaskStore {
  private readonly lists: Partitions<StoredList>;
  private readonly tasks: Partitions<Task>;
  constructor(options: StoreScopeOptions = {}) {
    const ctx = toScopeContext(options);
    this.lists = new Partitions(ctx, Scope.PROJECT);
    this.tasks = new Partitions(ctx, Scope.PROJECT);
  }

  async saveList(input: TaskListInput, scope?: ScopeArg): Promise<TaskList> {
    const list = parseModel(TaskList, input, 'taskList');
    const lists = this.lists.of(scope);
    const tasks = this.tasks.of(scope);
    const next = new Map(tasks);
    const keep = new Set(list.tasks.map((t) => t.id));
    for (const [id, t] of tasks) if (t.taskListId === list.id && !keep.has(id)) next.delete(id);
    const prevList = lists.get(list.id);
    const now = new Date();
    for (const t of list.tasks) {
      const prev = tasks.get(t.id);
      next.set(t.id, prepareTask({ ...t, taskListId: list.id }, prev, now));
    }
    checkGraph(
      next,
      list.tasks.map((t) => t.id),
      tasks,
    );
    const { tasks: _t, ...meta } = list;
    lists.set(list.id, {
      list: { ...meta, createdAt: prevList?.list.createdAt ?? meta.createdAt, updatedAt: now },
      written: ++writeCounter,
    });
    replaceMap(tasks, next);
    return (await this.getList(list.id, scope)) as TaskList;
  }

  async getList(id: string, scope?: ScopeArg): Promise<TaskList | null> {
    parseId(id, 'id');
    const rec = this.lists.of(scope).get(id);
    if (!rec) return null;
    const tasks = [...this.tasks.of(scope).values()].filter((t) => t.taskListId === id);
    return deepClone({ ...rec.list, tasks });
  }

  async deleteList(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    const lists = this.lists.of(scope);
    if (!lists.has(id)) return false;
    const tasks = this.tasks.of(scope);
    const doomed = new Set([...tasks.values()].filter((t) => t.taskListId === id).map((t) => t.id));
    assertNotDependedOn(tasks, doomed);
    for (const d of doomed) tasks.delete(d);
    lists.delete(id);
    return true;
  }

  async getListByConversation(conversationId: string, scope?: ScopeArg): Promise<TaskList | null> {
    parseId(conversationId, 'conversationId');
    const found = [...this.lists.of(scope).values()]
      .filter((l) => l.list.conversationId === conversationId)
      .sort(
        (a, b) => b.list.updatedAt.getTime() - a.list.updatedAt.getTime() || b.written - a.written,
      )[0];
    return found ? this.getList(found.list.id, scope) : null;
  }

  async save(input: TaskInput, scope?: ScopeArg): Promise<Task> {
    const task = parseModel(Task, input, 'task');
    if (task.taskListId !== undefined && !this.lists.of(scope).has(task.taskListId))
      throw notFound('TaskList', task.taskListId);
    const tasks = this.tasks.of(scope);
    const next = new Map(tasks);
    const prepared = prepareTask(task, tasks.get(task.id), new Date());
    next.set(task.id, prepared);
    checkGraph(next, [task.id], tasks);
    tasks.set(task.id, prepared);
    return deepClone(prepared);
  }

  async get(id: string, scope?: ScopeArg): Promise<Task | null> {
    parseId(id, 'id');
    const t = this.tasks.of(scope).get(id);
    return t ? deepClone(t) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    const tasks = this.tasks.of(scope);
    if (!tasks.has(id)) return false;
    assertNotDependedOn(tasks, new Set([id]));
    return tasks.delete(id);
  }

  async list(queryIn?: TaskQuery, scope?: ScopeArg): Promise<Task[]> {
    const query = checkTaskQuery(queryIn);
    const limit = query.limit === undefined ? undefined : checkLimit(query.limit, 0, 'limit');
    const out = [...this.tasks.of(scope).values()].filter(
      (t) =>
        (query.taskListId === undefined || t.taskListId === query.taskListId) &&
        (query.conversationId === undefined || t.conversationId === query.conversationId) &&
        (query.state === undefined || t.state === query.state),
    );
    return deepClone(limit === undefined ? out : out.slice(0, limit));
  }

  async update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task> {
    parseId(id, 'id');
    checkTaskUpdate(changes);
    const tasks = this.tasks.of(scope);
    const prev = tasks.get(id);
    if (!prev) throw notFound('Task', id);
    const merged = applyTaskUpdate(prev, changes);
    const next = new Map(tasks);
    next.set(id, merged);
    if (changes.dependencies !== undefined) checkGraph(next, [id], tasks);
    tasks.set(id, merged);
    return deepClone(merged);
  }

  async getReady(queryIn?: Omit<TaskQuery, 'state'>, scope?: ScopeArg): Promise<Task[]> {
    const query = checkTaskQuery(queryIn);
    const tasks = this.tasks.of(scope);
    const limit = query.limit === undefined ? undefined : checkLimit(query.limit, 0, 'limit');
    const ready = (await this.list({ ...query, limit: undefined, state: 'not_started' }, scope))
      .filter((t) => t.dependencies.every((d) => tasks.get(d)?.state === 'complete'))
      .sort(compareReady);
    return limit === undefined ? ready : ready.slice(0, limit);
  }

  async saveCheckpoint(
    id: string,
    data: Record<string, JsonValue>,
    scope?: ScopeArg,
  ): Promise<Task> {
    parseId(id, 'id');
    checkCheckpointData(data);
    parseId(id, 'id');
    const tasks = this.tasks.of(scope);
    const prev = tasks.get(id);
    if (!prev) throw notFound('Task', id);
    const now = new Date();
    const t = parseModel(
      Task,
      { ...prev, checkpointData: data, checkpointAt: now, updatedAt: now },
      'task',
    );
    tasks.set(id, t);
    return deepClone(t);
  }

  async recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task> {
    parseId(id, 'id');
    checkOptionalText(error, 'error');
    const tasks = this.tasks.of(scope);
    const prev = tasks.get(id);
    if (!prev) throw notFound('Task', id);
    const { lastError: _l, ...rest } = prev;
    const t = parseModel(
      Task,
      {
        ...rest,
        attempts: prev.attempts + 1,
        updatedAt: new Date(),
        ...(error === undefined ? {} : { lastError: error }),
      },
      'task',
    );
    tasks.set(id, t);
    return deepClone(t);
  }

  async close(): Promise<void> {}
}

function replaceMap<K, V>(target: Map<K, V>, source: Map<K, V>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}

function assertNotDependedOn(tasks: Map<string, Task>, doomed: Set<string>): void {
  for (const id of doomed) {
    const dependents = [...tasks.values()]
      .filter((t) => !doomed.has(t.id) && t.dependencies.includes(id))
      .map((t) => t.id);
    if (dependents.length > 0) throw dependedOnError(id, dependents);
  }
}

/** Checks dependencies exist and form no cycle through any of `changed`. */
function checkGraph(tasks: Map<string, Task>, changed: string[], before: Map<string, Task>): void {
  for (const t of tasks.values()) {
    for (const d of t.dependencies) {
      if (tasks.has(d)) continue;
      // A task removed by this write that another task still depends on is a conflict, not bad input.
      if (before.has(d)) throw dependedOnError(d, [t.id]);
      throw unknownDependencyError(t.id, d);
    }
  }
  for (const start of changed) {
    const seen = new Set<string>();
    const stack = [...(tasks.get(start)?.dependencies ?? [])];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (id === start) throw cycleError(start);
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(tasks.get(id)?.dependencies ?? []));
    }
  }
}
