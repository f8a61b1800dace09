// Node side only: the ConversationStore interface and its option types.
import type { ScopeArg } from '../validation';
import type {
  Conversation,
  ConversationBranch,
  ConversationInput,
  ConversationMessage,
  ConversationMessageInput,
} from './models';

/** Options of `ConversationStore.list`. */
export interface ListConversationsOptions {
  /** @default 100 */
  limit?: number;
  /** @default 0 */
  offset?: number;
  /** Only conversations of this agent. */
  agentKey?: string;
}

/** Options of `ConversationStore.getMessages`. */
export interface GetMessagesOptions {
  /**
   * The branch whose path to return: a branch id, or `null` for the main branch.
   * @default the conversation's active branch
   */
  branchId?: string | null;
  /** Every stored message of every branch, in append order, instead of one branch's path. */
  allBranches?: boolean;
  /** Only messages with a timestamp before this. */
  before?: Date;
  /** Only the last `limit` messages (after `before`). */
  limit?: number;
}

/** The result of starting a branch. */
export interface BranchResult {
  branchId: string;
  /** The stored first message of the branch. */
  message: ConversationMessage;
}

/**
 * Conversations and their branchable message history. The default scope is PROJECT.
 *
 * Branching model: messages form branches. The main branch has no id. A branch starts with a
 * message that replaces (edits or regenerates) a `parentMessageId` in another branch; the path of
 * a branch is its parent branch's path up to (not including) the replaced message, followed by
 * the branch's own messages in append order.
 */
export interface ConversationStore {
  /**
   * Creates or updates a conversation. Messages in `conversation.messages` that are not stored
   * yet are appended in array order; stored ones (same id) are updated in place. Stored
   * messages missing from the array are kept: `save` never deletes messages.
   */
  save(conversation: ConversationInput, scope?: ScopeArg): Promise<Conversation>;
  /** The conversation with `messages` = its active branch's path, or `null`. */
  get(id: string, scope?: ScopeArg): Promise<Conversation | null>;
  /** Deletes the conversation with its messages and branches; whether it existed. */
  delete(id: string, scope?: ScopeArg): Promise<boolean>;
  /** Conversations newest (by `updatedAt`) first, without messages (`messages` is `[]`). */
  list(options?: ListConversationsOptions, scope?: ScopeArg): Promise<Conversation[]>;
  /**
   * Appends messages atomically, in order, after every message appended before (a total order
   * per conversation even under concurrent writers). Throws `NOT_FOUND` for a missing
   * conversation. Returns the stored messages.
   */
  addMessages(
    conversationId: string,
    messages: ConversationMessageInput[],
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]>;
  /** The active branch's path (or per `options`). Throws `NOT_FOUND` for a missing conversation. */
  getMessages(
    conversationId: string,
    options?: GetMessagesOptions,
    scope?: ScopeArg,
  ): Promise<ConversationMessage[]>;
  /**
   * Starts a branch whose first message replaces `messageId` (an edit of a user message or a
   * regeneration of an assistant message), and makes it the active branch unless
   * `activate: false`.
   */
  createBranch(
    conversationId: string,
    messageId: string,
    replacement: ConversationMessageInput,
    options?: { activate?: boolean },
    scope?: ScopeArg,
  ): Promise<BranchResult>;
  /** Selects the active branch (`null`: the main branch). Throws `NOT_FOUND` for an unknown branch. */
  setActiveBranch(conversationId: string, branchId: string | null, scope?: ScopeArg): Promise<void>;
  /** Every branch of the conversation, main first, then in creation order. */
  listBranches(conversationId: string, scope?: ScopeArg): Promise<ConversationBranch[]>;
  /**
   * Copies the path up to and including `messageId` into a new conversation whose
   * `parentConversationId` is this one. Copied messages keep their ids and content, and form
   * the fork's main branch.
   */
  fork(
    conversationId: string,
    messageId: string,
    options?: { id?: string; title?: string },
    scope?: ScopeArg,
  ): Promise<Conversation>;
  close(): Promise<void>;
}
