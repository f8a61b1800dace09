// Node side (worker): the OpenAI chat completions adapter, also used for OpenAI-compatible servers.
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { AgentRuntimeError } from '../core/errors';
import { durationMs, rejectRenamedOptions, type Duration } from '../core/durations';
import type { Message, ToolCall, Usage } from '../core/types';
import { emptyUsage, fromMessageToolCall, toMessageToolCall } from '../core/types';
import { connectionError, httpError, isNetworkFailure, streamError } from './errors';
import { generateWith } from '../runtime/structured-output';
import type { GenerateOptions, LLMClient, LLMResponse, LLMStreamChunk } from '../core/llm-types';

/** Options of an `OpenAIClient`. */
export interface OpenAIClientOptions {
  /** API key. Required: pass it, or let `getLLMClient()` take it from config / `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Model used when a call names none. @default 'gpt-4o' */
  defaultModel?: string;
  /** OpenAI organization id. */
  organization?: string;
  /** Base URL of the API (an OpenAI-compatible server, or a local test server). @default OpenAI's */
  baseURL?: string;
  /** Per-request timeout of the SDK (a duration: `'10m'`, or milliseconds). @default '600s' */
  timeout?: Duration;
  /** Name reported as `provider` and in error messages. @default 'openai' */
  providerName?: string;
  /** Allows an empty API key (local OpenAI-compatible servers that need none). @default false */
  allowMissingApiKey?: boolean;
}

/**
 * Chat model client for OpenAI and OpenAI-compatible endpoints. The SDK's own retries are off:
 * inside a run Temporal is the single retry authority, and outside one the caller decides.
 */
export class OpenAIClient implements LLMClient {
  readonly provider: string;
  /** The model used when a call names none. */
  readonly defaultModel: string;
  private readonly sdk: OpenAI;

  constructor(options: OpenAIClientOptions = {}) {
    rejectRenamedOptions(options, { timeoutMs: 'timeout' }, 'OpenAIClient', 'CONFIG_INVALID');
    this.provider = options.providerName ?? 'openai';
    this.defaultModel = options.defaultModel ?? 'gpt-4o';
    if (!options.apiKey && !options.allowMissingApiKey) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        `${this.provider}: no API key. Set OPENAI_API_KEY on the worker, or pass apiKey / configure({ openaiApiKey }).`,
      );
    }
    this.sdk = new OpenAI({
      apiKey: options.apiKey || 'not-needed',
      organization: options.organization ?? null,
      baseURL: options.baseURL ?? null,
      maxRetries: 0,
      timeout: durationMs(options.timeout ?? '600s', 'timeout', 'CONFIG_INVALID'),
    });
  }

  async generate<T = unknown>(
    messages: readonly Message[],
    options: GenerateOptions<T> = {},
  ): Promise<LLMResponse<T>> {
    return generateWith((m, o) => this.generateRaw(m, o), messages, options);
  }

  private async generateRaw(
    messages: readonly Message[],
    options: GenerateOptions,
  ): Promise<LLMResponse> {
    try {
      const completion = await this.sdk.chat.completions.create(
        { ...this.params(messages, options), stream: false },
        { signal: options.signal },
      );
      const choice = completion.choices[0];
      if (!choice)
        throw new AgentRuntimeError(
          'LLM_INVALID_RESPONSE',
          `${this.provider}: the answer has no choices`,
        );
      const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).flatMap((tc) =>
        tc.type === 'function' ? [fromMessageToolCall(tc)] : [],
      );
      return buildResponse(
        choice.message.content ?? '',
        toolCalls,
        toUsage(completion.usage),
        completion.model,
        choice.finish_reason,
      );
    } catch (err) {
      throw this.classify(err);
    }
  }

  async *stream(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): AsyncIterable<LLMStreamChunk> {
    const calls = new Map<number, ToolCall>();
    let finishReason: string | undefined;
    let usage: Usage | undefined;
    try {
      const stream = await this.sdk.chat.completions.create(
        {
          ...this.params(messages, options),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: options.signal },
      );
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        if (chunk.usage) usage = toUsage(chunk.usage);
        const choice = chunk.choices[0];
        if (!choice) continue;
        for (const d of choice.delta.tool_calls ?? []) {
          const call = calls.get(d.index) ?? { id: '', name: '', arguments: '' };
          if (d.id) call.id = d.id;
          if (d.function?.name) call.name += d.function.name;
          if (d.function?.arguments) call.arguments += d.function.arguments;
          calls.set(d.index, call);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
        if (choice.delta.content) yield { delta: choice.delta.content };
      }
    } catch (err) {
      throw this.classify(err);
    }
    const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    yield {
      delta: '',
      ...(toolCalls.length ? { toolCalls } : {}),
      finishReason: finishReason ?? 'stop',
      ...(usage ? { usage } : {}),
    };
  }

  private params(
    messages: readonly Message[],
    options: GenerateOptions,
  ): ChatCompletionCreateParamsBase {
    const params: ChatCompletionCreateParamsBase = {
      model: options.model ?? this.defaultModel,
      messages: messages.map(toOpenAIMessage),
    };
    if (options.tools?.length) {
      params.tools = options.tools;
      if (options.toolChoice) {
        params.tool_choice =
          typeof options.toolChoice === 'string'
            ? options.toolChoice
            : { type: 'function', function: { name: options.toolChoice.name } };
      }
    }
    if (options.temperature !== undefined) params.temperature = options.temperature;
    // `max_tokens` rather than `max_completion_tokens`: OpenAI-compatible servers understand it.
    if (options.maxTokens !== undefined) params.max_tokens = options.maxTokens;
    if (options.stop) params.stop = options.stop;
    if (options.responseFormat) {
      params.response_format = {
        type: 'json_schema',
        json_schema: {
          name: options.responseFormat.name ?? 'response',
          schema: options.responseFormat.schema,
          // Not strict: strict mode rejects common zod output (optional fields, open records).
          strict: false,
        },
      };
    }
    return params;
  }

  private classify(err: unknown): unknown {
    if (AgentRuntimeError.is(err)) return err;
    // A user abort is cancellation, not a provider failure: let it through unchanged.
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof APIConnectionError) return connectionError(this.provider, err.message, err);
    // A stream cut mid-body surfaces as a fetch error (`terminated`), not as an SDK error.
    if (isNetworkFailure(err)) return connectionError(this.provider, (err as Error).message, err);
    if (err instanceof APIError) {
      const e = err as APIError;
      if (e.status === undefined) {
        // An error chunk inside an SSE stream: no HTTP status, only the error type.
        return streamError(this.provider, e.type ?? null, e.message, err);
      }
      return httpError(
        this.provider,
        { status: e.status, headers: e.headers, message: e.message, code: e.code, type: e.type },
        err,
      );
    }
    return err;
  }
}

