// Node side only: the argument checks of every ConversationStore method, shared by all backends so
// each refuses the same inputs with the same `VALIDATION_ERROR` (naming the field) before any
// backend-specific code runs.
import { z } from 'zod';
import { AgentRuntimeError } from '../../core/errors';
import { SafeKey, Timestamp } from '../models';
import { parseId, parseModel, parseOptions } from '../validation';
import type { GetMessagesOptions, ListConversationsOptions } from './store';

const Count = z.number().int().min(0).max(2_147_483_647);

const ListOptions = z.object({
  limit: Count.optional(),
  offset: Count.optional(),
  /** `null` is refused rather than read as "any agent" (Postgres) or "no agent" (memory). */
  agentKey: SafeKey.optional(),
});

const GetMessagesOptionsSchema = z.object({
  branchId: SafeKey.nullable().optional(),
  allBranches: z.boolean().optional(),
  before: Timestamp.optional(),
  limit: Count.optional(),
});

const BranchOptions = z.object({ activate: z.boolean().optional() });
const ForkOptions = z.object({ id: SafeKey.optional(), title: z.string().optional() });

/** Checks `list` options. */
export function checkListOptions(options: ListConversationsOptions | undefined) {
  return parseModel(ListOptions, parseOptions(options), 'options');
}

/** Checks `getMessages` arguments. */
export function checkGetMessages(conversationId: unknown, options: GetMessagesOptions | undefined) {
  parseId(conversationId, 'conversationId');
  return parseModel(GetMessagesOptionsSchema, parseOptions(options), 'options');
}

/** Checks `createBranch` ids and options (the replacement is parsed as a message). */
export function checkCreateBranch(
  conversationId: unknown,
  messageId: unknown,
  options: { activate?: boolean } | undefined,
) {
  parseId(conversationId, 'conversationId');
  parseId(messageId, 'messageId');
  return parseModel(BranchOptions, parseOptions(options), 'options');
}

/** Checks `setActiveBranch` arguments. */
export function checkSetActiveBranch(conversationId: unknown, branchId: unknown): void {
  parseId(conversationId, 'conversationId');
  if (branchId !== null) parseId(branchId, 'branchId');
}

/**
 * Checks `fork` arguments. A fork is a new conversation: `options.id` naming its own source is
 * refused here (saving would overwrite the source); one naming another stored conversation is
 * refused by `forkTargetTaken`.
 */
export function checkFork(
  conversationId: unknown,
  messageId: unknown,
  options: { id?: string; title?: string } | undefined,
) {
  parseId(conversationId, 'conversationId');
  parseId(messageId, 'messageId');
  const o = parseModel(ForkOptions, parseOptions(options), 'options');
  if (o.id !== undefined && o.id === conversationId) {
    throw new AgentRuntimeError(
      'VALIDATION_ERROR',
      'Invalid options.id: a fork needs an id of its own, not its source conversation id',
      { details: { field: 'options.id' } },
    );
  }
  return o;
}

/** The error of a fork whose `options.id` names a conversation that exists already. */
export function forkTargetTaken(id: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'CONFLICT',
    `Conversation ${id} exists already: a fork needs a new id`,
    {
      details: { field: 'options.id', id },
    },
  );
}

/** Refuses one call that carries two messages with the same id (each id is one stored message). */
export function checkUniqueMessageIds(messages: readonly { id: string }[], field: string): void {
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    if (seen.has(m.id)) {
      throw new AgentRuntimeError(
        'VALIDATION_ERROR',
        `Invalid ${field}.${i}.id: message ${m.id} appears twice in one call`,
        { details: { field: `${field}.${i}.id`, id: m.id } },
      );
    }
    seen.add(m.id);
  });
}
