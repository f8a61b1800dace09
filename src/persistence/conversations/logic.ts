// Node side only: the conversation rules both ConversationStore implementations share.
import { AgentRuntimeError } from '../../core/errors';
import type { Conversation, ConversationInput, ConversationMessage } from './models';

/** The error for a message that names an unknown branch without saying where it forks. */
export function unknownBranchError(branchId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid message.parentMessageId: branch ${branchId} does not exist, so its first message must name the message it replaces`,
    { details: { field: 'message.parentMessageId', branchId } },
  );
}

/** A message as copied into a fork: on the fork's main branch. */
export function stripBranch(m: ConversationMessage): ConversationMessage {
  const { branchId: _b, parentMessageId: _p, ...rest } = m;
  return rest;
}

/**
 * What `fork` saves: a new conversation (`options.id`, or a new id) that keeps the source's title
 * (unless given), metadata and agent, refers back to it, and holds `path` (the source's messages up
 * to `messageId` on that message's branch) on its main branch.
 */
export function forkInput(
  src: Conversation,
  messageId: string,
  path: readonly ConversationMessage[],
  options: { id?: string; title?: string },
): ConversationInput {
  return {
    ...(options.id === undefined ? {} : { id: options.id }),
    title: options.title ?? src.title,
    metadata: src.metadata,
    ...(src.agentKey === undefined ? {} : { agentKey: src.agentKey }),
    parentConversationId: src.id,
    forkedFromMessageId: messageId,
    messages: path.map(stripBranch),
  };
}

/** The error for saving a conversation whose `activeBranchId` names no branch. */
export function unknownActiveBranch(branchId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid conversation.activeBranchId: branch ${branchId} does not exist`,
    {
      details: { field: 'conversation.activeBranchId', branchId },
    },
  );
}

/** Where the run-history mapping once kept tool arguments that were not a JSON object. */
const LEGACY_RAW_ARGUMENTS_KEY = 'agentRuntime.rawToolArguments';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A stored message document in the current shape, for stores whose rows outlive a release
 * (Postgres, PGlite). Messages stored before tool calls took the library's one shape held each
 * call's `arguments` parsed (an object; `{}` when the model's text was not a JSON object) with a
 * per-call `timestamp`, and a run's conversation append kept the model's text of such calls in
 * `metadata['agentRuntime.rawToolArguments']` (by call id). Those calls get their `arguments`
 * back as text: the kept text when there is one, else the object as JSON; the metadata key is
 * dropped. A document already in the current shape is returned unchanged (and a metadata key of
 * that name on it is the caller's own). Runs at read time rather than as a migration: the
 * documents are `text` columns and the rewrite needs the metadata lookup above.
 */
export function upgradeStoredMessage(doc: unknown): unknown {
  if (!isRecord(doc) || !Array.isArray(doc.toolCalls)) return doc;
  const calls: unknown[] = doc.toolCalls;
  if (!calls.some((c) => isRecord(c) && typeof c.arguments !== 'string')) return doc;
  const metadata = isRecord(doc.metadata) ? { ...doc.metadata } : undefined;
  const kept = metadata?.[LEGACY_RAW_ARGUMENTS_KEY];
  const raw = isRecord(kept) ? kept : {};
  if (metadata) delete metadata[LEGACY_RAW_ARGUMENTS_KEY];
  const toolCalls = calls.map((c) => {
    if (!isRecord(c) || typeof c.arguments === 'string') return c;
    const { timestamp: _timestamp, ...call } = c;
    const text =
      typeof call.id === 'string' && Object.hasOwn(raw, call.id) ? raw[call.id] : undefined;
    return {
      ...call,
      arguments: typeof text === 'string' ? text : JSON.stringify(call.arguments ?? {}),
    };
  });
  return { ...doc, toolCalls, ...(metadata ? { metadata } : {}) };
}
