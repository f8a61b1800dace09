// Node side only: the Postgres ConversationStore. It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AgentRuntimeError } from '../../core/errors';
import { checkLimit } from '../logic';
import { Scope } from '../models';
import { encodeJson, guardQueryable, query } from '../postgres/sql';
import { PostgresStoreBase } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ScopeArg } from '../validation';
import { notFound, parseId, parseModel } from '../validation';
import {
  checkCreateBranch,
  checkFork,
  checkGetMessages,
  checkListOptions,
  checkSetActiveBranch,
  checkUniqueMessageIds,
  forkTargetTaken,
} from './arguments';
import { forkInput, unknownActiveBranch } from './logic';
import { Conversation, ConversationMessage } from './models';
import type { ConversationBranch, ConversationInput, ConversationMessageInput } from './models';
import {
  appendMessages,
  branchExists,
  branchPath,
  decodeConversation,
  decodeMessage,
  lockConversation,
  saveConversationState,
} from './postgres-messages';
import type { BranchRow, ConvRow } from './postgres-messages';
import type {
  BranchResult,
  ConversationStore,
  GetMessagesOptions,
  ListConversationsOptions,
} from './store';

/** Postgres `ConversationStore`. Appends lock the conversation row, which orders concurrent writers. */
export class PostgresConversationStore extends PostgresStoreBase implements ConversationStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  async save(input: ConversationInput, scope?: ScopeArg): Promise<Conversation> {
    const conv = parseModel(Conversation, input, 'conversation');
    checkUniqueMessageIds(conv.messages, 'conversation.messages');
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
    parseId(id);
    const s = this.scope(scope);
    const pool = guardQueryable(await this.pool());
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
    parseId(id);
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM conversations WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1',
      [s.scope, s.scopeId, id],
    );
    return rows.length > 0;
  }

  async list(input?: ListConversationsOptions, scope?: ScopeArg): Promise<Conversation[]> {
    const options = checkListOptions(input);
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
    parseId(conversationId, 'conversationId');
    parseModel(z.array(z.unknown()), inputs, 'messages');
    const messages = inputs.map((m, i) => parseModel(ConversationMessage, m, `messages.${i}`));
    checkUniqueMessageIds(messages, 'messages');
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
    input?: GetMessagesOptions,
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const options = checkGetMessages(conversationId, input);
    const s = this.scope(scope);
    const pool = guardQueryable(await this.pool());
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
    input?: { activate?: boolean },
    scope?: ScopeArg,
  ): Promise<BranchResult> {
    const options = checkCreateBranch(conversationId, messageId, input);
    parseModel(z.record(z.string(), z.unknown()), replacement, 'message');
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
    checkSetActiveBranch(conversationId, branchId);
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
    parseId(conversationId, 'conversationId');
    const s = this.scope(scope);
    const pool = guardQueryable(await this.pool());
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
    input?: { id?: string; title?: string },
    scope?: ScopeArg,
  ): Promise<Conversation> {
    const options = checkFork(conversationId, messageId, input);
    if (options.id !== undefined && (await this.get(options.id, scope)) !== null)
      throw forkTargetTaken(options.id);
    const s = this.scope(scope);
    const pool = guardQueryable(await this.pool());
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
    return this.save(forkInput(decodeConversation(row, []), messageId, upto, options), scope);
  }
}
