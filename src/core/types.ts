// Sandbox-safe: imported by workflow code, activities and clients alike. No Node built-ins, no I/O.
/**
 * Glossary (these words mean the same thing everywhere in this library):
 * - **run**: one execution of an agent on some input; one Temporal workflow execution, whose
 *   workflow id is the run id.
 * - **step**: one unit of a StepExecutor's work; one activity.
 * - **turn**: one model call and what the agent does with its answer.
 * - **tool call**: one request from the model to run a tool; one `executeTool` activity.
 * - **conversation**: an ordered, branchable list of messages kept across runs.
 * - **task**: a unit of planned work with a state, dependencies and checkpoints.
 * - **memory**: key/value data an agent keeps per scope.
 * - **event**: an entry of a run's ordered event log (`run.started`, `tool.call`, …).
 */
import { z } from 'zod';

/** A JSON value: what crosses workflow, activity and history boundaries. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

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
  /** Whether trying again may succeed. */
  retriable: boolean;
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
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** Terminal statuses. */
export const TERMINAL_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
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
