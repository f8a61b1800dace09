// Node side only: Postgres implementations of every store, speaking `pg` only, so they run
// unchanged on a Postgres server and on PGlite. They never migrate: run `migrate(pool)` first.
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { z } from 'zod';
import { AgentRuntimeError } from '../../core/errors';
import type { JsonValue } from '../../core/types';
import {
  applyTaskUpdate,
  checkLimit,
  cycleError,
  dependedOnError,
  prepareTask,
  stripBranch,
  unknownActiveBranch,
  unknownBranchError,
  unknownDependencyError,
} from '../logic';
import {
  AuditEntry,
  Conversation,
  ConversationMessage,
  Embedding,
  ErrorRecord,
  Fact,
  PerformanceMetric,
  Scope,
  Summary,
  Task,
  TaskList,
} from '../models';
import type {
  AuditEntryInput,
  AuditEventType,
  ConversationBranch,
  ConversationInput,
  ConversationMessageInput,
  EmbeddingInput,
  ErrorRecordInput,
  ErrorSeverity,
  FactInput,
  FactType,
  MetricSummary,
  PerformanceMetricInput,
  SummaryInput,
  TaskInput,
  TaskListInput,
} from '../models';
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
import type { ResolvedScope, ScopeArg, ScopeContext, StoreScopeOptions } from '../validation';
import { notFound, parseKey, parseModel, resolveScope, toScopeContext } from '../validation';
import type { PoolSource, Queryable } from './sql';
import {
  MAX_SEQ,
  decodeJson,
  encodeJson,
  escapeLike,
  query,
  resolvePool,
  withTransaction,
} from './sql';

/** Options of every Postgres store. */
export interface PostgresStoreOptions extends StoreScopeOptions {
  /** The pool (or a function opening it). The store does not own it: `close()` leaves it open. */
  pool: PoolSource;
}

const JsonValueSchema = z.json();

abstract class PostgresStoreBase {
  private readonly source: PoolSource;
  private readonly ctx: ScopeContext;
  constructor(
    options: PostgresStoreOptions,
    private readonly fallback: Scope,
  ) {
    if (options === undefined || options.pool === undefined) {
      throw new AgentRuntimeError('CONFIG_MISSING', 'A Postgres store needs a `pool`');
    }
    this.source = options.pool;
    this.ctx = toScopeContext(options);
  }
  protected pool(): Promise<Pool> {
    return resolvePool(this.source);
  }
  protected scope(arg: ScopeArg | undefined): ResolvedScope {
    return resolveScope(arg, this.ctx, this.fallback);
  }
  protected async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(await this.pool(), fn);
  }
  protected async q<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return query<R>(await this.pool(), text, values);
  }
  async close(): Promise<void> {}
}

class PostgresKeyValue extends PostgresStoreBase {
  constructor(
    options: PostgresStoreOptions,
    fallback: Scope,
    private readonly namespace: string,
  ) {
    super(options, fallback);
  }
  async get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined> {
    const s = this.scope(scope);
    const rows = await this.q<{ value_json: string }>(
      'SELECT value_json FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key = $4',
      [this.namespace, s.scope, s.scopeId, parseKey(key)],
    );
    return rows[0] ? (decodeJson(rows[0].value_json) as JsonValue) : undefined;
  }
  async set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void> {
    const s = this.scope(scope);
    const k = parseKey(key);
    const v = parseModel(JsonValueSchema, value, 'value');
    await this.q(
      `INSERT INTO kv_entries (namespace, scope, scope_id, key, value_json, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (namespace, scope, scope_id, key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_at = now()`,
      [this.namespace, s.scope, s.scopeId, k, encodeJson(v)],
    );
  }
  async delete(key: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key = $4 RETURNING 1',
      [this.namespace, s.scope, s.scopeId, parseKey(key)],
    );
    return rows.length > 0;
  }
  protected async entries(
    scope: ScopeArg | undefined,
    prefix: string,
  ): Promise<{ key: string; value_json: string }[]> {
    const s = this.scope(scope);
    return this.q<{ key: string; value_json: string }>(
      `SELECT key, value_json FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 AND key LIKE $4 ESCAPE '\\'
       ORDER BY key`,
      [this.namespace, s.scope, s.scopeId, `${escapeLike(prefix)}%`],
    );
  }
  protected async clearAll(scope: ScopeArg | undefined): Promise<number> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM kv_entries WHERE namespace = $1 AND scope = $2 AND scope_id = $3 RETURNING 1',
      [this.namespace, s.scope, s.scopeId],
    );
    return rows.length;
  }
}

/** Postgres `MemoryStore` (table `kv_entries`, namespace `memory`). */
export class PostgresMemoryStore extends PostgresKeyValue implements MemoryStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT, 'memory');
  }
  async listKeys(options: { prefix?: string } = {}, scope?: ScopeArg): Promise<string[]> {
    const prefix = options.prefix ?? '';
    return (await this.entries(scope, prefix)).map((r) => r.key);
  }
  async clear(scope?: ScopeArg): Promise<number> {
    return this.clearAll(scope);
  }
}

/** Postgres `PreferencesStore` (table `kv_entries`, namespace `preferences`; default scope GLOBAL). */
export class PostgresPreferencesStore extends PostgresKeyValue implements PreferencesStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.GLOBAL, 'preferences');
  }
  async getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>> {
    const rows = await this.entries(scope, '');
    return Object.fromEntries(rows.map((r) => [r.key, decodeJson(r.value_json) as JsonValue]));
  }
}

interface ConvRow {
  doc: string;
  active_branch_id: string;
  next_seq: string;
  created_at: Date;
  updated_at: Date;
}
interface BranchRow {
  branch_id: string;
  parent_branch_id: string;
  fork_message_id: string;
  fork_seq: string;
  created_at: Date;
}

function decodeMessage(doc: string): ConversationMessage {
  return parseModel(ConversationMessage, decodeJson(doc), 'storedMessage');
}

