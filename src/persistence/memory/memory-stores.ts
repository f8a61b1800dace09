// Node side only: in-memory implementations of every store, for unit tests and quick scripts.
// They follow the same rules as the Postgres stores (checked by the same conformance suite);
// values are copied in and out so callers can never alias stored state.
import { randomUUID } from 'node:crypto';
import { AgentRuntimeError } from '../../core/errors';
import type { JsonValue } from '../../core/types';
import {
  checkLimit,
  cosineSimilarity,
  cycleError,
  deepClone,
  dependedOnError,
  summarize,
  unknownBranchError,
  unknownDependencyError,
  applyTaskUpdate,
  compareReady,
  prepareTask,
  stripBranch,
  unknownActiveBranch,
} from '../logic';
import {
  AuditEntry,
  Conversation,
  ConversationMessage,
  ErrorRecord,
  Embedding,
  Fact,
  PerformanceMetric,
  Summary,
  Task,
  TaskList,
} from '../models';
import type {
  AuditEventType,
  ConversationBranch,
  ConversationInput,
  ConversationMessageInput,
  ErrorSeverity,
  FactType,
  MetricSummary,
  TaskListInput,
  TaskInput,
  AuditEntryInput,
  ErrorRecordInput,
  EmbeddingInput,
  FactInput,
  PerformanceMetricInput,
  SummaryInput,
} from '../models';
import { Scope } from '../models';
import type {
  AuditQuery,
  AuditStore,
  BranchResult,
  ConversationStore,
  GetMessagesOptions,
  KnowledgeStore,
  ListConversationsOptions,
  MemoryStore,
  PreferencesStore,
  SimilarEmbedding,
  TaskQuery,
  TaskStore,
  TaskUpdate,
} from '../stores';
import type { ScopeArg, ScopeContext, StoreScopeOptions } from '../validation';
import {
  notFound,
  parseKey,
  parseModel,
  resolveScope,
  scopeKey,
  toScopeContext,
} from '../validation';
import { z } from 'zod';

const clone = deepClone;
const JsonValueSchema = z.json();

/** A per-scope map of maps. */
class Partitions<V> {
  private readonly parts = new Map<string, Map<string, V>>();
  constructor(
    private readonly ctx: ScopeContext,
    private readonly fallback: Scope,
  ) {}
  of(scope: ScopeArg | undefined): Map<string, V> {
    const key = scopeKey(resolveScope(scope, this.ctx, this.fallback));
    let part = this.parts.get(key);
    if (!part) {
      part = new Map();
      this.parts.set(key, part);
    }
    return part;
  }
}

class MemoryKeyValue {
  protected readonly data: Partitions<JsonValue>;
  constructor(options: StoreScopeOptions, fallback: Scope) {
    this.data = new Partitions(toScopeContext(options), fallback);
  }
  async get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined> {
    const v = this.data.of(scope).get(parseKey(key));
    return v === undefined ? undefined : clone(v);
  }
  async set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void> {
    const k = parseKey(key);
    const v = parseModel(JsonValueSchema, value, 'value');
    this.data.of(scope).set(k, clone(v));
  }
  async delete(key: string, scope?: ScopeArg): Promise<boolean> {
    return this.data.of(scope).delete(parseKey(key));
  }
  async close(): Promise<void> {}
}

/** In-memory `MemoryStore`. */
export class InMemoryMemoryStore extends MemoryKeyValue implements MemoryStore {
  constructor(options: StoreScopeOptions = {}) {
    super(options, Scope.PROJECT);
  }
  async listKeys(options: { prefix?: string } = {}, scope?: ScopeArg): Promise<string[]> {
    const prefix = options.prefix ?? '';
    return [...this.data.of(scope).keys()]
      .filter((k) => k.startsWith(prefix))
      .sort(compareCodeUnits);
  }
  async clear(scope?: ScopeArg): Promise<number> {
    const part = this.data.of(scope);
    const n = part.size;
    part.clear();
    return n;
  }
}

/** In-memory `PreferencesStore` (default scope GLOBAL). */
export class InMemoryPreferencesStore extends MemoryKeyValue implements PreferencesStore {
  constructor(options: StoreScopeOptions = {}) {
    super(options, Scope.GLOBAL);
  }
  async getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>> {
    return Object.fromEntries([...this.data.of(scope)].map(([k, v]) => [k, clone(v)]));
  }
}

