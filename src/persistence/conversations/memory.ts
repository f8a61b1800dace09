// Node side only: the in-memory ConversationStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describeConversationStore` from `agent-runtime-core/testing`).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AgentRuntimeError } from '../../core/errors';
import { Partitions } from '../in-memory';
import { checkLimit, deepClone } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import { notFound, parseId, parseModel, toScopeContext } from '../validation';
import {
  checkCreateBranch,
  checkFork,
  checkGetMessages,
  checkListOptions,
  checkSetActiveBranch,
  checkUniqueMessageIds,
  forkTargetTaken,
} from './arguments';
import { forkInput, unknownActiveBranch, unknownBranchError } from './logic';
import { Conversation, ConversationMessage } from './models';
import type { ConversationBranch, ConversationInput, ConversationMessageInput } from './models';
import type {
  BranchResult,
  ConversationStore,
  GetMessagesOptions,
  ListConversationsOptions,
} from './store';

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
    checkUniqueMessageIds(conv.messages, 'conversation.messages');
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
    const { activeBranchId: wantedBranch, ...fields } = deepClone(conv);
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
      if (stored) stored.message = withStoredBranch(deepClone(m), stored.message);
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
    parseId(id);
    const rec = this.data.of(scope).get(id);
    return rec ? this.withPath(rec) : null;
  }

  async delete(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id);
    return this.data.of(scope).delete(id);
  }

  async list(input?: ListConversationsOptions, scope?: ScopeArg): Promise<Conversation[]> {
    const options = checkListOptions(input);
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
      .map((r) => deepClone(r.conversation));
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
    return stored.map((m) => deepClone(m));
  }

  async getMessages(
    conversationId: string,
    input?: GetMessagesOptions,
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]> {
    const options = checkGetMessages(conversationId, input);
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
    return msgs.map((m) => deepClone(m));
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
    const msg = parseModel(
      ConversationMessage,
      { ...replacement, parentMessageId: messageId },
      'message',
    );
    const part = this.data.of(scope);
    const existing = part.get(conversationId);
    if (!existing) throw notFound('Conversation', conversationId);
    if (!existing.byId.has(messageId)) throw notFound('Message', messageId);
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
    return { branchId, message: deepClone(stored as ConversationMessage) };
  }

  async setActiveBranch(
    conversationId: string,
    branchId: string | null,
    scope?: ScopeArg,
  ): Promise<void> {
    checkSetActiveBranch(conversationId, branchId);
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    if (branchId !== null && !rec.branches.has(branchId)) throw notFound('Branch', branchId);
    if (branchId === null) delete rec.conversation.activeBranchId;
    else rec.conversation.activeBranchId = branchId;
    rec.conversation.updatedAt = new Date();
    rec.touched = ++touchCounter;
  }

  async listBranches(conversationId: string, scope?: ScopeArg): Promise<ConversationBranch[]> {
    parseId(conversationId, 'conversationId');
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
    ].map((b) => deepClone(b));
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
    const rec = this.data.of(scope).get(conversationId);
    if (!rec) throw notFound('Conversation', conversationId);
    const at = rec.byId.get(messageId);
    if (!at) throw notFound('Message', messageId);
    const path = branchPath(rec, at.branchKey);
    const upto = path.slice(0, path.findIndex((m) => m.message.id === messageId) + 1);
    const messages = upto.map((m) => m.message);
    return this.save(forkInput(rec.conversation, messageId, messages, options), scope);
  }

  async close(): Promise<void> {}

  private withPath(rec: StoredConversation): Conversation {
    return deepClone({
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
    const m = deepClone(input);
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