/** Postgres `ConversationStore`. Appends lock the conversation row, which orders concurrent writers. */
export class PostgresConversationStore extends PostgresStoreBase implements ConversationStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  async save(input: ConversationInput, scope?: ScopeArg): Promise<Conversation> {
    const conv = parseModel(Conversation, input, 'conversation');
    const s = this.scope(scope);
    const { messages, activeBranchId: wanted, ...fields } = conv;
    const doc = encodeJson({ ...fields, messages: [] });
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO conversations (scope, scope_id, id, agent_key, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, now(), $6)
         ON CONFLICT (scope, scope_id, id) DO UPDATE SET agent_key = EXCLUDED.agent_key, updated_at = now(), doc = EXCLUDED.doc`,
        [s.scope, s.scopeId, conv.id, conv.agentKey ?? null, conv.createdAt, doc],
      );
      const state = await lockConversation(c, s, conv.id);
      const ids = messages.map((m) => m.id);
      const stored = await c.query<{ id: string; doc: string }>(
        'SELECT id, doc FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND id = ANY($4::text[])',
        [s.scope, s.scopeId, conv.id, ids],
      );
      const storedById = new Map(stored.rows.map((r) => [r.id, decodeMessage(r.doc)]));
      const fresh: ConversationMessage[] = [];
      for (const m of messages) {
        const prev = storedById.get(m.id);
        if (!prev) {
          fresh.push(m);
          continue;
        }
        const { branchId: _b, parentMessageId: _p, ...rest } = m;
        const updated = {
          ...rest,
          ...(prev.branchId === undefined ? {} : { branchId: prev.branchId }),
          ...(prev.parentMessageId === undefined ? {} : { parentMessageId: prev.parentMessageId }),
        };
        await c.query(
          'UPDATE conversation_messages SET doc = $5, ts = $6 WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND id = $4',
          [s.scope, s.scopeId, conv.id, m.id, encodeJson(updated), m.timestamp],
        );
      }
      await appendMessages(c, s, conv.id, state, fresh, true);
      if (wanted !== undefined && !(await branchExists(c, s, conv.id, wanted)))
        throw unknownActiveBranch(wanted);
      state.active = wanted ?? '';
      await saveConversationState(c, s, conv.id, state);
    });
    return (await this.get(conv.id, scope)) as Conversation;
  }

  async get(id: string, scope?: ScopeArg): Promise<Conversation | null> {
    const s = this.scope(scope);
    const pool = await this.pool();
    const rows = await query<ConvRow>(
      pool,
      'SELECT doc, active_branch_id, next_seq, created_at, updated_at FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    const row = rows[0];
    if (!row) return null;
    const messages = await branchPath(pool, s, id, row.active_branch_id);
    return decodeConversation(row, messages);
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
      [s.scope, s.scopeId, id],
    );
    return rows.length > 0;
  }

  async list(options: ListConversationsOptions = {}, scope?: ScopeArg): Promise<Conversation[]> {
    const s = this.scope(scope);
    const limit = checkLimit(options.limit, 100, 'limit');
    const offset = checkLimit(options.offset, 0, 'offset');
    const rows = await this.q<ConvRow>(
      `SELECT doc, active_branch_id, next_seq, created_at, updated_at FROM conversations
       WHERE scope = $1 AND scope_id = $2 AND ($3::text IS NULL OR agent_key = $3)
       ORDER BY updated_at DESC, id DESC LIMIT $4 OFFSET $5`,
      [s.scope, s.scopeId, options.agentKey ?? null, limit, offset],
    );
    return rows.map((r) => decodeConversation(r, []));
  }

  async addMessages(
    conversationId: string,
    inputs: ConversationMessageInput[],
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const messages = inputs.map((m, i) => parseModel(ConversationMessage, m, `messages.${i}`));
    const s = this.scope(scope);
    return this.tx(async (c) => {
      const state = await lockConversation(c, s, conversationId);
      const stored = await appendMessages(c, s, conversationId, state, messages, true);
      await saveConversationState(c, s, conversationId, state);
      return stored;
    });
  }

  async getMessages(
    conversationId: string,
    options: GetMessagesOptions = {},
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const s = this.scope(scope);
    const pool = await this.pool();
    const rows = await query<{ active_branch_id: string }>(
      pool,
      'SELECT active_branch_id FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, conversationId],
    );
    const row = rows[0];
    if (!row) throw notFound('Conversation', conversationId);
    let msgs: ConversationMessage[];
    if (options.allBranches) {
      const all = await query<{ doc: string }>(
        pool,
        'SELECT doc FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 ORDER BY seq',
        [s.scope, s.scopeId, conversationId],
      );
      msgs = all.map((r) => decodeMessage(r.doc));
    } else {
      const branch =
        options.branchId === undefined ? row.active_branch_id : (options.branchId ?? '');
      if (branch !== '' && !(await branchExists(pool, s, conversationId, branch)))
        throw notFound('Branch', branch);
      msgs = await branchPath(pool, s, conversationId, branch);
    }
    const before = options.before;
    if (before) msgs = msgs.filter((m) => m.timestamp.getTime() < before.getTime());
    if (options.limit !== undefined) {
      const limit = checkLimit(options.limit, 0, 'limit');
      msgs = limit === 0 ? [] : msgs.slice(-limit);
    }
    return msgs;
  }

  async createBranch(
    conversationId: string,
    messageId: string,
    replacement: ConversationMessageInput,
    options: { activate?: boolean } = {},
    scope?: ScopeArg,
  ): Promise<BranchResult> {
    const s = this.scope(scope);
    const msg = parseModel(
      ConversationMessage,
      { ...replacement, parentMessageId: messageId },
      'message',
    );
    const branchId = msg.branchId ?? randomUUID();
    return this.tx(async (c) => {
      const state = await lockConversation(c, s, conversationId);
      const parent = await c.query(
        'SELECT 1 FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND id = $4',
        [s.scope, s.scopeId, conversationId, messageId],
      );
      if (parent.rows.length === 0) throw notFound('Message', messageId);
      if (await branchExists(c, s, conversationId, branchId)) {
        throw new AgentRuntimeError('CONFLICT', `Branch ${branchId} exists already`, {
          details: { branchId },
        });
      }
      const [stored] = await appendMessages(
        c,
        s,
        conversationId,
        state,
        [{ ...msg, branchId }],
        options.activate ?? true,
      );
      await saveConversationState(c, s, conversationId, state);
      return { branchId, message: stored as ConversationMessage };
    });
  }

  async setActiveBranch(
    conversationId: string,
    branchId: string | null,
    scope?: ScopeArg,
  ): Promise<void> {
    const s = this.scope(scope);
    await this.tx(async (c) => {
      const state = await lockConversation(c, s, conversationId);
      if (branchId !== null && !(await branchExists(c, s, conversationId, branchId)))
        throw notFound('Branch', branchId);
      state.active = branchId ?? '';
      await saveConversationState(c, s, conversationId, state);
    });
  }

  async listBranches(conversationId: string, scope?: ScopeArg): Promise<ConversationBranch[]> {
    const s = this.scope(scope);
    const pool = await this.pool();
    const convs = await query<{ created_at: Date }>(
      pool,
      'SELECT created_at FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, conversationId],
    );
    const conv = convs[0];
    if (!conv) throw notFound('Conversation', conversationId);
    const params = [s.scope, s.scopeId, conversationId];
    const branches = await query<BranchRow>(
      pool,
      `SELECT branch_id, parent_branch_id, fork_message_id, fork_seq, created_at FROM conversation_branches
       WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 ORDER BY created_at, fork_seq, branch_id`,
      params,
    );
    const counts = await query<{ branch_id: string; n: number }>(
      pool,
      `SELECT branch_id, count(*)::int AS n FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 GROUP BY branch_id`,
      params,
    );
    const count = new Map(counts.map((r) => [r.branch_id, r.n]));
    return [
      {
        branchId: null,
        forkMessageId: null,
        parentBranchId: null,
        messageCount: count.get('') ?? 0,
        createdAt: conv.created_at,
      },
      ...branches.map((b) => ({
        branchId: b.branch_id,
        forkMessageId: b.fork_message_id,
        parentBranchId: b.parent_branch_id === '' ? null : b.parent_branch_id,
        messageCount: count.get(b.branch_id) ?? 0,
        createdAt: b.created_at,
      })),
    ];
  }

  async fork(
    conversationId: string,
    messageId: string,
    options: { id?: string; title?: string } = {},
    scope?: ScopeArg,
  ): Promise<Conversation> {
    const s = this.scope(scope);
    const pool = await this.pool();
    const rows = await query<ConvRow>(
      pool,
      'SELECT doc, active_branch_id, next_seq, created_at, updated_at FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, conversationId],
    );
    const row = rows[0];
    if (!row) throw notFound('Conversation', conversationId);
    const at = await query<{ branch_id: string }>(
      pool,
      'SELECT branch_id FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND id = $4',
      [s.scope, s.scopeId, conversationId, messageId],
    );
    const atRow = at[0];
    if (!atRow) throw notFound('Message', messageId);
    const path = await branchPath(pool, s, conversationId, atRow.branch_id);
    const upto = path.slice(0, path.findIndex((m) => m.id === messageId) + 1);
    const src = decodeConversation(row, []);
    return this.save(
      {
        ...(options.id === undefined ? {} : { id: options.id }),
        title: options.title ?? src.title,
        metadata: src.metadata,
        ...(src.agentKey === undefined ? {} : { agentKey: src.agentKey }),
        parentConversationId: src.id,
        forkedFromMessageId: messageId,
        messages: upto.map(stripBranch),
      },
      scope,
    );
  }
}

function decodeConversation(row: ConvRow, messages: ConversationMessage[]): Conversation {
  const doc = decodeJson(row.doc) as Record<string, unknown>;
  return parseModel(
    Conversation,
    {
      ...doc,
      messages,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(row.active_branch_id === '' ? {} : { activeBranchId: row.active_branch_id }),
    },
    'storedConversation',
  );
}

interface ConversationState {
  active: string;
  nextSeq: bigint;
}

async function lockConversation(
  c: PoolClient,
  s: ResolvedScope,
  id: string,
): Promise<ConversationState> {
  const res = await c.query<{ active_branch_id: string; next_seq: string }>(
    'SELECT active_branch_id, next_seq FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
    [s.scope, s.scopeId, id],
  );
  const row = res.rows[0];
  if (!row) throw notFound('Conversation', id);
  return { active: row.active_branch_id, nextSeq: BigInt(row.next_seq) };
}

async function saveConversationState(
  c: PoolClient,
  s: ResolvedScope,
  id: string,
  state: ConversationState,
): Promise<void> {
  await c.query(
    'UPDATE conversations SET active_branch_id = $4, next_seq = $5, updated_at = now() WHERE scope = $1 AND scope_id = $2 AND id = $3',
    [s.scope, s.scopeId, id, state.active, state.nextSeq.toString()],
  );
}

async function branchExists(
  c: Queryable,
  s: ResolvedScope,
  conversationId: string,
  branchId: string,
): Promise<boolean> {
  const res = await c.query(
    'SELECT 1 FROM conversation_branches WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND branch_id = $4',
    [s.scope, s.scopeId, conversationId, branchId],
  );
  return res.rows.length > 0;
}

/** Appends under the conversation row lock held by the caller; updates `state`. */
async function appendMessages(
  c: PoolClient,
  s: ResolvedScope,
  conversationId: string,
  state: ConversationState,
  messages: ConversationMessage[],
  activateNew: boolean,
): Promise<ConversationMessage[]> {
  const out: ConversationMessage[] = [];
  const known = new Set<string>();
  for (const input of messages) {
    const m = { ...input };
    let branchKey: string;
    if (m.branchId === undefined) {
      branchKey = state.active;
      if (branchKey !== '') m.branchId = branchKey;
    } else if (known.has(m.branchId) || (await branchExists(c, s, conversationId, m.branchId))) {
      branchKey = m.branchId;
    } else {
      const parentRes =
        m.parentMessageId === undefined
          ? undefined
          : await c.query<{ seq: string; branch_id: string }>(
              'SELECT seq, branch_id FROM conversation_messages WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 AND id = $4',
              [s.scope, s.scopeId, conversationId, m.parentMessageId],
            );
      const parent = parentRes?.rows[0];
      if (!parent) throw unknownBranchError(m.branchId);
      await c.query(
        `INSERT INTO conversation_branches (scope, scope_id, conversation_id, branch_id, parent_branch_id, fork_message_id, fork_seq, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())`,
        [
          s.scope,
          s.scopeId,
          conversationId,
          m.branchId,
          parent.branch_id,
          m.parentMessageId,
          parent.seq,
        ],
      );
      branchKey = m.branchId;
      if (activateNew) state.active = m.branchId;
    }
    known.add(branchKey);
    const seq = state.nextSeq;
    state.nextSeq += 1n;
    const res = await c.query(
      `INSERT INTO conversation_messages (scope, scope_id, conversation_id, id, seq, branch_id, ts, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        s.scope,
        s.scopeId,
        conversationId,
        m.id,
        seq.toString(),
        branchKey,
        m.timestamp,
        encodeJson(m),
      ],
    );
    if (res.rows.length === 0) {
      throw new AgentRuntimeError('CONFLICT', `Message ${m.id} is stored already`, {
        details: { messageId: m.id },
      });
    }
    out.push(m);
  }
  return out;
}

