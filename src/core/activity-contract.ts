// Sandbox-safe (types only): the activity contract. Activity names are public: histories refer to them.
import type { JsonObject, JsonValue, Message, ToolCall, Usage } from './types';
import type { GenerateOptions, LLMResponse } from './llm-types';
import type { RunPersistenceActivityTypes } from './persistence-contract';

/**
 * Call options of one model call (never secrets: keys stay on the worker). Structured output
 * crosses as `responseFormat` (JSON Schema); the zod schema stays in the workflow.
 */
export type InvokeModelOptions = Omit<
  GenerateOptions,
  'signal' | 'responseSchema' | 'structuredRetries'
>;

/** What every `invokeModel` input carries besides the conversation. */
interface InvokeModelInputBase {
  /**
   * The run making the call (for logs, audit and streaming). Absent: the workflow id (calls by
   * reference leave it out when the two are the same).
   */
  runId?: string;
  /** Which model call of the run this is (1, 2, …). */
  turn: number;
  /** Provider to use; the worker's default when absent. */
  provider?: string;
  /** Stream from the provider (deltas go to watchers; the result is the whole answer). @default false */
  stream?: boolean;
}

/**
 * Input of the `invokeModel` activity with the whole conversation: what runs recorded before
 * transcripts by reference send, and runs with `modelCall.transcript: 'full'`. The activity
 * answers it with a whole `InvokeModelResult`.
 */
export interface InvokeModelFullInput extends InvokeModelInputBase {
  /** The conversation to send. */
  messages: Message[];
  /** Call options. */
  options: InvokeModelOptions;
}

/**
 * Where a run's transcript stands in the workers' transcript store: its first `length` messages,
 * whose chained hash is `hash` (`''` for none). The workflow names transcripts; the workers hash
 * and keep them (`TranscriptStore`).
 */
export interface TranscriptRef {
  /**
   * The transcript's id: `<run id>:<execution run id>:<n>`, unique per workflow execution. In
   * activity inputs, `~<n>` stands for a transcript of the scheduling execution
   * (`<workflow id>:<its run id>:<n>`; see `expandTranscriptId`).
   */
  id: string;
  /** How many of its messages come before the call's new ones. */
  length: number;
  /** Chained hash of those messages, as a worker reported it; `''` when `length` is 0. */
  hash: string;
}

/**
 * Input of the `invokeModel` activity by reference: the messages new since the transcript's
 * stored prefix, and the call options only when the worker may not have them yet. A worker that
 * cannot read the prefix (or the options) fails the call with `TRANSCRIPT_MISSING` before calling
 * the model, and the workflow sends the call again with the whole transcript (`length` 0).
 */
export interface InvokeModelByReferenceInput extends InvokeModelInputBase {
  /** The stored prefix of the conversation. */
  transcript: TranscriptRef;
  /** The messages after the prefix. */
  newMessages: Message[];
  /** Key of the call options among the transcript's constants. */
  optionsKey: string;
  /** The call options, sent when they are new to the transcript; else read by `optionsKey`. */
  options?: InvokeModelOptions;
  /**
   * Tool results among `newMessages` sent by reference: the message at index `at` has its
   * `content` left empty, and the worker reads it from the transcript's constant `key` (stored
   * there by `executeTool`), checked against `hash`. Missing or different: `TRANSCRIPT_MISSING`
   * before the model is called, and the workflow sends the call again whole.
   */
  storedResults?: StoredToolResultRef[];
}
/** A tool result message's content kept in the transcript store (see `storedResults`). */
export interface StoredToolResultRef {
  /** Index of the message in `newMessages`. */
  at: number;
  /** The transcript constant holding `{ content }`. */
  key: string;
  /** `contentHash` of the content, as `executeTool` reported it. */
  hash: string;
}
/**
 * Where a tool call's arguments are stored: in the model reply at `position` of `transcript`,
 * whose chained hash is `hash` (`executeTool` reads the call `toolCallId` from it, so the
 * arguments do not enter history twice).
 */
export interface ToolArgumentsRef {
  /** The transcript holding the reply. */
  transcript: string;
  /** 0-based position of the reply. */
  position: number;
  /** Chained hash through the reply (`TranscriptTip.hash`). */
  hash: string;
  /** The model's id of the call within the reply. Absent: the input's `toolCallId`. */
  toolCallId?: string;
}

/** Input of the `invokeModel` activity: the whole conversation, or what is new plus a reference. */
export type InvokeModelInput = InvokeModelFullInput | InvokeModelByReferenceInput;