/** Byte-order comparison of UTF-8 text equals code point order; Postgres sorts keys with `COLLATE "C"`. */
export function compareCodeUnits(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]?.codePointAt(0) ?? 0;
    const y = cb[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}

interface StoredMessage {
  seq: number;
  branchKey: string;
  message: ConversationMessage;
}
interface StoredBranch {
  branchId: string;
  parentBranchKey: string;
  forkMessageId: string;
  forkSeq: number;
  createdAt: Date;
}
interface StoredConversation {
  conversation: Conversation;
  messages: StoredMessage[];
  byId: Map<string, StoredMessage>;
  branches: Map<string, StoredBranch>;
  nextSeq: number;
  /** Write order, which breaks ties between equal `updatedAt` milliseconds. */
  touched: number;
}

let touchCounter = 0;

/** In-memory `ConversationStore`. */
export class InMemoryConversationStore implements ConversationStore {
  private readonly data: Partitions<StoredConversation>;
  constructor(options: StoreScopeOptions = {}) {
    this.data = new Partitions(toScopeContext(options), Scope.PROJECT);
  }

  async save(input: ConversationInput, scope?: ScopeArg): Promise<Conversation> {
    const conv = parseModel(Conversation, input, 'conversation');
    const part = this.data.of(scope);
    const existing = part.get(conv.id);
    // Work on a copy so a failing message leaves nothing half-written.
    const rec: StoredConversation = existing
      ? copyRecord(existing)
      : {
          conversation: conv,
          messages: [],
          byId: new Map(),
          branches: new Map(),
          nextSeq: 1,
          touched: 0,
        };
    const { activeBranchId: wantedBranch, ...fields } = clone(conv);
    const previousBranch = existing?.conversation.activeBranchId;
    rec.conversation = {
      ...fields,
      ...(previousBranch === undefined ? {} : { activeBranchId: previousBranch }),
      messages: [],
      createdAt: existing?.conversation.createdAt ?? conv.createdAt,
      updatedAt: new Date(),
    };
    const fresh: ConversationMessage[] = [];
    for (const m of conv.messages) {
      const stored = rec.byId.get(m.id);
      if (stored) stored.message = withStoredBranch(clone(m), stored.message);
      else fresh.push(m);
    }
    appendTo(rec, fresh, true);
    // The saved object's active branch is authoritative, once its messages (which may create it) are in.
    if (wantedBranch !== undefined && !rec.branches.has(wantedBranch))
      throw unknownActiveBranch(wantedBranch);
    if (wantedBranch === undefined) delete rec.conversation.activeBranchId;
    else rec.conversation.activeBranchId = wantedBranch;
    rec.touched = ++touchCounter;
    part.set(conv.id, rec);
    return this.withPath(rec);
  }

  async get(id: string, scope?: ScopeArg): Promise<Conversation | null> {
    const rec = this.data.of(scope).get(id);
    return rec ? this.withPath(rec) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.data.of(scope).delete(id);
  }

  async list(options: ListConversationsOptions = {}, scope?: ScopeArg): Promise<Conversation[]> {
    const limit = checkLimit(options.limit, 100, 'limit');
    const offset = checkLimit(options.offset, 0, 'offset');
    return [...this.data.of(scope).values()]
      .filter((r) => options.agentKey === undefined || r.conversation.agentKey === options.agentKey)
      .sort(
        (a, b) =>
          b.conversation.updatedAt.getTime() - a.conversation.updatedAt.getTime() ||
          b.touched - a.touched,
      )
      .slice(offset, offset + limit)
      .map((r) => clone(r.conversation));
  }

  async addMessages(
    conversationId: string,
    inputs: ConversationMessageInput[],
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const messages = inputs.map((m, i) => parseModel(ConversationMessage, m, `messages.${i}`));
    const part = this.data.of(scope);
    const existing = part.get(conversationId);
    if (!existing) throw notFound('Conversation', conversationId);
    const rec = copyRecord(existing);
    for (const m of messages) {
      if (rec.byId.has(m.id)) throw duplicateMessage(m.id);
    }
    const stored = appendTo(rec, messages, true);
    rec.conversation.updatedAt = new Date();
    part.set(conversationId, rec);
    return stored.map((m) => clone(m));
  }