/** The path of a branch, read with one query over its ancestry's segments. */
async function branchPath(
  db: Queryable,
  s: ResolvedScope,
  conversationId: string,
  branchId: string,
): Promise<ConversationMessage[]> {
  const segments: { key: string; maxSeq: string }[] = [{ key: branchId, maxSeq: MAX_SEQ }];
  if (branchId !== '') {
    const res = await db.query<BranchRow>(
      'SELECT branch_id, parent_branch_id, fork_message_id, fork_seq, created_at FROM conversation_branches WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3',
      [s.scope, s.scopeId, conversationId],
    );
    const byId = new Map(res.rows.map((b) => [b.branch_id, b]));
    let b = byId.get(branchId);
    // Guards against a corrupted ancestry: a branch's parent always predates it, so depth is bounded.
    for (let guard = 0; b && guard <= byId.size; guard++) {
      segments.unshift({ key: b.parent_branch_id, maxSeq: b.fork_seq });
      b = b.parent_branch_id === '' ? undefined : byId.get(b.parent_branch_id);
    }
  }
  const rows = await db.query<{ doc: string }>(
    `SELECT m.doc FROM conversation_messages m
     JOIN unnest($4::text[], $5::bigint[], $6::int[]) AS seg(branch_id, max_seq, depth)
       ON m.branch_id = seg.branch_id AND m.seq < seg.max_seq
     WHERE m.scope = $1 AND m.scope_id = $2 AND m.conversation_id = $3
     ORDER BY seg.depth, m.seq`,
    [
      s.scope,
      s.scopeId,
      conversationId,
      segments.map((x) => x.key),
      segments.map((x) => x.maxSeq),
      segments.map((_, i) => i),
    ],
  );
  return rows.rows.map((r) => decodeMessage(r.doc));
}

