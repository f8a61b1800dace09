// Node side only: the store interfaces. Implementations: memory/ (tests), postgres/ (Postgres and PGlite).
import type { JsonValue } from '../core/types';
import type {
  AuditEntry,
  AuditEntryInput,
  AuditEventType,
  Conversation,
  ConversationBranch,
  ConversationInput,
  ConversationMessage,
  ConversationMessageInput,
  ErrorRecord,
  ErrorRecordInput,
  ErrorSeverity,
  Embedding,
  EmbeddingInput,
  Fact,
  FactInput,
  FactType,
  MetricSummary,
  PerformanceMetric,
  PerformanceMetricInput,
  Summary,
  SummaryInput,
  Task,
  TaskInput,
  TaskList,
  TaskListInput,
  TaskState,
} from './models';
import type { ScopeArg } from './validation';

/**
 * Key/value memory an agent keeps per scope. Values are JSON. The default scope is PROJECT.
 * Every method validates its arguments and throws `VALIDATION_ERROR` on bad input.
 */
export interface MemoryStore {
  /** The value under `key`, or `undefined`. */
  get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined>;
  /** Stores `value` under `key`, replacing any previous value. */
  set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void>;
  /** Removes `key`; whether it existed. */
  delete(key: string, scope?: ScopeArg): Promise<boolean>;
  /** Keys in the scope, sorted; `prefix` matches literally (no wildcards). */
  listKeys(options?: { prefix?: string }, scope?: ScopeArg): Promise<string[]>;
  /** Removes every key in the scope; how many were removed. */
  clear(scope?: ScopeArg): Promise<number>;
  /** Releases resources the store owns. */
  close(): Promise<void>;
}

/** User preferences per scope. The default scope is GLOBAL (as in the seed). */
export interface PreferencesStore {
  get(key: string, scope?: ScopeArg): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue, scope?: ScopeArg): Promise<void>;
  delete(key: string, scope?: ScopeArg): Promise<boolean>;
  /** Every preference of the scope. */
  getAll(scope?: ScopeArg): Promise<Record<string, JsonValue>>;
  close(): Promise<void>;
}

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

/** Fields `TaskStore.update` may change. */
export interface TaskUpdate {
  state?: TaskState;
  name?: string;
  description?: string;
  priority?: number;
  /** `null` clears it. */
  dueAt?: Date | null;
  dependencies?: string[];
  metadata?: Record<string, JsonValue>;
  /** `null` clears it. */
  lastError?: string | null;
}

/** Filters of `TaskStore.list` and `TaskStore.getReady`. */
export interface TaskQuery {
  taskListId?: string;
  conversationId?: string;
  state?: TaskState;
  /** @default unlimited */
  limit?: number;
}

/**
 * Tasks and task lists. The default scope is PROJECT.
 *
 * States move `not_started → in_progress → complete`, any unfinished state may become
 * `cancelled`, `in_progress` may go back to `not_started`, and `complete`/`cancelled` may be
 * reopened to `not_started`; anything else throws `CONFLICT`. `completedAt` is set on completion
 * and cleared on reopening. Dependencies must name tasks of the same scope (`VALIDATION_ERROR`
 * otherwise), may not form a cycle (`DEPENDENCY_CYCLE`), and a task others depend on cannot be
 * deleted (`CONFLICT`). A cancelled dependency never completes, so its dependents never become
 * ready.
 */
