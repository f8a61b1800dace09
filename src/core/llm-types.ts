// Sandbox-safe (types only): the provider-neutral model interface shared by workflows and workers.
import type { z } from 'zod';
import type { Message, ToolCall, Usage } from './types';

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

/**
 * A JSON Schema the answer must follow (the wire form of structured output; it crosses into
 * activities, unlike a zod schema). OpenAI: `response_format: { type: 'json_schema' }`;
 * Anthropic: `output_config.format: { type: 'json_schema' }`.
 */
export interface ResponseFormat {
  type: 'json_schema';
  /** A name for the schema (OpenAI requires one). @default 'response' */
  name?: string;
  /** The JSON Schema of the answer. */
  schema: Record<string, unknown>;
}

/** Options of one model call. */
export interface GenerateOptions<T = unknown> {
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
  /**
   * Structured output: the answer must be JSON matching this zod schema. `generate` converts it
   * to JSON Schema for the provider, parses and validates the answer, and returns the object as
   * `response.parsed`. Invalid output is sent back to the model with the validation message
   * (`structuredRetries` times); then `generate` throws `LLM_OUTPUT_INVALID`.
   */
  responseSchema?: z.ZodType<T>;
  /** How many times invalid structured output is fed back to the model. @default 1 */
  structuredRetries?: number;
  /** The wire form of structured output (set by `responseSchema`; rarely given directly). */
  responseFormat?: ResponseFormat;
}

/** A model's answer, normalised across providers. */
export interface LLMResponse<T = unknown> {
  /** The assistant message, ready to append to the conversation. */
  message: Message;
  /** The text of the answer ('' when the model only called tools). */
  content: string;
  /** Tool calls the model asked for, in order. */
  toolCalls: ToolCall[];
  /** Token usage of this call. */
  usage: Usage;
  /** The model that answered. */
  model: string;
  /** Why generation stopped (`stop`, `tool_calls`, `length`, …). */
  finishReason: string;
  /** With `responseSchema`: the parsed, validated answer. */
  parsed?: T;
}

/** One piece of a streamed answer. */
export interface LLMStreamChunk {
  /** New text since the last chunk. */
  delta: string;
  /** Tool calls assembled so far (complete on the last chunk). */
  toolCalls?: ToolCall[];
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
  /**
   * Generates one answer. With `responseSchema`, `parsed` holds the validated object (typed by
   * the concrete clients and by `generateObject`; `unknown` through this interface).
   */
  generate(messages: readonly Message[], options?: GenerateOptions): Promise<LLMResponse>;
  /** Streams one answer. */
  stream(messages: readonly Message[], options?: GenerateOptions): AsyncIterable<LLMStreamChunk>;
}
