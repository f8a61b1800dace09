// Sandbox-safe: every patch id of the workflow code, in one place.
//
// A patch id is passed to `patched()` (@temporalio/workflow) where workflow code changes the
// commands it issues; histories recorded before the change carry no marker for it and replay
// along the old path, new executions record the marker and take the new one. Replay matches the
// marker by its exact string, so an id can never be renamed once a run has recorded it.
//
// Prefix rule: every NEW patch id is `agent-runtime.<feature>` (kebab-case feature). The two
// oldest ids use `agent-runtime-core/<feature>` and keep that spelling for the reason above.

/**
 * `ctx.checkpoint` / `ctx.getState` save to and load from the worker's state store
 * (`saveRunCheckpoint` / `loadRunCheckpoint`). Old prefix, kept for recorded histories.
 */
export const CHECKPOINT_STORE_PATCH = 'agent-runtime-core/checkpoint-state-store';

/**
 * `StepExecutor.run(steps, { resume: false })` starts from this execution's state only, without
 * `loadRunCheckpoint`. Old prefix, kept for recorded histories.
 */
export const FRESH_STATE_PATCH = 'agent-runtime-core/step-executor-fresh-state';

/** A run publishes its events to the workers' event store (`publishRunEvents`). */
export const RUN_EVENTS_PATCH = 'agent-runtime.persist-run-events';

/** A run with a conversation loads its history and appends its new messages. */
export const CONVERSATION_PATCH = 'agent-runtime.conversation-history';

/**
 * Intermediate event flushes run in the background: histories recorded while a model call waited
 * for the flush before it replay with the old (awaited) flushes.
 */
export const BACKGROUND_FLUSH_PATCH = 'agent-runtime.background-event-flush';

/** Background flushes also start at approval requests and step boundaries. */
export const PROMPT_FLUSH_PATCH = 'agent-runtime.prompt-event-flush';

/**
 * A model call sends the messages new since the run's previous call plus a reference to the
 * transcript the workers keep (`invokeModel` by reference), instead of the whole conversation.
 */
export const TRANSCRIPT_REFERENCE_PATCH = 'agent-runtime.transcript-by-reference';

/**
 * A run whose transcript store clients can read returns its `finalMessages` by reference (the
 * stored prefix plus the messages after it) instead of reading a carried conversation back.
 */
export const RESULT_REFERENCE_PATCH = 'agent-runtime.result-by-reference';

/**
 * A run continues as new at a safe point when Temporal suggests it or its history passes the
 * `continueAsNew` thresholds (the marker is recorded just before it does).
 */
export const CONTINUE_AS_NEW_PATCH = 'agent-runtime.continue-as-new';

/**
 * When a run ends, its cost and tokens go into the `AgentCostUsd`/`AgentTokens` search
 * attributes (when the run was started with them) in the same upsert as its status.
 */
export const COST_SEARCH_ATTRIBUTES_PATCH = 'agent-runtime.cost-search-attributes';

/**
 * A continued execution's input carries no `messages` when it carries the loaded conversation
 * (which holds the run's input). The input's size decides whether a run continues or fails
 * `PAYLOAD_TOO_LARGE` at the hand-over, so runs recorded before keep carrying both.
 */
export const CARRIED_INPUT_ONCE_PATCH = 'agent-runtime.carried-input-once';

/**
 * The patch id of tool `name` running its calls as local activities (`local: true`: only their
 * results enter the history, in markers) instead of `executeTool` activities. One id per tool:
 * the SDK remembers a patch's answer for the whole execution, so with one id for all tools, a
 * tool made local after a run had called another local tool would replay its recorded activity
 * calls as local ones.
 */
export function localToolPatch(name: string): string {
  return `agent-runtime.local-tool:${name}`;
}
