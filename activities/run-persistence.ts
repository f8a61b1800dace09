// Node side: the activities that wire runs to the stores: the event bus (a run's event log for
// any process), the state store's run status, the audit store (publish-run-events.ts), and
// conversations (conversation-history.ts).
import type { RunPersistenceActivityTypes } from '../src/core/persistence-contract';
import { createConversationActivities, type ConversationHistoryDeps } from './conversation-history';
import { createPublishRunEvents, type PublishRunEventsDeps } from './publish-run-events';

/**
 * The stores runs may write to. Every one is optional: a run only schedules the activities when
 * its input asks for them (`AgentRunInput.persistence`, set by the runner), and an activity
 * asked for something the worker lacks fails with the non-retryable `CONFIG_MISSING`.
 */
export interface RunPersistenceDeps extends PublishRunEventsDeps, ConversationHistoryDeps {}

/** The run-persistence activities. */
export type RunPersistenceActivities = RunPersistenceActivityTypes;

/** Builds the run-persistence activities. */
export function createRunPersistenceActivities(deps: RunPersistenceDeps): RunPersistenceActivities {
  return {
    publishRunEvents: createPublishRunEvents(deps),
    ...createConversationActivities(deps),
  };
}
