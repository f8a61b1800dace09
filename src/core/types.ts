// Sandbox-safe: imported by workflow code, activities and clients alike. No Node built-ins, no I/O.
/**
 * Glossary (these words mean the same thing everywhere in this library):
 * - **run**: one execution of an agent on some input; one Temporal workflow execution, whose
 *   workflow id is the run id.
 * - **step**: one unit of a StepExecutor's work; one activity.
 * - **turn**: one model call and what the agent does with its answer.
 * - **tool call**: one request from the model to run a tool; one `executeTool` activity. Its one
 *   shape is `ToolCall` `{ id, name, arguments }` (`arguments`: the JSON text the model produced):
 *   in `LLMResponse.toolCalls`, stream chunks, the `assistant.message` event, the `tool.call` and
 *   `tool.approval_requested` events (as `toolCall`) and `ToolRegistry` outcomes. Records that
 *   follow up on a call (`tool.result`, `tool.approval_decided`, the `executeTool` input) refer to
 *   it by `toolCallId`. The one exception is `Message`, which keeps the OpenAI chat wire shape
 *   (`tool_calls: MessageToolCall[]`, `tool_call_id`): it is the format users pass in and that
 *   committed histories carry. `toMessageToolCall` / `fromMessageToolCall` convert between the two.
 * - **conversation**: an ordered, branchable list of messages kept across runs.
 * - **task**: a unit of planned work with a state, dependencies and checkpoints.
 * - **memory**: key/value data an agent keeps per scope.
 * - **event**: an entry of a run's ordered event log (`run.started`, `tool.call`, …). Names are in
 *   `EventType`; payload fields are camelCase.
 * - **duration**: a Temporal `Duration`, `'30s'` / `'5m'` or milliseconds as a number. Options
 *   take durations under unit-free names (`runTimeout`, `startToCloseTimeout`); measurements in
 *   events and results are milliseconds named with `Ms` (`durationMs`, `latencyMs`, `timeoutMs`).
 * - **retry policy**: Temporal's `RetryPolicy` (`maximumAttempts` counts every attempt, the first
 *   included), used by model calls, tools and steps alike.
 */
import { z } from 'zod';

/** A JSON value: what crosses workflow, activity and history boundaries. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A tool call the model asked for: the one tool-call shape of this library (see the glossary). */
export const ToolCall = z.object({
  /** Provider-assigned call id; tool results refer to it (`toolCallId`). */
  id: z.string(),
  /** The tool's name. */
  name: z.string(),
  /** The arguments as a JSON string, exactly as the model produced them (it may be malformed). */
  arguments: z.string(),
});
/** A tool call the model asked for: the one tool-call shape of this library (see the glossary). */
export type ToolCall = z.infer<typeof ToolCall>;

/** An OpenAI-style tool call carried inside an assistant message. */
export const MessageToolCall = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    /** The arguments as a JSON string, exactly as the model produced them. */
    arguments: z.string(),
  }),
});
/** An OpenAI-style tool call carried inside an assistant message. */
export type MessageToolCall = z.infer<typeof MessageToolCall>;

/** A `ToolCall` in the wire shape an assistant `Message` carries in `tool_calls`. */
export function toMessageToolCall(call: ToolCall): MessageToolCall {
  return {
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  };
}

/** The `ToolCall` of an assistant `Message`'s `tool_calls` entry. */
export function fromMessageToolCall(call: MessageToolCall): ToolCall {
  return { id: call.id, name: call.function.name, arguments: call.function.arguments };
}

/** The role of a message's author. */
export const MessageRole = z.enum(['system', 'user', 'assistant', 'tool']);
/** The role of a message's author. */
export type MessageRole = z.infer<typeof MessageRole>;

/**
 * One chat message in the neutral (OpenAI chat) shape used everywhere in this library.
 * Provider adapters translate to and from it.
 */
export const Message = z.object({
  role: MessageRole,
  /** Text, or provider content parts; `null` for an assistant message holding only tool calls. */
  content: z.union([z.string(), z.array(z.record(z.string(), z.unknown())), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(MessageToolCall).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
/** One chat message in the neutral (OpenAI chat) shape. */
export type Message = z.infer<typeof Message>;

/** Token usage of one or more model calls. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Cost of these tokens by the worker's price table (`modelPrices`); absent when unpriced. */
  cost?: number;
}

/** A zero usage record. */
export function emptyUsage(): Usage {
  return { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
}

/** Adds `b` into a copy of `a`. */
export function addUsage(a: Usage, b: Partial<Usage> | undefined): Usage {
  if (!b) return { ...a };
  const sum: Usage = {
    promptTokens: a.promptTokens + (b.promptTokens ?? 0),
    completionTokens: a.completionTokens + (b.completionTokens ?? 0),
    totalTokens: a.totalTokens + (b.totalTokens ?? 0),
  };
  if (a.cost !== undefined || b.cost !== undefined) sum.cost = (a.cost ?? 0) + (b.cost ?? 0);
  return sum;
}

/** What went wrong in a run, in a form that survives serialisation. */
export interface ErrorInfo {
  /** A stable error type: an `AgentRuntimeError` code, or an error class name. */
  type: string;
  /** A human-readable message. */
  message: string;
  /** The stack trace, when one was available. @default '' */
  stack: string;
  /** Whether trying again may succeed (earlier versions stored it as `retriable`; `normalizeErrorInfo` reads both). */
  retryable: boolean;
  /** Structured details (never secrets). */
  details: Record<string, unknown>;
}

/** The result of an agent run. */
export interface RunResult {
  /** Structured output of the run. */
  finalOutput: Record<string, unknown>;
  /** The conversation as the agent left it. */
  finalMessages: Message[];
  /** Token usage of every model call of the run. */
  usage: Usage;
  /** Named artifacts the run produced. */
  artifacts: Record<string, unknown>;
  /** Set when the run failed, was cancelled or timed out. */
  error?: ErrorInfo;
}

/** What an agent's `run` may return: the result, with every field but `finalOutput` optional. */
export type RunResultInit = Partial<RunResult>;

/** Completes a partial result with defaults. */
export function toRunResult(init: RunResultInit | undefined | null): RunResult {
  const r = init ?? {};
  return {
    finalOutput: r.finalOutput ?? {},
    finalMessages: r.finalMessages ?? [],
    usage: { ...emptyUsage(), ...(r.usage ?? {}) },
    artifacts: r.artifacts ?? {},
    ...(r.error ? { error: r.error } : {}),
  };
}

/** The lifecycle status of a run. */
/**
 * A run's status. `terminated`: the execution was terminated from outside (`temporal workflow
 * terminate`, the UI), so the run itself never recorded an end; clients read it from Temporal.
 */
export type RunStatus =
  'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'terminated';

/** Terminal statuses. */
export const TERMINAL_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'terminated',
];

/** One entry of a run's event log. */
export interface RunEvent {
  /** Position in the run's log: 1, 2, 3, … without gaps. */
  seq: number;
  /** The run this event belongs to. */
  runId: string;
  /** The event type, e.g. `run.started` (see `EventType`). */
  type: string;
  /** Event data. */
  payload: Record<string, unknown>;
  /** ISO-8601 time the event was recorded (workflow time inside a run). */
  timestamp: string;
}