  async getMessages(
    conversationId: string,
    options: GetMessagesOptions = {},
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    let msgs: ConversationMessage[];
    if (options.allBranches) {
      msgs = rec.messages.map((m) => m.message);
    } else {
      const branch =
        options.branchId === undefined
          ? (rec.conversation.activeBranchId ?? '')
          : (options.branchId ?? '');
      if (branch !== '' && !rec.branches.has(branch)) throw notFound('Branch', branch);
      msgs = branchPath(rec, branch).map((m) => m.message);
    }
    const before = options.before;
    if (before) msgs = msgs.filter((m) => m.timestamp.getTime() < before.getTime());
    if (options.limit !== undefined) {
      const limit = checkLimit(options.limit, 0, 'limit');
      msgs = limit === 0 ? [] : msgs.slice(-limit);
    }
    return msgs.map((m) => clone(m));
  }

  async createBranch(
    conversationId: string,
    messageId: string,
    replacement: ConversationMessageInput,
    options: { activate?: boolean } = {},
    scope?: ScopeArg,
  ): Promise<BranchResult> {
    const part = this.data.of(scope);
    const existing = part.get(conversationId);
    if (!existing) throw notFound('Conversation', conversationId);
    if (!existing.byId.has(messageId)) throw notFound('Message', messageId);
    const msg = parseModel(
      ConversationMessage,
      { ...replacement, parentMessageId: messageId },
      'message',
    );
    const branchId = msg.branchId ?? randomUUID();
    if (existing.branches.has(branchId))
      throw new AgentRuntimeError('CONFLICT', `Branch ${branchId} exists already`, {
        details: { branchId },
      });
    if (existing.byId.has(msg.id)) throw duplicateMessage(msg.id);
    const rec = copyRecord(existing);
    const [stored] = appendTo(rec, [{ ...msg, branchId }], options.activate ?? true);
    rec.conversation.updatedAt = new Date();
    part.set(conversationId, rec);
    return { branchId, message: clone(stored as ConversationMessage) };
  }

  async setActiveBranch(
    conversationId: string,
    branchId: string | null,
    scope?: ScopeArg,
  ): Promise<void> {
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    if (branchId !== null && !rec.branches.has(branchId)) throw notFound('Branch', branchId);
    if (branchId === null) delete rec.conversation.activeBranchId;
    else rec.conversation.activeBranchId = branchId;
    rec.conversation.updatedAt = new Date();
    rec.touched = ++touchCounter;
  }

  async listBranches(conversationId: string, scope?: ScopeArg): Promise<ConversationBranch[]> {
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    const count = (key: string) => rec.messages.filter((m) => m.branchKey === key).length;
    return [
      {
        branchId: null,
        forkMessageId: null,
        parentBranchId: null,
        messageCount: count(''),
        createdAt: rec.conversation.createdAt,
      },
      ...[...rec.branches.values()].map((b) => ({
        branchId: b.branchId,
        forkMessageId: b.forkMessageId,
        parentBranchId: b.parentBranchKey === '' ? null : b.parentBranchKey,
        messageCount: count(b.branchId),
        createdAt: b.createdAt,
      })),
    ].map((b) => clone(b));
  }

  async fork(
    conversationId: string,
    messageId: string,
    options: { id?: string; title?: string } = {},
    scope?: ScopeArg,
  ): Promise<Conversation> {
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    const at = rec.byId.get(messageId);
    if (!at) throw notFound('Message', messageId);
    const path = branchPath(rec, at.branchKey);
    const upto = path.slice(0, path.findIndex((m) => m.message.id === messageId) + 1);
    const src = rec.conversation;
    return this.save(
      {
        ...(options.id === undefined ? {} : { id: options.id }),
        title: options.title ?? src.title,
        metadata: src.metadata,
        ...(src.agentKey === undefined ? {} : { agentKey: src.agentKey }),
        parentConversationId: src.id,
        forkedFromMessageId: messageId,
        messages: upto.map((m) => stripBranch(m.message)),
      },
      scope,
    );
  }

  async close(): Promise<void> {}

  private withPath(rec: StoredConversation): Conversation {
    return clone({
      ...rec.conversation,
      messages: branchPath(rec, rec.conversation.activeBranchId ?? '').map((m) => m.message),
    });
  }
}

/** A re-saved message keeps the branch placement it was stored with. */
function withStoredBranch(
  m: ConversationMessage,
  stored: ConversationMessage,
): ConversationMessage {
  const { branchId: _b, parentMessageId: _p, ...rest } = m;
  return {
    ...rest,
    ...(stored.branchId === undefined ? {} : { branchId: stored.branchId }),
    ...(stored.parentMessageId === undefined ? {} : { parentMessageId: stored.parentMessageId }),
  };
}

