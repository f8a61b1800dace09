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
import { Context } from '@temporalio/activity';
import type { Message } from '../src/core/types';
import { expandTranscriptId } from '../src/core/wire-ids';
import { readStoredPrefix } from '../src/transcripts/chain';
import type { TranscriptStore } from '../src/transcripts/transcript-store';

/** What the conversation activities read and write. */
export interface ConversationHistoryDeps {
  /** Conversations runs read their history from and append their new messages to. */
  conversationStore?: ConversationStore;
  /** The workers' transcript store: a run's new messages may be named there (`stored`). */
  transcriptStore?: TranscriptStore;
}

/** All of the run's new messages: `messages`, then those `stored` names (read back, no `system`). */
async function runMessages(
  store: TranscriptStore | undefined,
  input: AppendConversationInput,
): Promise<Message[]> {
  const stored = input.stored;
  if (!stored) return input.messages;
  const id = expandTranscriptId(stored.transcript.id, Context.current().info.workflowExecution);
  const missing = (reason: string, cause?: unknown) =>
    new AgentRuntimeError(
      'TRANSCRIPT_MISSING',
      `The run's messages in transcript ${id} are not available on this worker (${reason}); the run sends them whole.`,
      { ...(cause !== undefined ? { cause } : {}), details: { transcriptId: id, reason } },
    );
  if (!store) throw missing('no transcript store');
  let messages: Message[] | null;
  try {
    messages = await readStoredPrefix(store, { ...stored.transcript, id });
  } catch (err) {
    // Retried (the store may be back in a moment); after the last attempt the run sends them whole.
    throw new AgentRuntimeError(
      'STORAGE_ERROR',
      `The transcript store failed to read the run's messages in transcript ${id}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, details: { transcriptId: id } },
    );
  }
  if (!messages) throw missing('not stored');
  // A continued run cannot tell the roles of what it names: the agent's system prompts go.
  const named = [...messages.slice(stored.from), ...stored.then];
  return [...input.messages, ...named.filter((m) => m.role !== 'system')];
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
  // Ids by position among all the run's new messages: the same whether sent whole or named.
  const all = await runMessages(deps.transcriptStore, input);
  const ids = all.map((_, i) => runMessageId(input.runId, i, input.executionId));
  const write = async (): Promise<number> => {
    // An earlier attempt may have stored them (its answer was lost): look for our ids first.
    const stored = new Set(
      (await store.getMessages(input.conversationId, { allBranches: true })).map((m) => m.id),
    );
    const todo = all.map((m, i) => ({ m, id: ids[i] as string })).filter((x) => !stored.has(x.id));
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
