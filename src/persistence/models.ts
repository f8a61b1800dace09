// Node side only (worker, client, scripts): the persistence data models, as zod schemas.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Makes a zod enum whose members are also readable as constants (`TaskState.COMPLETE`), the way
 * the seed's Python enums read, while the schema itself stays usable for parsing.
 */
function constEnum<const T extends Record<string, string>>(values: T) {
  return Object.assign(z.enum(values), values);
}

/** A UUID string; ids of every stored record. */
const Uuid = z.uuid();
/** A fresh id default. */
const newId = () => randomUUID();
/** A JSON value: every stored payload is one, so it survives any backend unchanged. */
const JsonValue = z.json();
/** A JSON object. */
const JsonRecord = z.record(z.string(), JsonValue);
/**
 * A point in time. Accepts a `Date` or an ISO-8601 string with an offset (what comes back from
 * JSON), and always yields a `Date`.
 */
const Timestamp = z.union([
  z.date(),
  z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
]);
const now = () => new Date();

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string that is used as a lookup key or indexed column. NUL bytes and lone surrogates are
 * rejected because Postgres text cannot hold the first and UTF-8 cannot encode the second, so a
 * lookup by such a key could never find what was stored. Free text (message content, values,
 * titles) has no such limit: it is stored as escaped JSON.
 */
export const SafeKey = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\u0000') && !LONE_SURROGATE.test(s), {
    message: 'must not contain NUL bytes or lone surrogates',
  });

/** Where a stored record lives: shared by everyone, per project, or per session. */
export const Scope = constEnum({ GLOBAL: 'global', PROJECT: 'project', SESSION: 'session' });
/** Where a stored record lives: shared by everyone, per project, or per session. */
export type Scope = z.infer<typeof Scope>;

/** The state of a task. There is no failed state: a failure is recorded in `attempts`/`lastError`. */
export const TaskState = constEnum({
  NOT_STARTED: 'not_started',
  IN_PROGRESS: 'in_progress',
  COMPLETE: 'complete',
  CANCELLED: 'cancelled',
});
/** The state of a task. */
export type TaskState = z.infer<typeof TaskState>;

/** What a fact is about. */
export const FactType = constEnum({
  USER: 'user',
  PROJECT: 'project',
  PREFERENCE: 'preference',
  CONTEXT: 'context',
  CUSTOM: 'custom',
});
/** What a fact is about. */
export type FactType = z.infer<typeof FactType>;

/** The kind of an audit entry. */
export const AuditEventType = constEnum({
  CONVERSATION_START: 'conversation_start',
  CONVERSATION_END: 'conversation_end',
  MESSAGE_SENT: 'message_sent',
  MESSAGE_RECEIVED: 'message_received',
  TOOL_CALL: 'tool_call',
  TOOL_RESULT: 'tool_result',
  TOOL_ERROR: 'tool_error',
  AGENT_START: 'agent_start',
  AGENT_END: 'agent_end',
  AGENT_ERROR: 'agent_error',
  CHECKPOINT_SAVED: 'checkpoint_saved',
  CHECKPOINT_RESTORED: 'checkpoint_restored',
  CUSTOM: 'custom',
});
/** The kind of an audit entry. */
export type AuditEventType = z.infer<typeof AuditEventType>;

/** How bad a recorded error is. */
export const ErrorSeverity = constEnum({
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warning',
  ERROR: 'error',
  CRITICAL: 'critical',
});
/** How bad a recorded error is. */
export type ErrorSeverity = z.infer<typeof ErrorSeverity>;

/** One tool invocation inside a stored message. */
export const ToolCall = z.object({
  /** The provider's tool call id (not necessarily a UUID). */
  id: z.string().min(1),
  name: z.string().min(1),
  /** The parsed arguments. */
  arguments: JsonRecord.default({}),
  timestamp: Timestamp.default(now),
});
/** One tool invocation inside a stored message. */
export type ToolCall = z.infer<typeof ToolCall>;

/** The result of a tool call. */
export const ToolResult = z.object({
  toolCallId: z.string().min(1),
  result: JsonValue.optional(),
  error: z.string().optional(),
  timestamp: Timestamp.default(now),
});
/** The result of a tool call. */
export type ToolResult = z.infer<typeof ToolResult>;

