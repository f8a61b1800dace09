// Node side only: a run's chat messages (`Message`, what agents and model calls use) as stored
// conversation messages and back, and the ids a run's new messages are stored under.
import { jsonCopy } from '../../core/json';
import type { JsonObject, Message } from '../../core/types';
import { fromMessageToolCall, toMessageToolCall } from '../../core/types';
import { deterministicId } from '../deterministic-id';
import type { ConversationMessage, ConversationMessageInput } from './models';

/** The metadata key holding what a stored message has no field for (the chat message `name`). */
const NAME_KEY = 'agentRuntime.name';

/**
 * The id the `index`-th new message of run `runId` (of its execution `executionId`, the
 * Temporal run id, when given) gets in its conversation: the same on every attempt, so an
 * append that is retried finds the messages an earlier attempt stored.
 */
export function runMessageId(runId: string, index: number, executionId?: string): string {
  const execution = executionId === undefined ? '' : `${executionId}:`;
  return deterministicId(`agent-runtime-core:message:${runId}:${execution}${index}`);
}

/** A stored message as a chat message (the shape agents and model calls use). */
export function toChatMessage(m: ConversationMessage): Message {
  const metadata: Record<string, unknown> = { ...m.metadata };
  const name = metadata[NAME_KEY];
  delete metadata[NAME_KEY];
  const content = m.content;
  const out: Message = {
    role: m.role,
    content:
      content === null || typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? (content as Record<string, unknown>[])
          : JSON.stringify(content),
  };
  if (typeof name === 'string') out.name = name;
  if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  if (m.toolCalls.length > 0) out.tool_calls = m.toolCalls.map(toMessageToolCall);
  if (Object.keys(metadata).length > 0) out.metadata = metadata;
  return out;
}

/** A chat message as a stored message with the given id. */
export function toStoredMessage(m: Message, id: string): ConversationMessageInput {
  const metadata: Record<string, unknown> = { ...(m.metadata ?? {}) };
  if (m.name !== undefined) metadata[NAME_KEY] = m.name;
  // Stored as given: the model's arguments text, malformed or not, comes back byte for byte.
  const toolCalls = (m.tool_calls ?? []).map(fromMessageToolCall);
  return {
    id,
    role: m.role,
    content: (m.content ?? null) as ConversationMessageInput['content'],
    toolCalls,
    ...(m.tool_call_id !== undefined ? { toolCallId: m.tool_call_id } : {}),
    metadata: jsonCopy(metadata) as JsonObject,
  };
}