function decodeTask(doc: string): Task {
  return parseModel(Task, decodeJson(doc), 'storedTask');
}

/**
 * Postgres `TaskStore`. Every write that can change the dependency graph holds a transaction
 * advisory lock per scope, so two concurrent writes cannot each pass the cycle check and
 * together form a cycle.
 */
export class PostgresTaskStore extends PostgresStoreBase implements TaskStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  private async lockGraph(c: PoolClient, s: ResolvedScope): Promise<void> {
    await c.query(
      `SELECT pg_advisory_xact_lock(hashtext('agent_runtime_core.tasks'), hashtext($1 || ':' || $2))`,
      [s.scope, s.scopeId],
    );
  }

  private async loadTasks(
    c: Queryable,
    s: ResolvedScope,
    ids: string[],
  ): Promise<Map<string, Task>> {
    const res = await c.query<{ doc: string }>(
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
      [s.scope, s.scopeId, ids],
    );
    return new Map(res.rows.map((r) => [decodeTask(r.doc).id, decodeTask(r.doc)]));
  }

  private async writeTask(c: PoolClient, s: ResolvedScope, t: Task): Promise<void> {
    await c.query(
      `INSERT INTO tasks (scope, scope_id, id, task_list_id, conversation_id, state, priority, due_at, created_at, doc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET task_list_id = EXCLUDED.task_list_id, conversation_id = EXCLUDED.conversation_id,
         state = EXCLUDED.state, priority = EXCLUDED.priority, due_at = EXCLUDED.due_at, doc = EXCLUDED.doc`,
      [
        s.scope,
        s.scopeId,
        t.id,
        t.taskListId ?? null,
        t.conversationId ?? null,
        t.state,
        t.priority,
        t.dueAt ?? null,
        t.createdAt,
        encodeJson(t),
      ],
    );
  }

  private async writeDependencies(c: PoolClient, s: ResolvedScope, t: Task): Promise<void> {
    await c.query(
      'DELETE FROM task_dependencies WHERE scope = $1 AND scope_id = $2 AND task_id = $3',
      [s.scope, s.scopeId, t.id],
    );
    await c.query(
      'INSERT INTO task_dependencies (scope, scope_id, task_id, depends_on) SELECT $1, $2, $3, d FROM unnest($4::text[]) AS d ON CONFLICT DO NOTHING',
      [s.scope, s.scopeId, t.id, t.dependencies],
    );
  }

  /** Rejects dependencies on missing tasks and cycles through any of `changed`. */
  private async checkGraph(c: PoolClient, s: ResolvedScope, changed: string[]): Promise<void> {
    const dangling = await c.query<{ task_id: string; depends_on: string }>(
      `SELECT d.task_id, d.depends_on FROM task_dependencies d
       WHERE d.scope = $1 AND d.scope_id = $2 AND d.task_id = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.scope = d.scope AND t.scope_id = d.scope_id AND t.id = d.depends_on)
       LIMIT 1`,
      [s.scope, s.scopeId, changed],
    );
    const bad = dangling.rows[0];
    if (bad) throw unknownDependencyError(bad.task_id, bad.depends_on);
    const cycle = await c.query<{ start: string }>(
      `WITH RECURSIVE reach(start, id) AS (
         SELECT task_id, depends_on FROM task_dependencies WHERE scope = $1 AND scope_id = $2 AND task_id = ANY($3::text[])
         UNION
         SELECT r.start, d.depends_on FROM reach r
           JOIN task_dependencies d ON d.scope = $1 AND d.scope_id = $2 AND d.task_id = r.id
       )
       SELECT start FROM reach WHERE start = id LIMIT 1`,
      [s.scope, s.scopeId, changed],
    );
    const loop = cycle.rows[0];
    if (loop) throw cycleError(loop.start);
  }

  private async assertNotDependedOn(
    c: PoolClient,
    s: ResolvedScope,
    doomed: string[],
  ): Promise<void> {
    const res = await c.query<{ task_id: string; depends_on: string }>(
      `SELECT task_id, depends_on FROM task_dependencies
       WHERE scope = $1 AND scope_id = $2 AND depends_on = ANY($3::text[]) AND NOT (task_id = ANY($3::text[]))`,
      [s.scope, s.scopeId, doomed],
    );
    const first = res.rows[0];
    if (first)
      throw dependedOnError(
        first.depends_on,
        res.rows.filter((r) => r.depends_on === first.depends_on).map((r) => r.task_id),
      );
  }

  async saveList(input: TaskListInput, scope?: ScopeArg): Promise<TaskList> {
    const list = parseModel(TaskList, input, 'taskList');
    const s = this.scope(scope);
    await this.tx(async (c) => {
      await this.lockGraph(c, s);
      const { tasks, ...meta } = list;
      const prevList = await c.query<{ created_at: Date }>(
        'SELECT created_at FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
        [s.scope, s.scopeId, list.id],
      );
      const createdAt = prevList.rows[0]?.created_at ?? meta.createdAt;
      await c.query(
        `INSERT INTO task_lists (scope, scope_id, id, conversation_id, run_id, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), $7)
         ON CONFLICT (scope, scope_id, id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id, run_id = EXCLUDED.run_id,
           updated_at = clock_timestamp(), doc = EXCLUDED.doc`,
        [
          s.scope,
          s.scopeId,
          list.id,
          meta.conversationId ?? null,
          meta.runId ?? null,
          createdAt,
          encodeJson({ ...meta, tasks: [] }),
        ],
      );
      const prev = await this.loadTasks(
        c,
        s,
        tasks.map((t) => t.id),
      );
      const now = new Date();
      for (const t of tasks) {
        const prepared = prepareTask({ ...t, taskListId: list.id }, prev.get(t.id), now);
        await this.writeTask(c, s, prepared);
        await this.writeDependencies(c, s, prepared);
      }
      const keep = tasks.map((t) => t.id);
      const doomedRes = await c.query<{ id: string }>(
        'SELECT id FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3 AND NOT (id = ANY($4::text[]))',
        [s.scope, s.scopeId, list.id, keep],
      );
      const doomed = doomedRes.rows.map((r) => r.id);
      if (doomed.length > 0) {
        await this.assertNotDependedOn(c, s, doomed);
        await c.query(
          'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
          [s.scope, s.scopeId, doomed],
        );
      }
      await this.checkGraph(c, s, keep);
    });
    return (await this.getList(list.id, scope)) as TaskList;
  }

  async getList(id: string, scope?: ScopeArg): Promise<TaskList | null> {
    const s = this.scope(scope);
    const pool = await this.pool();
    const rows = await query<{ doc: string; created_at: Date; updated_at: Date }>(
      pool,
      'SELECT doc, created_at, updated_at FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    const row = rows[0];
    if (!row) return null;
    const tasks = await query<{ doc: string }>(
      pool,
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3 ORDER BY pos',
      [s.scope, s.scopeId, id],
    );
    const doc = decodeJson(row.doc) as Record<string, unknown>;
    return parseModel(
      TaskList,
      {
        ...doc,
        tasks: tasks.map((t) => decodeTask(t.doc)),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      'storedTaskList',
    );
  }

  async deleteList(id: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      const doomed = (
        await c.query<{ id: string }>(
          'SELECT id FROM tasks WHERE scope = $1 AND scope_id = $2 AND task_list_id = $3',
          [s.scope, s.scopeId, id],
        )
      ).rows.map((r) => r.id);
      await this.assertNotDependedOn(c, s, doomed);
      await c.query(
        'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = ANY($3::text[])',
        [s.scope, s.scopeId, doomed],
      );
      const res = await c.query(
        'DELETE FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
        [s.scope, s.scopeId, id],
      );
      return res.rows.length > 0;
    });
  }

  async getListByConversation(conversationId: string, scope?: ScopeArg): Promise<TaskList | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ id: string }>(
      'SELECT id FROM task_lists WHERE scope = $1 AND scope_id = $2 AND conversation_id = $3 ORDER BY updated_at DESC LIMIT 1',
      [s.scope, s.scopeId, conversationId],
    );
    return rows[0] ? this.getList(rows[0].id, scope) : null;
  }

  async save(input: TaskInput, scope?: ScopeArg): Promise<Task> {
    const task = parseModel(Task, input, 'task');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      if (task.taskListId !== undefined) {
        const l = await c.query(
          'SELECT 1 FROM task_lists WHERE scope = $1 AND scope_id = $2 AND id = $3',
          [s.scope, s.scopeId, task.taskListId],
        );
        if (l.rows.length === 0) throw notFound('TaskList', task.taskListId);
      }
      const prev = (await this.loadTasks(c, s, [task.id])).get(task.id);
      const prepared = prepareTask(task, prev, new Date());
      await this.writeTask(c, s, prepared);
      await this.writeDependencies(c, s, prepared);
      await this.checkGraph(c, s, [task.id]);
      return prepared;
    });
  }

  async get(id: string, scope?: ScopeArg): Promise<Task | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? decodeTask(rows[0].doc) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await this.lockGraph(c, s);
      await this.assertNotDependedOn(c, s, [id]);
      const res = await c.query(
        'DELETE FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
        [s.scope, s.scopeId, id],
      );
      return res.rows.length > 0;
    });
  }

  async list(q: TaskQuery = {}, scope?: ScopeArg): Promise<Task[]> {
    const s = this.scope(scope);
    const limit = q.limit === undefined ? null : checkLimit(q.limit, 0, 'limit');
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2
         AND ($3::text IS NULL OR task_list_id = $3) AND ($4::text IS NULL OR conversation_id = $4) AND ($5::text IS NULL OR state = $5)
       ORDER BY pos LIMIT $6`,
      [s.scope, s.scopeId, q.taskListId ?? null, q.conversationId ?? null, q.state ?? null, limit],
    );
    return rows.map((r) => decodeTask(r.doc));
  }

  async update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      if (changes.dependencies !== undefined) await this.lockGraph(c, s);
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) throw notFound('Task', id);
      const next = applyTaskUpdate(decodeTask(row.doc), changes);
      await this.writeTask(c, s, next);
      if (changes.dependencies !== undefined) {
        await this.writeDependencies(c, s, next);
        await this.checkGraph(c, s, [id]);
      }
      return next;
    });
  }

  async getReady(q: Omit<TaskQuery, 'state'> = {}, scope?: ScopeArg): Promise<Task[]> {
    const s = this.scope(scope);
    const limit = q.limit === undefined ? null : checkLimit(q.limit, 0, 'limit');
    const rows = await this.q<{ doc: string }>(
      `SELECT t.doc FROM tasks t
       WHERE t.scope = $1 AND t.scope_id = $2 AND t.state = 'not_started'
         AND ($3::text IS NULL OR t.task_list_id = $3) AND ($4::text IS NULL OR t.conversation_id = $4)
         AND NOT EXISTS (
           SELECT 1 FROM task_dependencies d
           JOIN tasks u ON u.scope = d.scope AND u.scope_id = d.scope_id AND u.id = d.depends_on
           WHERE d.scope = t.scope AND d.scope_id = t.scope_id AND d.task_id = t.id AND u.state <> 'complete')
       ORDER BY t.priority DESC, t.due_at ASC NULLS LAST, t.created_at, t.id
       LIMIT $5`,
      [s.scope, s.scopeId, q.taskListId ?? null, q.conversationId ?? null, limit],
    );
    return rows.map((r) => decodeTask(r.doc));
  }

  private async modify(
    id: string,
    scope: ScopeArg | undefined,
    fn: (t: Task) => Task,
  ): Promise<Task> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM tasks WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) throw notFound('Task', id);
      const next = fn(decodeTask(row.doc));
      await this.writeTask(c, s, next);
      return next;
    });
  }

  async saveCheckpoint(
    id: string,
    data: Record<string, JsonValue>,
    scope?: ScopeArg,
  ): Promise<Task> {
    return this.modify(id, scope, (t) => {
      const now = new Date();
      return parseModel(
        Task,
        { ...t, checkpointData: data, checkpointAt: now, updatedAt: now },
        'task',
      );
    });
  }

  async recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task> {
    return this.modify(id, scope, (t) => {
      const { lastError: _l, ...rest } = t;
      return parseModel(
        Task,
        {
          ...rest,
          attempts: t.attempts + 1,
          updatedAt: new Date(),
          ...(error === undefined ? {} : { lastError: error }),
        },
        'task',
      );
    });
  }
}

/**
 * Postgres `KnowledgeStore`. Similarity search uses pgvector's cosine distance where migration 2
 * could install the extension, and otherwise computes cosine similarity over `float8[]` in SQL.
 */
export class PostgresKnowledgeStore extends PostgresStoreBase implements KnowledgeStore {
  private hasVec: Promise<boolean> | undefined;
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  /** Whether the `embeddings.vec` (pgvector) column exists; checked once. */
  private vectorColumn(): Promise<boolean> {
    this.hasVec ??= this.q<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'embeddings' AND column_name = 'vec') AS ok`,
      [],
    ).then((r) => r[0]?.ok === true);
    return this.hasVec;
  }

  async saveFact(input: FactInput, scope?: ScopeArg): Promise<Fact> {
    const fact = parseModel(Fact, input, 'fact');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await c.query(
        'DELETE FROM facts WHERE scope = $1 AND scope_id = $2 AND key = $3 AND id <> $4',
        [s.scope, s.scopeId, fact.key, fact.id],
      );
      const prev = await c.query<{ doc: string }>(
        'SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, fact.id],
      );
      const prevFact = prev.rows[0]
        ? parseModel(Fact, decodeJson(prev.rows[0].doc), 'storedFact')
        : undefined;
      const stored: Fact = {
        ...fact,
        createdAt: prevFact?.createdAt ?? fact.createdAt,
        updatedAt: new Date(),
      };
      await c.query(
        `INSERT INTO facts (scope, scope_id, id, key, fact_type, expires_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (scope, scope_id, id) DO UPDATE SET key = EXCLUDED.key, fact_type = EXCLUDED.fact_type, expires_at = EXCLUDED.expires_at,
           updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc`,
        [
          s.scope,
          s.scopeId,
          stored.id,
          stored.key,
          stored.factType,
          stored.expiresAt ?? null,
          stored.updatedAt,
          encodeJson(stored),
        ],
      );
      return stored;
    });
  }

  private async oneFact(
    where: string,
    value: string,
    scope: ScopeArg | undefined,
  ): Promise<Fact | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND ${where} = $3 AND (expires_at IS NULL OR expires_at > now())`,
      [s.scope, s.scopeId, value],
    );
    return rows[0] ? parseModel(Fact, decodeJson(rows[0].doc), 'storedFact') : null;
  }

  async getFact(id: string, scope?: ScopeArg): Promise<Fact | null> {
    return this.oneFact('id', id, scope);
  }

  async getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null> {
    return this.oneFact('key', parseKey(key), scope);
  }

  async listFacts(
    options: { factType?: FactType; limit?: number } = {},
    scope?: ScopeArg,
  ): Promise<Fact[]> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND ($3::text IS NULL OR fact_type = $3) AND (expires_at IS NULL OR expires_at > now())
       ORDER BY updated_at DESC, id LIMIT $4`,
      [s.scope, s.scopeId, options.factType ?? null, checkLimit(options.limit, 100, 'limit')],
    );
    return rows.map((r) => parseModel(Fact, decodeJson(r.doc), 'storedFact'));
  }

  async deleteFact(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.deleteFrom('facts', id, scope);
  }

  async purgeExpiredFacts(scope?: ScopeArg): Promise<number> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM facts WHERE scope = $1 AND scope_id = $2 AND expires_at <= now() RETURNING 1',
      [s.scope, s.scopeId],
    );
    return rows.length;
  }

  private async deleteFrom(
    table: 'facts' | 'summaries' | 'embeddings',
    id: string,
    scope: ScopeArg | undefined,
  ): Promise<boolean> {
    const s = this.scope(scope);
    const rows = await this.q(
      `DELETE FROM ${table} WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1`,
      [s.scope, s.scopeId, id],
    );
    return rows.length > 0;
  }

  async saveSummary(input: SummaryInput, scope?: ScopeArg): Promise<Summary> {
    const summary = parseModel(Summary, input, 'summary');
    const s = this.scope(scope);
    const ids = [
      ...new Set([
        ...(summary.conversationId === undefined ? [] : [summary.conversationId]),
        ...summary.conversationIds,
      ]),
    ];
    await this.q(
      `INSERT INTO summaries (scope, scope_id, id, conversation_ids, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET conversation_ids = EXCLUDED.conversation_ids, created_at = EXCLUDED.created_at, doc = EXCLUDED.doc`,
      [s.scope, s.scopeId, summary.id, ids, summary.createdAt, encodeJson(summary)],
    );
    return summary;
  }

  async getSummary(id: string, scope?: ScopeArg): Promise<Summary | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM summaries WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? parseModel(Summary, decodeJson(rows[0].doc), 'storedSummary') : null;
  }

  async getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM summaries WHERE scope = $1 AND scope_id = $2 AND $3 = ANY(conversation_ids) ORDER BY created_at DESC, id',
      [s.scope, s.scopeId, conversationId],
    );
    return rows.map((r) => parseModel(Summary, decodeJson(r.doc), 'storedSummary'));
  }

  async deleteSummary(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.deleteFrom('summaries', id, scope);
  }

  async saveEmbedding(input: EmbeddingInput, scope?: ScopeArg): Promise<Embedding> {
    const e = parseModel(Embedding, input, 'embedding');
    const s = this.scope(scope);
    const norm = Math.sqrt(e.vector.reduce((acc, x) => acc + x * x, 0));
    const { vector: _v, ...docFields } = e;
    const params = [
      s.scope,
      s.scopeId,
      e.id,
      e.contentType,
      e.dimensions,
      e.vector,
      norm,
      e.createdAt,
      encodeJson(docFields),
    ];
    const vec = await this.vectorColumn();
    await this.q(
      `INSERT INTO embeddings (scope, scope_id, id, content_type, dimensions, vector, norm, created_at, doc${vec ? ', vec' : ''})
       VALUES ($1, $2, $3, $4, $5, $6::float8[], $7, $8, $9${vec ? ', $6::float8[]::real[]::vector' : ''})
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET content_type = EXCLUDED.content_type, dimensions = EXCLUDED.dimensions,
         vector = EXCLUDED.vector, norm = EXCLUDED.norm, created_at = EXCLUDED.created_at, doc = EXCLUDED.doc${vec ? ', vec = EXCLUDED.vec' : ''}`,
      params,
    );
    return e;
  }

  async getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string; vector: number[] }>(
      'SELECT doc, vector FROM embeddings WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? decodeEmbedding(rows[0]) : null;
  }

  async searchSimilar(
    queryVector: number[],
    options: { limit?: number; contentType?: string } = {},
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]> {
    const q = parseModel(z.array(z.number()).min(1), queryVector, 'queryVector');
    const s = this.scope(scope);
    const limit = checkLimit(options.limit, 10, 'limit');
    const qnorm = Math.sqrt(q.reduce((acc, x) => acc + x * x, 0));
    const vec = await this.vectorColumn();
    const score = vec
      ? `CASE WHEN norm = 0 OR $6::float8 = 0 THEN 0 ELSE 1 - (vec <=> $3::float8[]::real[]::vector) END`
      : `CASE WHEN norm = 0 OR $6::float8 = 0 THEN 0 ELSE (SELECT sum(a * b) FROM unnest(vector, $3::float8[]) AS p(a, b)) / (norm * $6::float8) END`;
    const rows = await this.q<{ doc: string; vector: number[]; score: number }>(
      `SELECT doc, vector, ${score} AS score FROM embeddings
       WHERE scope = $1 AND scope_id = $2 AND dimensions = $4 AND ($5::text IS NULL OR content_type = $5)
       ORDER BY score DESC, id LIMIT $7`,
      [s.scope, s.scopeId, q, q.length, options.contentType ?? null, qnorm, limit],
    );
    return rows.map((r) => ({ embedding: decodeEmbedding(r), score: Number(r.score) }));
  }

  async deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean> {
    return this.deleteFrom('embeddings', id, scope);
  }
}