/**
 * One stored message. Branching: a message whose `branchId` names a branch not seen before, and
 * whose `parentMessageId` names an existing message, starts that branch as an alternative to
 * (an edit or regeneration of) the parent message. Messages without a `branchId` go to the
 * conversation's active branch.
 */
export const ConversationMessage = z.object({
  id: Uuid.default(newId),
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  /** Text, or structured content (provider content parts). */
  content: z.union([z.string(), z.array(JsonValue), JsonRecord, z.null()]).default(''),
  timestamp: Timestamp.default(now),
  toolCalls: z.array(ToolCall).default([]),
  toolCallId: z.string().optional(),
  model: z.string().optional(),
  usage: JsonRecord.default({}),
  metadata: JsonRecord.default({}),
  /** The message this one replaces (edit/regenerate), when it starts a branch. */
  parentMessageId: Uuid.optional(),
  /** The branch this message belongs to; absent for the main branch. */
  branchId: Uuid.optional(),
});
/** One stored message. */
export type ConversationMessage = z.infer<typeof ConversationMessage>;
/** What a message may be built from: every defaulted field optional. */
export type ConversationMessageInput = z.input<typeof ConversationMessage>;

/** A conversation. When loaded from a store, `messages` is the path of the active branch. */
export const Conversation = z.object({
  id: Uuid.default(newId),
  title: z.string().default(''),
  messages: z.array(ConversationMessage).default([]),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  metadata: JsonRecord.default({}),
  agentKey: SafeKey.optional(),
  summary: z.string().optional(),
  /** Set on a fork: the conversation it was forked from. */
  parentConversationId: Uuid.optional(),
  /** Set on a fork: the message of the parent it was forked at. */
  forkedFromMessageId: Uuid.optional(),
  /** The selected branch; absent for the main branch. */
  activeBranchId: Uuid.optional(),
});
/** A conversation. */
export type Conversation = z.infer<typeof Conversation>;
/** What a conversation may be built from. */
export type ConversationInput = z.input<typeof Conversation>;

/** One branch of a conversation. */
export interface ConversationBranch {
  /** The branch id; `null` for the main branch. */
  branchId: string | null;
  /** The message this branch replaces; `null` for the main branch. */
  forkMessageId: string | null;
  /** The branch the replaced message belongs to; `null` for the main branch. */
  parentBranchId: string | null;
  /** Number of messages stored in this branch itself (not counting the inherited prefix). */
  messageCount: number;
  createdAt: Date;
}

/** A unit of planned work. */
export const Task = z.object({
  id: Uuid.default(newId),
  name: z.string().min(1),
  description: z.string().default(''),
  state: TaskState.default('not_started'),
  /** A parent task, for sub-tasks. */
  parentId: Uuid.optional(),
  /** The task list this task belongs to, if any. */
  taskListId: Uuid.optional(),
  conversationId: Uuid.optional(),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  metadata: JsonRecord.default({}),
  /** Ids of tasks (in the same scope) that must be complete before this one is ready. */
  dependencies: z.array(Uuid).default([]),
  /** Higher runs first. */
  priority: z.number().int().default(0),
  dueAt: Timestamp.optional(),
  /** Set by the store when the task becomes complete; cleared when it is reopened. */
  completedAt: Timestamp.optional(),
  /** State to resume from. */
  checkpointData: JsonRecord.default({}),
  checkpointAt: Timestamp.optional(),
  attempts: z.number().int().min(0).default(0),
  lastError: z.string().optional(),
});
/** A unit of planned work. */
export type Task = z.infer<typeof Task>;
/** What a task may be built from. */
export type TaskInput = z.input<typeof Task>;

/** A named, ordered collection of tasks. */
export const TaskList = z.object({
  id: Uuid.default(newId),
  name: z.string().default(''),
  tasks: z.array(Task).default([]),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
});
/** A named, ordered collection of tasks. */
export type TaskList = z.infer<typeof TaskList>;
/** What a task list may be built from. */
export type TaskListInput = z.input<typeof TaskList>;

