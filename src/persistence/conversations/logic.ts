// Node side only: the conversation rules both ConversationStore implementations share.
import { AgentRuntimeError } from '../../core/errors';
import type { ConversationMessage } from './models';

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
