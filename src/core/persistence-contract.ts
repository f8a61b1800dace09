// Sandbox-safe (types only): the contract of the run-persistence activities (`publishRunEvents`,
// `loadConversation`, `appendConversation`). Activity names are public: histories refer to them.
import type { Message, RunEvent } from './types';

/**
 * Where a field of a run event is stored: the model reply at `position` of `transcript` (chained
 * hash `hash`), read `as` its text, its tool calls, or the arguments of its call `toolCallId`; or
 * a tool result's content stored under `key` (content hash `hash`), parsed as JSON when `json`.
 */
export type StoredFieldRef =
  | {
      reply: { transcript: string; position: number; hash: string };
      as: 'content' | 'toolCalls' | 'arguments';
      toolCallId?: string;
    }
  | { result: { transcript: string; key: string; hash: string }; json: boolean };

/** A field of event `seq` (its `payload` at `path`) sent by reference. */
export interface EventFieldRef {
  seq: number;
  path: string[];
  from: StoredFieldRef;
}

/** Input of the `publishRunEvents` activity: one batch of a run's events, in `seq` order. */
export interface PublishRunEventsInput {
  /** The run the events belong to. */
  runId: string;
  /** Key of the run's agent (for audit records). */
  agentKey: string;
  /** The run's conversation, if any (for audit records; kept only when it is a UUID). */
  conversationId?: string;
  /**
   * The Temporal run id of the execution: a run id started again (to resume) is a new
   * execution, whose audit records must not be taken for the earlier one's.
   */
  executionId?: string;
  /**
   * Gap-free events following the last batch published. An event without `runId` is of this
   * batch's run (compact batches leave it out).
   */
  events: (Omit<RunEvent, 'runId'> & { runId?: string })[];
  /**
   * Event fields sent by reference to what the workers' transcript store holds (a model reply,
   * a tool result): each is `null` in `events`, and the worker fills it in before publishing
   * (checked by hash). One it cannot read fails the batch with `TRANSCRIPT_MISSING` (not
   * retried), and the run sends the batch again whole.
   */
  refs?: EventFieldRef[];
  /**
   * Where this execution's events go in the run id's stored log (stored seq = seq + offset), as
   * the first batch's answer said. Unset on the first batch: the activity decides it then (0, or
   * after the events of earlier executions of the same run id).
   */
  seqOffset?: number;
}

/** Answer of `publishRunEvents`. */
export interface PublishRunEventsResult {
  /** The `seq` of the last event handled (the batch's last), in the execution's numbering. */
  lastSeq: number;
  /**
   * The offset of this execution's events in the stored log (0 unless the run id was started
   * before); the workflow passes it with its later batches.
   */
  seqOffset?: number;
  /** What the worker wrote to: the event bus, the state store's run status, the audit store. */
  wrote: { eventBus: boolean; runStatus: boolean; audit: boolean };
  /**
   * Set when the event bus lacks events before this batch (it lost them: an in-memory bus on a
   * restarted worker, an expired Redis stream): the last `seq` it holds, in the execution's
   * numbering. The run sends again from there.
   */
  missingAfter?: number;
}

/** Input of the `loadConversation` activity. */
export interface LoadConversationInput {
  /** The run asking (for logs). */
  runId: string;
  /** The conversation whose active branch to read. */
  conversationId: string;
}

/** Answer of `loadConversation`. */
export interface LoadConversationResult {
  /** The active branch's path from the root, as chat messages. */
  messages: Message[];
  /** The active branch read (`null`: the main branch). */
  branchId: string | null;
}

/** Input of the `appendConversation` activity. */
export interface AppendConversationInput {
  /** The run whose messages these are; message ids derive from it, so a retry never duplicates. */
  runId: string;
  /** The conversation to append to (its active branch). */
  conversationId: string;
  /** The Temporal run id of the execution (a run id started again appends its own messages). */
  executionId?: string;
  /** The run's new messages, in order (with `stored`: the first of them). */
  messages: Message[];
  /**
   * The rest of the run's new messages by reference: messages `from` … `transcript.length - 1` of
   * a stored transcript (checked by its chained hash), then `then`, without their `system`
   * messages (the agent's prompts, not the conversation's). A worker that cannot read them fails
   * with `TRANSCRIPT_MISSING` (not retried), and the run sends them whole.
   */
  stored?: {
    transcript: { id: string; length: number; hash: string };
    from: number;
    then: Message[];
  };
}

/** Answer of `appendConversation`. */
export interface AppendConversationResult {
  /** Stored ids of the messages, in order (also of those an earlier attempt stored). */
  messageIds: string[];
  /** How many of them this attempt stored (0 when an earlier attempt stored them all). */
  appended: number;
}

/** The run-persistence activities, as the workflow calls them. */
export interface RunPersistenceActivityTypes {
  /**
   * Publishes a batch of a run's events to the event bus, records the run's status in the state
   * store on `run.started` and on the terminal event, and derives audit records from the events;
   * each part only where the worker has that store.
   */
  publishRunEvents(input: PublishRunEventsInput): Promise<PublishRunEventsResult>;
  /** Reads a conversation's active branch as chat messages. */
  loadConversation(input: LoadConversationInput): Promise<LoadConversationResult>;
  /** Appends a run's new messages to its conversation, once (idempotent under retries). */
  appendConversation(input: AppendConversationInput): Promise<AppendConversationResult>;
}
