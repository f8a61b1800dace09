// Node side: the conversation activities of runs: loadConversation reads a run's history,
// appendConversation stores its new messages under ids derived from the run, so a retried
// append stores nothing twice.
import { AgentRuntimeError } from '../src/core/errors';
import type {
  AppendConversationInput,
  AppendConversationResult,
  LoadConversationInput,
  LoadConversationResult,
} from '../src/core/persistence-contract';
import {
  runMessageId,
  toChatMessage,
  toStoredMessage,
} from '../src/persistence/conversations/message-mapping';
import type { ConversationStore } from '../src/persistence';
import { asActivity, missingDependency } from './failures';

/** What the conversation activities read and write. */
export interface ConversationHistoryDeps {
  /** Conversations runs read their history from and append their new messages to. */
  conversationStore?: ConversationStore;
}

/** Builds `loadConversation` and `appendConversation`. */
export function createConversationActivities(deps: ConversationHistoryDeps): {
  loadConversation(input: LoadConversationInput): Promise<LoadConversationResult>;
  appendConversation(input: AppendConversationInput): Promise<AppendConversationResult>;
} {
  return {
    async loadConversation(input: LoadConversationInput): Promise<LoadConversationResult> {
      return asActivity(() => loadConversation(deps, input));
    },
    async appendConversation(input: AppendConversationInput): Promise<AppendConversationResult> {
      return asActivity(() => appendConversation(deps, input));
    },
  };
}

async function loadConversation(
  deps: ConversationHistoryDeps,
  input: LoadConversationInput,
): Promise<LoadConversationResult> {
  const store = deps.conversationStore;
  if (!store) throw missingDependency('conversation history', 'conversationStore');
  const conversation = await store.get(input.conversationId);
  if (!conversation) {
    throw new AgentRuntimeError(
      'NOT_FOUND',
      `Conversation ${input.conversationId} does not exist: create it (ConversationStore.save) before starting runs in it.`,
      { details: { conversationId: input.conversationId } },
    );
  }
  return {
    messages: conversation.messages.map(toChatMessage),
    branchId: conversation.activeBranchId ?? null,
  };
}

async function appendConversation(
  deps: ConversationHistoryDeps,
  input: AppendConversationInput,
): Promise<AppendConversationResult> {
  const store = deps.conversationStore;
  if (!store)
    throw missingDependency('its messages appended to a conversation', 'conversationStore');
  const ids = input.messages.map((_, i) => runMessageId(input.runId, i, input.executionId));
  const write = async (): Promise<number> => {
    // An earlier attempt may have stored them (its answer was lost): look for our ids first.
    const stored = new Set(
      (await store.getMessages(input.conversationId, { allBranches: true })).map((m) => m.id),
    );
    const todo = input.messages
      .map((m, i) => ({ m, id: ids[i] as string }))
      .filter((x) => !stored.has(x.id));
    if (todo.length === 0) return 0;
    // One addMessages call is one transaction: all of them are stored, or none.
    await store.addMessages(
      input.conversationId,
      todo.map((x) => toStoredMessage(x.m, x.id)),
    );
    return todo.length;
  };
  let appended: number;
  try {
    appended = await write();
  } catch (err) {
    // Two attempts at once (a timed-out attempt still running): the other stored them.
    if (!(AgentRuntimeError.is(err) && err.code === 'CONFLICT')) throw err;
    appended = await write();
  }
  return { messageIds: ids, appended };
}
