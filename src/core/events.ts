// Sandbox-safe: event type names shared by workflows, activities and clients.
import type { RunStatus } from './types';

/**
 * Every built-in event type: the one set of event names of this library. Values are the wire
 * names stored in event logs (dotted, snake_case after the dot; payload fields are camelCase).
 * All 17 of the seed's types, plus `ERROR`, the tool-approval events, the transient
 * `assistant.retry`, and `CHECKPOINT` as an alias of `STATE_CHECKPOINT`.
 */
export const EventType = {
  RUN_STARTED: 'run.started',
  RUN_HEARTBEAT: 'run.heartbeat',
  RUN_SUCCEEDED: 'run.succeeded',
  RUN_FAILED: 'run.failed',
  RUN_CANCELLED: 'run.cancelled',
  RUN_TIMED_OUT: 'run.timed_out',
  /**
   * The run was terminated from outside. Never recorded by the run (a terminated workflow runs no
   * more code): `RunHandle.events()` synthesizes it at the end of a terminated run's log, with
   * `payload.synthesized: true`.
   */
  RUN_TERMINATED: 'run.terminated',
  /**
   * The run continues as new: this execution ends, the next one (same run id) goes on,
   * `{ execution, reason, historyLength, historySize }` (`execution`: the next one's number, 2…).
   */
  RUN_CONTINUED: 'run.continued',
  /**
   * Transient (event bus only, never in the durable log): a piece of a streamed answer,
   * `{ turn, attempt, index, delta }`.
   */
  ASSISTANT_DELTA: 'assistant.delta',
  /**
   * Transient: attempt `attempt` of model call `turn` starts, `{ turn, attempt }`; text streamed
   * by earlier attempts of that call is void.
   */
  ASSISTANT_RETRY: 'assistant.retry',
  /** One model call's answer, `{ turn, model, finishReason, content, toolCalls, usage, latencyMs }`. */
  ASSISTANT_MESSAGE: 'assistant.message',
  /** A tool call starts, `{ toolCall }` (a `ToolCall`). */
  TOOL_CALL: 'tool.call',
  /** A tool call ended, `{ toolCallId, name, result }` or `{ toolCallId, name, isError: true, error, errorCode? }`. */
  TOOL_RESULT: 'tool.result',
  /**
   * A call of a `requiresConfirmation` tool waits for a human,
   * `{ toolCallId, toolCall, timeoutMs, runTimesOutFirst?, runTimeLeftMs? }`.
   */
  TOOL_APPROVAL_REQUESTED: 'tool.approval_requested',
  /** The approval wait ended, `{ toolCallId, modelToolCallId?, name, approved, timedOut, reason? }`. */
  TOOL_APPROVAL_DECIDED: 'tool.approval_decided',
  STATE_CHECKPOINT: 'state.checkpoint',
  /** Alias of `STATE_CHECKPOINT` (the seed README's name). */
  CHECKPOINT: 'state.checkpoint',
  STEP_STARTED: 'step.started',
  STEP_COMPLETED: 'step.completed',
  STEP_FAILED: 'step.failed',
  STEP_SKIPPED: 'step.skipped',
  STEP_RETRYING: 'step.retrying',
  PROGRESS_UPDATE: 'progress.update',
  /**
   * The run's budget stopped a model call, `{ limit, max, used, turn }` (`limit` is
   * `maxCostUsd`, `maxTokens` or `maxModelCalls`); the call fails with `BUDGET_EXCEEDED`.
   */
  BUDGET_EXCEEDED: 'budget.exceeded',
  ERROR: 'error',
} as const;

/** A built-in event type name. Custom names are allowed wherever an event type is taken. */
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * Event types that are transient: published through the event bus while a model call streams,
 * outside workflow history, with no `seq` of their own.
 */
export const TRANSIENT_EVENT_TYPES: readonly string[] = [
  EventType.ASSISTANT_DELTA,
  EventType.ASSISTANT_RETRY,
];

/** Whether an event type is transient (not in the durable log; no meaningful `seq`). */
export function isTransientEventType(type: string): boolean {
  return TRANSIENT_EVENT_TYPES.includes(type);
}

/** Event types that end a run; exactly one of them is the last event of every run. */
export const TERMINAL_EVENT_TYPES: readonly string[] = [
  EventType.RUN_SUCCEEDED,
  EventType.RUN_FAILED,
  EventType.RUN_CANCELLED,
  EventType.RUN_TIMED_OUT,
  EventType.RUN_TERMINATED,
];

/** Whether an event type ends a run. */
export function isTerminalEventType(type: string): boolean {
  return TERMINAL_EVENT_TYPES.includes(type);
}

const RUN_STATUS_OF: Readonly<Record<string, RunStatus>> = {
  [EventType.RUN_STARTED]: 'running',
  [EventType.RUN_SUCCEEDED]: 'succeeded',
  [EventType.RUN_FAILED]: 'failed',
  [EventType.RUN_CANCELLED]: 'cancelled',
  [EventType.RUN_TIMED_OUT]: 'timed_out',
  [EventType.RUN_TERMINATED]: 'terminated',
};

/** The run status a run's start or end event stands for (`run.failed` → `failed`); else undefined. */
export function runStatusOfEventType(type: string): RunStatus | undefined {
  // Own keys only: a custom event type such as `constructor` names no status.
  return Object.prototype.hasOwnProperty.call(RUN_STATUS_OF, type)
    ? RUN_STATUS_OF[type]
    : undefined;
}
