// Node side only: the zod models of conversations (messages, tool calls, branches).
import { z } from 'zod';
import { ToolCall } from '../../core/types';
import { JsonRecord, JsonValue, SafeKey, Timestamp, Uuid, newId, now } from '../models';

/**
 * A tool call inside a stored message: the library's one tool-call shape, `{ id, name,
 * arguments }` with `arguments` the JSON text the model produced (see the glossary in
 * `core/types`). Re-exported here because the seed lists it among the persistence models; it is
 * the same schema and type as the core `ToolCall`.
 */
export { ToolCall };

/**
 * The result of a tool call. `toolCallId` is the `ToolCall.id` it answers, as in `tool.result`
 * events and a `tool` message's `toolCallId`.
 */
export const ToolResult = z.object({
  /** The `id` of the `ToolCall` this answers. */
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
  /**
   * The tool calls of an assistant message. `arguments` must be a string (the model's JSON text,
   * kept verbatim even when malformed): an object is rejected with `VALIDATION_ERROR` rather
   * than stringified, so what a store returns is always exactly what it was given. Calls carry
   * no timestamp of their own: they are made when their message is. Messages stored before
   * this shape (`arguments` as an object, a per-call `timestamp`) are read back in this shape.
   */
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