/** Builds a neutral response from its parts. */
export function buildResponse(
  content: string,
  toolCalls: ToolCall[],
  usage: Usage,
  model: string,
  finishReason: string,
): LLMResponse {
  const message: Message = {
    role: 'assistant',
    content: toolCalls.length && !content ? null : content,
  };
  if (toolCalls.length) message.tool_calls = toolCalls.map(toMessageToolCall);
  return { message, content, toolCalls, usage, model, finishReason };
}

function toUsage(
  u:
    | { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number }
    | null
    | undefined,
): Usage {
  if (!u) return emptyUsage();
  const promptTokens = u.prompt_tokens ?? 0;
  const completionTokens = u.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: u.total_tokens ?? promptTokens + completionTokens,
  };
}

function toOpenAIMessage(m: Message): ChatCompletionMessageParam {
  const content =
    typeof m.content === 'string' || m.content == null
      ? (m.content ?? '')
      : JSON.stringify(m.content);
  switch (m.role) {
    case 'system':
      return { role: 'system', content };
    case 'user':
      return { role: 'user', content, ...(m.name ? { name: m.name } : {}) };
    case 'tool':
      return { role: 'tool', content, tool_call_id: m.tool_call_id ?? '' };
    case 'assistant':
      return {
        role: 'assistant',
        content: m.content == null ? null : content,
        ...(m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}),
      };
  }
}

/** Options of a `LiteLLMClient`. */
export interface LiteLLMClientOptions {
  /** Model used when a call names none, as the proxy names it (e.g. `ollama/llama3`). @default 'gpt-4o' */
  defaultModel?: string;
  /** Base URL of the OpenAI-compatible endpoint, including `/v1` when it has one. @default 'http://127.0.0.1:4000' */
  baseURL?: string;
  /** API key of the proxy, if it wants one. @default none */
  apiKey?: string;
  /** Per-request timeout of the SDK (a duration: `'10m'`, or milliseconds). @default '600s' */
  timeout?: Duration;
}

/**
 * Any OpenAI-compatible endpoint: a LiteLLM proxy, Ollama, vLLM, OpenRouter. Speaks the OpenAI
 * chat completions wire format through the official `openai` SDK; the key is optional.
 */
export class LiteLLMClient extends OpenAIClient {
  constructor(options: LiteLLMClientOptions = {}) {
    rejectRenamedOptions(options, { timeoutMs: 'timeout' }, 'LiteLLMClient', 'CONFIG_INVALID');
    super({
      providerName: 'litellm',
      allowMissingApiKey: true,
      baseURL: options.baseURL ?? 'http://127.0.0.1:4000',
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.defaultModel ? { defaultModel: options.defaultModel } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    });
  }
}
