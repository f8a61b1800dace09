// Node side only: the SQL the Postgres ConversationStore runs on messages and branches (row
// decoding, the conversation row lock, appends, branch paths), apart from the store's methods.
import type { PoolClient } from 'pg';
import { AgentRuntimeError } from '../../core/errors';
import type { Queryable } from '../postgres/sql';
import { MAX_SEQ, decodeJson, encodeJson } from '../postgres/sql';
import type { ResolvedScope } from '../validation';
import { notFound, parseModel } from '../validation';
import { unknownBranchError, upgradeStoredMessage } from './logic';
import { Conversation, ConversationMessage } from './models';

/** A `conversations` row as the store reads it. */
export interface ConvRow {
  doc: string;
  active_branch_id: string;
  next_seq: string;
  created_at: Date;
  updated_at: Date;
}
/** A `conversation_branches` row. */
export interface BranchRow {
  branch_id: string;
  parent_branch_id: string;
  fork_message_id: string;
  fork_seq: string;
  created_at: Date;
}

/**
 * A stored message document back as a validated message, in the current shape even when it was
 * stored in an older one (`upgradeStoredMessage`).
 */
export function decodeMessage(doc: string): ConversationMessage {
  return parseModel(ConversationMessage, upgradeStoredMessage(decodeJson(doc)), 'storedMessage');
}

/** A conversation row (and the path read for it) back as a validated conversation. */
export function decodeConversation(row: ConvRow, messages: ConversationMessage[]): Conversation {
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

/** The mutable part of a locked conversation row: the active branch and the next sequence number. */
export interface ConversationState {
  active: string;
  nextSeq: bigint;
}

/**
 * Locks the conversation row (`FOR UPDATE`) for the caller's transaction, which orders concurrent
 * writers; throws `NOT_FOUND` for a missing conversation.
 */
export async function lockConversation(
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

/** Writes back the state read by `lockConversation` and touches `updated_at`. */
export async function saveConversationState(
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

/** Whether the conversation has a branch with this id. */
export async function branchExists(
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
export async function appendMessages(
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
export async function branchPath(
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