function decodeEmbedding(row: { doc: string; vector: number[] }): Embedding {
  const doc = decodeJson(row.doc) as Record<string, unknown>;
  return parseModel(Embedding, { ...doc, vector: row.vector.map(Number) }, 'storedEmbedding');
}

interface AuditFilter {
  conditions: string[];
  params: unknown[];
}

function auditFilter(s: ResolvedScope, q: AuditQuery): AuditFilter {
  const f: AuditFilter = {
    conditions: ['scope = $1', 'scope_id = $2'],
    params: [s.scope, s.scopeId],
  };
  const add = (sql: (p: string) => string, value: unknown) => {
    f.params.push(value);
    f.conditions.push(sql(`$${f.params.length}`));
  };
  if (q.conversationId !== undefined) add((p) => `conversation_id = ${p}`, q.conversationId);
  if (q.runId !== undefined) add((p) => `run_id = ${p}`, q.runId);
  if (q.agentKey !== undefined) add((p) => `agent_key = ${p}`, q.agentKey);
  if (q.startTime !== undefined) add((p) => `ts >= ${p}`, q.startTime);
  if (q.endTime !== undefined) add((p) => `ts < ${p}`, q.endTime);
  return f;
}

/** Postgres `AuditStore`. */
export class PostgresAuditStore extends PostgresStoreBase implements AuditStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  async logEvent(input: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry> {
    const e = parseModel(AuditEntry, input, 'entry');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO audit_entries (scope, scope_id, id, event_type, ts, conversation_id, run_id, agent_key, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        s.scope,
        s.scopeId,
        e.id,
        e.eventType,
        e.timestamp,
        e.conversationId ?? null,
        e.runId ?? null,
        e.agentKey ?? null,
        encodeJson(e),
      ],
    );
    return e;
  }

  async getEvents(
    q: AuditQuery & { eventTypes?: AuditEventType[] } = {},
    scope?: ScopeArg,
  ): Promise<AuditEntry[]> {
    const f = auditFilter(this.scope(scope), q);
    if (q.eventTypes !== undefined) {
      f.params.push(q.eventTypes);
      f.conditions.push(`event_type = ANY($${f.params.length}::text[])`);
    }
    f.params.push(checkLimit(q.limit, 100, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM audit_entries WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(AuditEntry, decodeJson(r.doc), 'storedEntry'));
  }

  async logError(input: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord> {
    const e = parseModel(ErrorRecord, input, 'error');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO error_records (scope, scope_id, id, severity, resolved, ts, conversation_id, run_id, agent_key, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        s.scope,
        s.scopeId,
        e.id,
        e.severity,
        e.resolved,
        e.timestamp,
        e.conversationId ?? null,
        e.runId ?? null,
        e.agentKey ?? null,
        encodeJson(e),
      ],
    );
    return e;
  }

  async getErrors(
    q: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean } = {},
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]> {
    const f = auditFilter(this.scope(scope), q);
    if (q.severity !== undefined) {
      f.params.push(q.severity);
      f.conditions.push(`severity = $${f.params.length}`);
    }
    if (q.resolved !== undefined) {
      f.params.push(q.resolved);
      f.conditions.push(`resolved = $${f.params.length}`);
    }
    f.params.push(checkLimit(q.limit, 100, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM error_records WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(ErrorRecord, decodeJson(r.doc), 'storedError'));
  }

  async resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean> {
    const s = this.scope(scope);
    return this.tx(async (c) => {
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM error_records WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) return false;
      const prev = parseModel(ErrorRecord, decodeJson(row.doc), 'storedError');
      const next: ErrorRecord = {
        ...prev,
        resolved: true,
        resolvedAt: new Date(),
        ...(resolutionNotes === undefined ? {} : { resolutionNotes }),
      };
      await c.query(
        'UPDATE error_records SET resolved = true, doc = $4 WHERE scope = $1 AND scope_id = $2 AND id = $3',
        [s.scope, s.scopeId, id, encodeJson(next)],
      );
      return true;
    });
  }

  async recordMetric(input: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric> {
    const m = parseModel(PerformanceMetric, input, 'metric');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO metrics (scope, scope_id, id, name, value, ts, conversation_id, run_id, agent_key, tags, doc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
      [
        s.scope,
        s.scopeId,
        m.id,
        m.name,
        m.value,
        m.timestamp,
        m.conversationId ?? null,
        m.runId ?? null,
        m.agentKey ?? null,
        JSON.stringify(m.tags),
        encodeJson(m),
      ],
    );
    return m;
  }

  private metricFilter(
    scope: ScopeArg | undefined,
    q: AuditQuery & { name?: string; tags?: Record<string, string> },
  ): AuditFilter {
    const f = auditFilter(this.scope(scope), q);
    if (q.name !== undefined) {
      f.params.push(q.name);
      f.conditions.push(`name = $${f.params.length}`);
    }
    if (q.tags !== undefined) {
      f.params.push(JSON.stringify(parseModel(z.record(z.string(), z.string()), q.tags, 'tags')));
      f.conditions.push(`tags @> $${f.params.length}::jsonb`);
    }
    return f;
  }

  async getMetrics(
    q: AuditQuery & { name?: string; tags?: Record<string, string> } = {},
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]> {
    const f = this.metricFilter(scope, q);
    f.params.push(checkLimit(q.limit, 1000, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM metrics WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(PerformanceMetric, decodeJson(r.doc), 'storedMetric'));
  }

  async getMetricSummary(
    name: string,
    q: Omit<AuditQuery, 'limit'> = {},
    scope?: ScopeArg,
  ): Promise<MetricSummary> {
    const f = this.metricFilter(scope, { ...q, name });
    const rows = await this.q<Record<keyof MetricSummary, number | string | null>>(
      `SELECT count(*)::int AS count, min(value) AS min, max(value) AS max, avg(value) AS avg, sum(value) AS sum,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99
       FROM metrics WHERE ${f.conditions.join(' AND ')}`,
      f.params,
    );
    const r = rows[0];
    const n = (v: number | string | null | undefined) =>
      v === null || v === undefined ? 0 : Number(v);
    return {
      count: n(r?.count),
      min: n(r?.min),
      max: n(r?.max),
      avg: n(r?.avg),
      sum: n(r?.sum),
      p50: n(r?.p50),
      p95: n(r?.p95),
      p99: n(r?.p99),
    };
  }
}