export interface TaskStore {
  /** Saves a list with its tasks; tasks of the list missing from `list.tasks` are deleted. */
  saveList(list: TaskListInput, scope?: ScopeArg): Promise<TaskList>;
  /** The list with its tasks in list order, or `null`. */
  getList(id: string, scope?: ScopeArg): Promise<TaskList | null>;
  /** Deletes a list and its tasks; whether it existed. */
  deleteList(id: string, scope?: ScopeArg): Promise<boolean>;
  /** The most recently updated list of a conversation, or `null`. */
  getListByConversation(conversationId: string, scope?: ScopeArg): Promise<TaskList | null>;
  /** Creates or replaces one task. A `taskListId` must name an existing list (`NOT_FOUND`). */
  save(task: TaskInput, scope?: ScopeArg): Promise<Task>;
  get(id: string, scope?: ScopeArg): Promise<Task | null>;
  delete(id: string, scope?: ScopeArg): Promise<boolean>;
  /** Tasks matching the query, in creation order. */
  list(query?: TaskQuery, scope?: ScopeArg): Promise<Task[]>;
  /** Changes fields of a task, enforcing state transitions. Throws `NOT_FOUND` if missing. */
  update(id: string, changes: TaskUpdate, scope?: ScopeArg): Promise<Task>;
  /**
   * Tasks that can start now: `not_started`, every dependency `complete`; ordered by priority
   * (higher first), then due date (earlier first, none last), then creation.
   */
  getReady(query?: Omit<TaskQuery, 'state'>, scope?: ScopeArg): Promise<Task[]>;
  /** Stores resumable state on a task (`checkpointData`, `checkpointAt`). */
  saveCheckpoint(id: string, data: Record<string, JsonValue>, scope?: ScopeArg): Promise<Task>;
  /** Counts one more attempt; `error` becomes `lastError` (omit it to clear). */
  recordAttempt(id: string, error?: string, scope?: ScopeArg): Promise<Task>;
  close(): Promise<void>;
}

/** A search hit: the embedding and its cosine similarity to the query (-1…1). */
export interface SimilarEmbedding {
  embedding: Embedding;
  score: number;
}

/** Optional store of facts, summaries and embeddings. The default scope is PROJECT. */
export interface KnowledgeStore {
  /** Saves a fact; a fact with the same key and another id in the scope is replaced. */
  saveFact(fact: FactInput, scope?: ScopeArg): Promise<Fact>;
  /** The fact, unless missing or expired. */
  getFact(id: string, scope?: ScopeArg): Promise<Fact | null>;
  getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null>;
  /** Unexpired facts, newest first. @default limit 100 */
  listFacts(options?: { factType?: FactType; limit?: number }, scope?: ScopeArg): Promise<Fact[]>;
  deleteFact(id: string, scope?: ScopeArg): Promise<boolean>;
  /** Deletes expired facts; how many. */
  purgeExpiredFacts(scope?: ScopeArg): Promise<number>;
  saveSummary(summary: SummaryInput, scope?: ScopeArg): Promise<Summary>;
  getSummary(id: string, scope?: ScopeArg): Promise<Summary | null>;
  /** Summaries whose `conversationId` or `conversationIds` name the conversation, newest first. */
  getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]>;
  deleteSummary(id: string, scope?: ScopeArg): Promise<boolean>;
  saveEmbedding(embedding: EmbeddingInput, scope?: ScopeArg): Promise<Embedding>;
  getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null>;
  /**
   * The `limit` (default 10) embeddings most similar to `queryVector` by cosine similarity, best
   * first. Only embeddings with the query's dimensions are compared.
   */
  searchSimilar(
    queryVector: number[],
    options?: { limit?: number; contentType?: string },
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]>;
  deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean>;
  close(): Promise<void>;
}

/** Common filters of audit queries. */
export interface AuditQuery {
  conversationId?: string;
  runId?: string;
  agentKey?: string;
  /** Inclusive. */
  startTime?: Date;
  /** Exclusive. */
  endTime?: Date;
  /** @default 100 (1000 for metrics) */
  limit?: number;
}

/** Optional store of interaction logs, errors and metrics. The default scope is PROJECT. */
export interface AuditStore {
  logEvent(entry: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry>;
  /** Entries newest first. */
  getEvents(
    query?: AuditQuery & { eventTypes?: AuditEventType[] },
    scope?: ScopeArg,
  ): Promise<AuditEntry[]>;
  logError(error: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord>;
  /** Errors newest first. */
  getErrors(
    query?: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean },
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]>;
  /** Marks an error resolved; whether it existed. */
  resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean>;
  recordMetric(metric: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric>;
  /** Metrics of `name` (every name when omitted), newest first; all `tags` must match. */
  getMetrics(
    query?: AuditQuery & { name?: string; tags?: Record<string, string> },
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]>;
  /** count, min, max, avg, sum and percentiles of the metric `name` over the query. */
  getMetricSummary(
    name: string,
    query?: Omit<AuditQuery, 'limit'>,
    scope?: ScopeArg,
  ): Promise<MetricSummary>;
  close(): Promise<void>;
}