function duplicateMessage(id: string): AgentRuntimeError {
  return new AgentRuntimeError('CONFLICT', `Message ${id} is stored already`, {
    details: { messageId: id },
  });
}

function copyRecord(r: StoredConversation): StoredConversation {
  const messages = r.messages.map((m) => ({ ...m }));
  return {
    conversation: { ...r.conversation },
    messages,
    byId: new Map(messages.map((m) => [m.message.id, m])),
    branches: new Map(r.branches),
    nextSeq: r.nextSeq,
    touched: ++touchCounter,
  };
}

/** Appends in order; returns the stored messages. Mutates `rec` (a working copy). */
function appendTo(
  rec: StoredConversation,
  messages: ConversationMessage[],
  activateNew: boolean,
): ConversationMessage[] {
  const out: ConversationMessage[] = [];
  for (const input of messages) {
    const m = clone(input);
    if (rec.byId.has(m.id)) throw duplicateMessage(m.id);
    let branchKey: string;
    if (m.branchId === undefined) {
      branchKey = rec.conversation.activeBranchId ?? '';
      if (branchKey !== '') m.branchId = branchKey;
    } else if (rec.branches.has(m.branchId)) {
      branchKey = m.branchId;
    } else {
      const parent = m.parentMessageId === undefined ? undefined : rec.byId.get(m.parentMessageId);
      if (!parent) throw unknownBranchError(m.branchId);
      rec.branches.set(m.branchId, {
        branchId: m.branchId,
        parentBranchKey: parent.branchKey,
        forkMessageId: parent.message.id,
        forkSeq: parent.seq,
        createdAt: new Date(),
      });
      branchKey = m.branchId;
      if (activateNew) rec.conversation.activeBranchId = m.branchId;
    }
    const stored: StoredMessage = { seq: rec.nextSeq++, branchKey, message: m };
    rec.messages.push(stored);
    rec.byId.set(m.id, stored);
    out.push(m);
  }
  return out;
}

/** The path of a branch: its ancestors' prefixes up to each fork point, then its own messages. */
function branchPath(rec: StoredConversation, branchKey: string): StoredMessage[] {
  const segments: { key: string; maxSeq: number }[] = [];
  let key = branchKey;
  let maxSeq = Number.POSITIVE_INFINITY;
  for (;;) {
    segments.unshift({ key, maxSeq });
    if (key === '') break;
    const b = rec.branches.get(key);
    if (!b) break;
    maxSeq = b.forkSeq;
    key = b.parentBranchKey;
  }
  return segments.flatMap((s) =>
    rec.messages.filter((m) => m.branchKey === s.key && m.seq < s.maxSeq),
  );
}

