// Sandbox-safe (types only): the activity contract. Activity names are public: histories refer to them.
import type { Message, Usage } from '../src/core/types';
import type { GenerateOptions, LLMResponse } from '../src/llm/types';

/** Input of the `invokeModel` activity. */
export interface InvokeModelInput {
  /** The run making the call (for logs, audit and streaming). */
  runId: string;
  /** Which model call of the run this is (1, 2, …). */
  turn: number;
  /** Provider to use; the worker's default when absent. */
  provider?: string;
  /** The conversation to send. */
  messages: Message[];
  /**
   * Call options (never secrets: keys stay on the worker). Structured output crosses as
   * `responseFormat` (JSON Schema); the zod schema stays in the workflow.
   */
  options: Omit<GenerateOptions, 'signal' | 'responseSchema' | 'structuredRetries'>;
  /** Stream from the provider (deltas go to watchers; the result is the whole answer). @default false */
  stream?: boolean;
}

/** What `invokeModel` returns: the answer, plus measurements for the run's events and usage. */
export interface InvokeModelResult extends LLMResponse {
  /** Wall time of the successful attempt's provider call, in milliseconds. */
  latencyMs?: number;
  /**
   * Usage billed by earlier failed attempts of this call (e.g. the input tokens of a stream that
   * broke), carried between attempts in the heartbeat details. Absent when there was none.
   */
  failedAttemptsUsage?: Usage;
}

/** The activities a run worker provides. */
export interface AgentActivities {
  /** One model call. */
  invokeModel(input: InvokeModelInput): Promise<InvokeModelResult>;
}