/** A learned fact about the user or project, looked up by `key`. */
export const Fact = z.object({
  id: Uuid.default(newId),
  key: SafeKey,
  value: JsonValue,
  factType: FactType.default('custom'),
  confidence: z.number().min(0).max(1).default(1),
  source: z.string().optional(),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  /** After this time the fact is no longer returned. */
  expiresAt: Timestamp.optional(),
  metadata: JsonRecord.default({}),
});
/** A learned fact. */
export type Fact = z.infer<typeof Fact>;
/** What a fact may be built from. */
export type FactInput = z.input<typeof Fact>;

/** A summary of one or more conversations. */
export const Summary = z.object({
  id: Uuid.default(newId),
  content: z.string(),
  conversationId: Uuid.optional(),
  conversationIds: z.array(Uuid).default([]),
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  createdAt: Timestamp.default(now),
  metadata: JsonRecord.default({}),
});
/** A summary of one or more conversations. */
export type Summary = z.infer<typeof Summary>;
/** What a summary may be built from. */
export type SummaryInput = z.input<typeof Summary>;

/** A vector embedding of some content, for similarity search. */
export const Embedding = z
  .object({
    id: Uuid.default(newId),
    vector: z.array(z.number()).min(1),
    content: z.string().default(''),
    contentType: SafeKey.default('text'),
    sourceId: SafeKey.optional(),
    model: z.string().optional(),
    /** Set from `vector.length` when 0. */
    dimensions: z.number().int().min(0).default(0),
    createdAt: Timestamp.default(now),
    metadata: JsonRecord.default({}),
  })
  .transform((e) => ({ ...e, dimensions: e.dimensions || e.vector.length }))
  .refine((e) => e.dimensions === e.vector.length, {
    message: 'dimensions must equal vector.length',
    path: ['dimensions'],
  });
/** A vector embedding. */
export type Embedding = z.infer<typeof Embedding>;
/** What an embedding may be built from. */
export type EmbeddingInput = z.input<typeof Embedding>;

/** One audit log entry. */
export const AuditEntry = z.object({
  id: Uuid.default(newId),
  eventType: AuditEventType,
  timestamp: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  action: z.string().default(''),
  details: JsonRecord.default({}),
  actorType: z.string().default('agent'),
  actorId: z.string().optional(),
  requestId: z.string().optional(),
  parentEventId: Uuid.optional(),
  metadata: JsonRecord.default({}),
});
/** One audit log entry. */
export type AuditEntry = z.infer<typeof AuditEntry>;
/** What an audit entry may be built from. */
export type AuditEntryInput = z.input<typeof AuditEntry>;

/** A recorded error, with resolution tracking. */
export const ErrorRecord = z.object({
  id: Uuid.default(newId),
  timestamp: Timestamp.default(now),
  severity: ErrorSeverity.default('error'),
  errorType: z.string().default(''),
  message: z.string().default(''),
  stackTrace: z.string().optional(),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  context: JsonRecord.default({}),
  resolved: z.boolean().default(false),
  resolvedAt: Timestamp.optional(),
  resolutionNotes: z.string().optional(),
  metadata: JsonRecord.default({}),
});
/** A recorded error. */
export type ErrorRecord = z.infer<typeof ErrorRecord>;
/** What an error record may be built from. */
export type ErrorRecordInput = z.input<typeof ErrorRecord>;

/** One measurement (a latency, a token count…). */
export const PerformanceMetric = z.object({
  id: Uuid.default(newId),
  name: SafeKey,
  value: z.number(),
  unit: z.string().default(''),
  timestamp: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  /** Filterable labels; a query's tags must all match. */
  tags: z.record(SafeKey, SafeKey).default({}),
  metadata: JsonRecord.default({}),
});
/** One measurement. */
export type PerformanceMetric = z.infer<typeof PerformanceMetric>;
/** What a metric may be built from. */
export type PerformanceMetricInput = z.input<typeof PerformanceMetric>;

/** Aggregates of a metric over a query's rows. All fields but `count` are 0 when `count` is 0. */
export interface MetricSummary {
  count: number;
  min: number;
  max: number;
  avg: number;
  sum: number;
  /** Percentiles by linear interpolation (Postgres `percentile_cont`). */
  p50: number;
  p95: number;
  p99: number;
}