/** Input of the `executeTool` activity: names and arguments only (no schema, no handler code). */
export interface ExecuteToolInput {
  /** The run making the call. Absent: the workflow id. */
  runId?: string;
  /** The model's tool-call id (`exec-N` for a direct `ToolRegistry.execute`). */
  toolCallId: string;
  /** The tool's name; the worker looks its handler up by it. */
  name: string;
  /**
   * The arguments as parsed from the model's JSON (validated in the workflow). Absent when
   * `argumentsFrom` says where the worker reads them.
   */
  arguments?: Record<string, unknown>;
  /**
   * The model reply in the workers' transcript store that holds this call (arguments by
   * reference). The worker also stores the result's message content in that transcript, under
   * `resultKey`, for the run's next model call. A worker that cannot read the reply fails with
   * `TRANSCRIPT_MISSING` before running the tool, and the workflow sends the arguments.
   */
  argumentsFrom?: ToolArgumentsRef;
  /** Transcript constant under which to store the result's content (with `argumentsFrom`). */
  resultKey?: string;
  /** `runId:executionChainId:toolCallId`: the same on every retry of this call, handed to the handler. */
  idempotencyKey: string;
}

/** Output of the `executeTool` activity. */
export interface ExecuteToolOutput {
  /** What the handler returned, as JSON (`null` for nothing). */
  result: JsonValue;
  /**
   * `contentHash` of the result's message content, stored under `resultKey` (absent when nothing
   * was stored).
   */
  stored?: string;
}

/**
 * A model call's answer as the run's I/O hands it to the run: the answer, plus measurements for
 * the run's events and usage. The activity returns it whole for an `InvokeModelFullInput`.
 */
export interface InvokeModelResult extends LLMResponse {
  /** Wall time of the successful attempt's provider call, in milliseconds. */
  latencyMs?: number;
  /**
   * Usage billed by earlier failed attempts of this call (e.g. the input tokens of a stream that
   * broke), carried between attempts in the heartbeat details. Absent when there was none.
   */
  failedAttemptsUsage?: Usage;
}

/**
 * Where a transcript stands after a call by reference: the call's new messages and the model's
 * reply are stored after the referenced prefix, the reply last (at position `length - 1`).
 */
export interface TranscriptTip {
  /** Messages stored, the reply included. */
  length: number;
  /** Chained hash of all `length` messages. */
  hash: string;
  /** Chained hash of the first `length - 1` (everything before the reply). */
  previousHash: string;
  /**
   * The worker's transcript store keeps transcripts across worker restarts (Postgres, Redis):
   * a run that continues as new may then carry its conversation by reference.
   */
  durable?: boolean;
  /**
   * Clients can read the store too (`TranscriptStore.shared`): the run may return its
   * `finalMessages` by reference.
   */
  shared?: boolean;
}

/** Input of the `loadTranscript` activity: a stored transcript prefix to read back. */
export interface LoadTranscriptInput {
  /** The run the transcript belongs to. */
  runId: string;
  /** The stored prefix. */
  transcript: TranscriptRef;
}

/** Answer of `loadTranscript`. */
export interface LoadTranscriptOutput {
  /** The prefix's messages, in order. */
  messages: Message[];
}

/**
 * What `invokeModel` returns. For an `InvokeModelByReferenceInput` the answer's text and tool
 * calls are carried once, in `message`: `content` and `toolCalls` are left out when they are what
 * `message` says, and `transcript` tells where the stored transcript stands (absent when the
 * worker could not store it). For an `InvokeModelFullInput` it is a whole `InvokeModelResult`.
 */
export interface InvokeModelOutput extends Omit<InvokeModelResult, 'content' | 'toolCalls'> {
  /** The text of the answer; absent when it is `message.content` (or `''` for none). */
  content?: string;
  /** The tool calls; absent when they are `message.tool_calls`. */
  toolCalls?: ToolCall[];
  /** The transcript with the reply appended (calls by reference). */
  transcript?: TranscriptTip;
}

/** The activities a run worker provides. */
export interface AgentActivities extends RunPersistenceActivityTypes {
  /** One model call. */
  invokeModel(input: InvokeModelInput): Promise<InvokeModelOutput>;
  /** One attempt of one step of a `StepExecutor` (the step function registered on the worker). */
  runStep(input: RunStepInput): Promise<RunStepOutput>;
  /** Saves a run's checkpoint to the worker's state store (a no-op without one). */
  saveRunCheckpoint(input: { runId: string; state: JsonObject }): Promise<{ saved: boolean }>;
  /** The run's latest checkpoint from the worker's state store (null without one). */
  loadRunCheckpoint(input: { runId: string }): Promise<JsonObject | null>;
  /** One tool call. */
  executeTool(input: ExecuteToolInput): Promise<ExecuteToolOutput>;
  /**
   * Reads a stored transcript back (a run that continued as new needs its whole conversation
   * once, for its result). Fails `TRANSCRIPT_MISSING` when the store lacks it.
   */
  loadTranscript(input: LoadTranscriptInput): Promise<LoadTranscriptOutput>;
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
