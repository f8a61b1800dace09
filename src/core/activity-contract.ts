// Sandbox-safe (types only): the activity contract. Activity names are public: histories refer to them.
import type { JsonObject, JsonValue, Message, Usage } from './types';
import type { GenerateOptions, LLMResponse } from './llm-types';
import type { RunPersistenceActivityTypes } from './persistence-contract';

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

/** Input of the `executeTool` activity: names and arguments only (no schema, no handler code). */
export interface ExecuteToolInput {
  /** The run making the call. */
  runId: string;
  /** The model's tool-call id (`exec-N` for a direct `ToolRegistry.execute`). */
  toolCallId: string;
  /** The tool's name; the worker looks its handler up by it. */
  name: string;
  /** The arguments as parsed from the model's JSON (validated in the workflow). */
  arguments: Record<string, unknown>;
  /** `runId:toolCallId`: the same on every retry of this call, handed to the handler. */
  idempotencyKey: string;
}

/** Output of the `executeTool` activity. */
export interface ExecuteToolOutput {
  /** What the handler returned, as JSON (`null` for nothing). */
  result: JsonValue;
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
export interface AgentActivities extends RunPersistenceActivityTypes {
  /** One model call. */
  invokeModel(input: InvokeModelInput): Promise<InvokeModelResult>;
  /** One attempt of one step of a `StepExecutor` (the step function registered on the worker). */
  runStep(input: RunStepInput): Promise<RunStepOutput>;
  /** Saves a run's checkpoint to the worker's state store (a no-op without one). */
  saveRunCheckpoint(input: { runId: string; state: JsonObject }): Promise<{ saved: boolean }>;
  /** The run's latest checkpoint from the worker's state store (null without one). */
  loadRunCheckpoint(input: { runId: string }): Promise<JsonObject | null>;
  /** One tool call. */
  executeTool(input: ExecuteToolInput): Promise<ExecuteToolOutput>;
}

/** Input of the `runStep` activity. */
export interface RunStepInput {
  /** The run executing the step. */
  runId: string;
  /** The executor run (routes progress signals). */
  executionId: string;
  /** The step's name in the list. */
  stepName: string;
  /** The registered step function to call. */
  fn: string;
  stepIndex: number;
  totalSteps: number;
  attempt: number;
  maxAttempts: number;
  /** The custom state before the step. */
  state: JsonObject;
  /** Results of the completed steps. */
  results: Record<string, JsonValue>;
}

/** Output of the `runStep` activity. */
export interface RunStepOutput {
  /** What the step function returned (`null` for undefined). */
  result: JsonValue;
  /** The custom state after the step (the step may change it). */
  state: JsonObject;
}

/** Name of the signal through which a running step reports progress to its run. */
export const STEP_PROGRESS_SIGNAL = 'agentRuntime.stepProgress';

/** Payload of the step progress signal. */
export interface StepProgressSignal {
  executionId: string;
  stepName: string;
  attempt: number;
  /** 0–100, the step's own progress. */
  percent: number;
  message?: string;
}
