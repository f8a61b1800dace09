// Sandbox-safe (types only): the provider-neutral model interface shared by workflows and workers.
import type { Message, Usage } from '../core/types';

/** A tool the model may call, in the OpenAI function-tool shape. */
export interface ToolSpec {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** JSON Schema of the arguments object. */
    parameters?: Record<string, unknown>;
  };
}

/** A tool call the model asked for. */
export interface ToolCallInfo {
  /** Provider-assigned call id; tool results refer to it. */
  id: string;
  /** The tool's name. */
  name: string;
  /** The arguments as a JSON string, exactly as the model produced them (it may be malformed). */
  arguments: string;
}

/** Options of one model call. */
export interface GenerateOptions {
  /** Model name; defaults to the client's default model. */
  model?: string;
  /** Tools the model may call. */
  tools?: ToolSpec[];
  /** How the model may use the tools. @default 'auto' when tools are given */
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  /** Sampling temperature. */
  temperature?: number;
  /** Upper bound of generated tokens. */
  maxTokens?: number;
  /** Stop sequences. */
  stop?: string[];
  /** Aborts the HTTP request (worker side only; inside a run, cancellation does this). */
  signal?: AbortSignal;
}

/** A model's answer, normalised across providers. */
export interface LLMResponse {
  /** The assistant message, ready to append to the conversation. */
  message: Message;
  /** The text of the answer ('' when the model only called tools). */
  content: string;
  /** Tool calls the model asked for, in order. */
  toolCalls: ToolCallInfo[];
  /** Token usage of this call. */
  usage: Usage;
  /** The model that answered. */
  model: string;
  /** Why generation stopped (`stop`, `tool_calls`, `length`, …). */
  finishReason: string;
}

/** One piece of a streamed answer. */
export interface LLMStreamChunk {
  /** New text since the last chunk. */
  delta: string;
  /** Tool calls assembled so far (complete on the last chunk). */
  toolCalls?: ToolCallInfo[];
  /** Set on the last chunk. */
  finishReason?: string;
  /** Set on the last chunk when the provider reports usage. */
  usage?: Usage;
}

/**
 * A chat model. Implemented by `OpenAIClient` (and other provider adapters) on the worker, by an
 * activity-backed client inside runs, and by `MockLLMClient` in tests.
 */
export interface LLMClient {
  /** Provider name, e.g. `openai`. */
  readonly provider: string;
  /** Generates one answer. */
  generate(messages: readonly Message[], options?: GenerateOptions): Promise<LLMResponse>;
  /** Streams one answer. */
  stream(messages: readonly Message[], options?: GenerateOptions): AsyncIterable<LLMStreamChunk>;
}