interface StoredList {
  list: Omit<TaskList, 'tasks'>;
}

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
    });
    replaceMap(tasks, next);
    return (await this.getList(list.id, scope)) as TaskList;
  }

  async getList(id: string, scope?: ScopeArg): Promise<TaskList | null> {
    const rec = this.lists.of(scope).get(id);
    if (!rec) return null;
    const tasks = [...this.tasks.of(scope).values()].filter((t) => t.taskListId === id);
    return clone({ ...rec.list, tasks });
  }

  async deleteList(id: string, scope?: ScopeArg): Promise<boolean> {
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
    const found = [...this.lists.of(scope).values()]
      .filter((l) => l.list.conversationId === conversationId)
      .sort((a, b) => b.list.updatedAt.getTime() - a.list.updatedAt.getTime())[0];
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
    return clone(prepared);
  }

  async get(id: string, scope?: ScopeArg): Promise<Task | null> {
    const t = this.tasks.of(scope).get(id);
    return t ? clone(t) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    const tasks = this.tasks.of(scope);
    if (!tasks.has(id)) return false;
    assertNotDependedOn(tasks, new Set([id]));
    return tasks.delete(id);
  }

  async list(query: TaskQuery = {}, scope?: ScopeArg): Promise<Task[]> {
    const limit = query.limit === undefined ? undefined : checkLimit(query.limit, 0, 'limit');
    const out = [...this.tasks.of(scope).values()].filter(
      (t) =>
        (query.taskListId === undefined || t.taskListId === query.taskListId) &&
        (query.conversationId === undefined || t.conversationId === query.conversationId) &&
        (query.state === undefined || t.state === query.state),
    );
    return clone(limit === undefined ? out : out.slice(0, limit));
  }

  async update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task> {
    const tasks = this.tasks.of(scope);
    const prev = tasks.get(id);
    if (!prev) throw notFound('Task', id);
    const merged = applyTaskUpdate(prev, changes);
    const next = new Map(tasks);
    next.set(id, merged);
    if (changes.dependencies !== undefined) checkGraph(next, [id], tasks);
    tasks.set(id, merged);
    return clone(merged);
  }

  async getReady(query: Omit<TaskQuery, 'state'> = {}, scope?: ScopeArg): Promise<Task[]> {
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
    return clone(t);
  }

  async recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task> {
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
    return clone(t);
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

/** In-memory `KnowledgeStore`. */
export class InMemoryKnowledgeStore implements KnowledgeStore {
  private readonly facts: Partitions<Fact>;
  private readonly summaries: Partitions<Summary>;
  private readonly embeddings: Partitions<Embedding>;
  constructor(options: StoreScopeOptions = {}) {
    const ctx = toScopeContext(options);
    this.facts = new Partitions(ctx, Scope.PROJECT);
    this.summaries = new Partitions(ctx, Scope.PROJECT);
    this.embeddings = new Partitions(ctx, Scope.PROJECT);
  }
  async saveFact(input: FactInput, scope?: ScopeArg): Promise<Fact> {
    const fact = parseModel(Fact, input, 'fact');
    const facts = this.facts.of(scope);
    for (const [id, f] of facts) if (f.key === fact.key && id !== fact.id) facts.delete(id);
    const prev = facts.get(fact.id);
    const stored = {
      ...clone(fact),
      createdAt: prev?.createdAt ?? fact.createdAt,
      updatedAt: new Date(),
    };
    facts.set(fact.id, stored);
    return clone(stored);
  }
  async getFact(id: string, scope?: ScopeArg): Promise<Fact | null> {
    const f = this.facts.of(scope).get(id);
    return f && live(f) ? clone(f) : null;
  }
  async getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null> {
    const k = parseKey(key);
    const f = [...this.facts.of(scope).values()].find((x) => x.key === k);
    return f && live(f) ? clone(f) : null;
  }
  async listFacts(
    options: { factType?: FactType; limit?: number } = {},
    scope?: ScopeArg,
  ): Promise<Fact[]> {
    const limit = checkLimit(options.limit, 100, 'limit');
    return [...this.facts.of(scope).values()]
      .filter((f) => live(f) && (options.factType === undefined || f.factType === options.factType))
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())
      .slice(0, limit)
      .map((f) => clone(f));
  }
  async deleteFact(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.facts.of(scope).delete(id);
  }
  async purgeExpiredFacts(scope?: ScopeArg): Promise<number> {
    const facts = this.facts.of(scope);
    let n = 0;
    for (const [id, f] of facts) if (!live(f)) n += facts.delete(id) ? 1 : 0;
    return n;
  }
  async saveSummary(input: SummaryInput, scope?: ScopeArg): Promise<Summary> {
    const s = parseModel(Summary, input, 'summary');
    this.summaries.of(scope).set(s.id, clone(s));
    return clone(s);
  }
  async getSummary(id: string, scope?: ScopeArg): Promise<Summary | null> {
    const s = this.summaries.of(scope).get(id);
    return s ? clone(s) : null;
  }
  async getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]> {
    return [...this.summaries.of(scope).values()]
      .filter(
        (s) => s.conversationId === conversationId || s.conversationIds.includes(conversationId),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((s) => clone(s));
  }
  async deleteSummary(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.summaries.of(scope).delete(id);
  }
  async saveEmbedding(input: EmbeddingInput, scope?: ScopeArg): Promise<Embedding> {
    const e = parseModel(Embedding, input, 'embedding');
    this.embeddings.of(scope).set(e.id, clone(e));
    return clone(e);
  }
  async getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null> {
    const e = this.embeddings.of(scope).get(id);
    return e ? clone(e) : null;
  }
  async searchSimilar(
    queryVector: number[],
    options: { limit?: number; contentType?: string } = {},
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]> {
    const q = parseModel(z.array(z.number()).min(1), queryVector, 'queryVector');
    const limit = checkLimit(options.limit, 10, 'limit');
    return [...this.embeddings.of(scope).values()]
      .filter(
        (e) =>
          e.dimensions === q.length &&
          (options.contentType === undefined || e.contentType === options.contentType),
      )
      .map((e) => ({ embedding: clone(e), score: cosineSimilarity(e.vector, q) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
  async deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.embeddings.of(scope).delete(id);
  }
  async close(): Promise<void> {}
}

function live(f: Fact): boolean {
  return f.expiresAt === undefined || f.expiresAt.getTime() > Date.now();
}

interface Seqd<T> {
  pos: number;
  value: T;
}

/** In-memory `AuditStore`. */
export class InMemoryAuditStore implements AuditStore {
  private readonly events: Partitions<Seqd<AuditEntry>>;
  private readonly errors: Partitions<Seqd<ErrorRecord>>;
  private readonly metrics: Partitions<Seqd<PerformanceMetric>>;
  private pos = 0;
  constructor(options: StoreScopeOptions = {}) {
    const ctx = toScopeContext(options);
    this.events = new Partitions(ctx, Scope.PROJECT);
    this.errors = new Partitions(ctx, Scope.PROJECT);
    this.metrics = new Partitions(ctx, Scope.PROJECT);
  }
  async logEvent(input: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry> {
    const e = parseModel(AuditEntry, input, 'entry');
    this.events.of(scope).set(e.id, { pos: ++this.pos, value: clone(e) });
    return clone(e);
  }
  async getEvents(
    query: AuditQuery & { eventTypes?: AuditEventType[] } = {},
    scope?: ScopeArg,
  ): Promise<AuditEntry[]> {
    const types = query.eventTypes;
    return select(
      this.events.of(scope),
      query,
      100,
      (e) => types === undefined || types.includes(e.eventType),
    );
  }
  async logError(input: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord> {
    const e = parseModel(ErrorRecord, input, 'error');
    this.errors.of(scope).set(e.id, { pos: ++this.pos, value: clone(e) });
    return clone(e);
  }
  async getErrors(
    query: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean } = {},
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]> {
    return select(
      this.errors.of(scope),
      query,
      100,
      (e) =>
        (query.severity === undefined || e.severity === query.severity) &&
        (query.resolved === undefined || e.resolved === query.resolved),
    );
  }
  async resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean> {
    const rec = this.errors.of(scope).get(id);
    if (!rec) return false;
    rec.value = {
      ...rec.value,
      resolved: true,
      resolvedAt: new Date(),
      ...(resolutionNotes === undefined ? {} : { resolutionNotes }),
    };
    return true;
  }
  async recordMetric(input: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric> {
    const m = parseModel(PerformanceMetric, input, 'metric');
    this.metrics.of(scope).set(m.id, { pos: ++this.pos, value: clone(m) });
    return clone(m);
  }
  async getMetrics(
    query: AuditQuery & { name?: string; tags?: Record<string, string> } = {},
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]> {
    return select(
      this.metrics.of(scope),
      query,
      1000,
      (m) => (query.name === undefined || m.name === query.name) && tagsMatch(m.tags, query.tags),
    );
  }
  async getMetricSummary(
    name: string,
    query: Omit<AuditQuery, 'limit'> = {},
    scope?: ScopeArg,
  ): Promise<MetricSummary> {
    const rows = select(
      this.metrics.of(scope),
      { ...query, limit: Number.MAX_SAFE_INTEGER },
      0,
      (m) => m.name === name,
    );
    return summarize(rows.map((m) => m.value));
  }
  async close(): Promise<void> {}
}

function tagsMatch(
  tags: Record<string, string>,
  want: Record<string, string> | undefined,
): boolean {
  return want === undefined || Object.entries(want).every(([k, v]) => tags[k] === v);
}

interface AuditRow {
  timestamp: Date;
  conversationId?: string | undefined;
  runId?: string | undefined;
  agentKey?: string | undefined;
}

function select<T extends AuditRow>(
  rows: Map<string, Seqd<T>>,
  q: AuditQuery,
  defaultLimit: number,
  extra: (row: T) => boolean,
): T[] {
  const limit = checkLimit(q.limit, defaultLimit, 'limit');
  return [...rows.values()]
    .filter(({ value: r }) => {
      if (q.conversationId !== undefined && r.conversationId !== q.conversationId) return false;
      if (q.runId !== undefined && r.runId !== q.runId) return false;
      if (q.agentKey !== undefined && r.agentKey !== q.agentKey) return false;
      if (q.startTime && r.timestamp.getTime() < q.startTime.getTime()) return false;
      if (q.endTime && r.timestamp.getTime() >= q.endTime.getTime()) return false;
      return extra(r);
    })
    .sort((a, b) => b.value.timestamp.getTime() - a.value.timestamp.getTime() || b.pos - a.pos)
    .slice(0, limit)
    .map((r) => clone(r.value));
}
