// Node side (worker): the Anthropic Messages adapter. Translates the neutral (OpenAI chat shaped)
// messages to Anthropic's and back, for plain and streamed calls.
import Anthropic, { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  Message as AnthropicMessage,
  RawMessageStreamEvent,
  TextBlockParam,
  Tool as AnthropicTool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { AgentRuntimeError } from '../core/errors';
import { durationMs, rejectRenamedOptions, type Duration } from '../core/durations';
import type { Message, ToolCall, Usage } from '../core/types';
import { emptyUsage } from '../core/types';
import { connectionError, httpError, isNetworkFailure, streamError } from './errors';
import { buildResponse } from './openai';
import { generateWith } from '../runtime/structured-output';
import type { GenerateOptions, LLMClient, LLMResponse, LLMStreamChunk } from '../core/llm-types';

/** Options of an `AnthropicClient`. */
export interface AnthropicClientOptions {
  /** API key. Required: pass it, or let `getLLMClient()` take it from config / `ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** Model used when a call names none. @default 'claude-sonnet-4-6' */
  defaultModel?: string;
  /** Base URL of the API (a local test server, a gateway). @default Anthropic's */
  baseURL?: string;
  /** `max_tokens` when a call gives no `maxTokens` (Anthropic requires one). @default 4096 */
  defaultMaxTokens?: number;
  /** Per-request timeout of the SDK (a duration: `'10m'`, or milliseconds). @default '600s' */
  timeout?: Duration;
}

/**
 * Chat model client for Anthropic's Messages API. Translation, both ways:
 * - every `system` message (wherever it is) joins the `system` prompt, in order;
 * - assistant `tool_calls` become `tool_use` blocks (arguments parsed from their JSON string);
 * - `tool` messages become `tool_result` blocks, and consecutive results (with any user text
 *   right after them) merge into one user turn, as the API requires alternating roles;
 * - answers: text blocks join into `content`, `tool_use` blocks become `toolCalls` whose
 *   `arguments` are JSON text; stop reasons map to the neutral ones (`end_turn` → `stop`,
 *   `tool_use` → `tool_calls`, `max_tokens` → `length`);
 * - structured output uses `output_config.format: { type: 'json_schema' }`.
 * The SDK's own retries are off (Temporal retries inside runs).
 */
export class AnthropicClient implements LLMClient {
  readonly provider = 'anthropic';
  /** The model used when a call names none. */
  readonly defaultModel: string;
  private readonly defaultMaxTokens: number;
  private readonly sdk: Anthropic;

  constructor(options: AnthropicClientOptions = {}) {
    rejectRenamedOptions(options, { timeoutMs: 'timeout' }, 'AnthropicClient', 'CONFIG_INVALID');
    if (!options.apiKey) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        'anthropic: no API key. Set ANTHROPIC_API_KEY on the worker, or pass apiKey / configure({ anthropicApiKey }).',
      );
    }
    this.defaultModel = options.defaultModel ?? 'claude-sonnet-4-6';
    this.defaultMaxTokens = options.defaultMaxTokens ?? 4096;
    if (!Number.isInteger(this.defaultMaxTokens) || this.defaultMaxTokens < 1) {
      throw new AgentRuntimeError('CONFIG_INVALID', 'defaultMaxTokens must be a positive integer');
    }
    this.sdk = new Anthropic({
      apiKey: options.apiKey,
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
      const message: AnthropicMessage = await this.sdk.messages.create(
        { ...this.params(messages, options), stream: false },
        { signal: options.signal },
      );
      let content = '';
      const toolCalls: ToolCall[] = [];
      for (const block of message.content) {
        if (block.type === 'text') content += block.text;
        else if (block.type === 'tool_use') {
          toolCalls.push({
            id: block.id,
            name: block.name,
            arguments: JSON.stringify(block.input),
          });
        }
      }
      return buildResponse(
        content,
        toolCalls,
        toUsage(message.usage),
        message.model,
        toFinishReason(message.stop_reason),
      );
    } catch (err) {
      throw this.classify(err);
    }
  }

  async *stream(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): AsyncIterable<LLMStreamChunk> {
    const blocks = new Map<number, ToolCall>();
    let finishReason: string | undefined;
    let promptTokens: number | undefined;
    let completionTokens = 0;
    try {
      const stream = await this.sdk.messages.create(
        { ...this.params(messages, options), stream: true },
        { signal: options.signal },
      );
      for await (const event of stream as AsyncIterable<RawMessageStreamEvent>) {
        switch (event.type) {
          case 'message_start': {
            const u = event.message.usage;
            promptTokens =
              u.input_tokens +
              (u.cache_creation_input_tokens ?? 0) +
              (u.cache_read_input_tokens ?? 0);
            completionTokens = u.output_tokens;
            break;
          }
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              blocks.set(event.index, {
                id: event.content_block.id,
                name: event.content_block.name,
                arguments: '',
              });
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') {
              if (event.delta.text) yield { delta: event.delta.text };
            } else if (event.delta.type === 'input_json_delta') {
              const call = blocks.get(event.index);
              if (call) call.arguments += event.delta.partial_json;
            }
            break;
          case 'message_delta':
            if (event.delta.stop_reason) finishReason = toFinishReason(event.delta.stop_reason);
            completionTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null && promptTokens === undefined) {
              promptTokens = event.usage.input_tokens;
            }
            break;
          default:
            break;
        }
      }
    } catch (err) {
      const classified = this.classify(err);
      // The input tokens are billed once the message started, even if the stream then broke.
      if (AgentRuntimeError.is(classified) && promptTokens !== undefined) {
        classified.details.usage = {
          promptTokens,
          completionTokens,
          totalTokens: promptTokens + completionTokens,
        } satisfies Usage;
      }
      throw classified;
    }
    const toolCalls = [...blocks.entries()]
      .sort(([a], [b]) => a - b)
      // A tool without arguments streams no input_json_delta at all.
      .map(([, c]) => ({ ...c, arguments: c.arguments === '' ? '{}' : c.arguments }));
    const prompt = promptTokens ?? 0;
    yield {
      delta: '',
      ...(toolCalls.length ? { toolCalls } : {}),
      finishReason: finishReason ?? 'stop',
      usage: { promptTokens: prompt, completionTokens, totalTokens: prompt + completionTokens },
    };
  }

  private params(messages: readonly Message[], options: GenerateOptions): MessageCreateParamsBase {
    const { system, messages: converted } = toAnthropicMessages(messages);
    const params: MessageCreateParamsBase = {
      model: options.model ?? this.defaultModel,
      max_tokens: options.maxTokens ?? this.defaultMaxTokens,
      messages: converted,
    };
    if (system) params.system = system;
    if (options.tools?.length) {
      params.tools = options.tools.map((t): AnthropicTool => ({
        name: t.function.name,
        ...(t.function.description ? { description: t.function.description } : {}),
        input_schema: (t.function.parameters ?? {
          type: 'object',
          properties: {},
        }) as AnthropicTool['input_schema'],
      }));
      if (options.toolChoice) params.tool_choice = toToolChoice(options.toolChoice);
    }
    // No `temperature`: this version of the Messages API has no sampling parameters, so the
    // option is ignored for Anthropic.
    if (options.stop) params.stop_sequences = options.stop;
    if (options.responseFormat) {
      params.output_config = {
        format: { type: 'json_schema', schema: options.responseFormat.schema },
      };
    }
    return params;
  }

  private classify(err: unknown): unknown {
    if (AgentRuntimeError.is(err)) return err;
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof APIConnectionError) return connectionError(this.provider, err.message, err);
    if (err instanceof APIError) {
      const e = err as APIError;
      if (e.status === undefined) {
        // An `error` event inside an SSE stream: no HTTP status, only the error type.
        return streamError(this.provider, e.type, e.apiMessage ?? e.message, err);
      }
      return httpError(
        this.provider,
        {
          status: e.status,
          headers: e.headers ?? null,
          message: e.apiMessage ?? e.message,
          type: e.type,
        },
        err,
      );
    }
    if (isNetworkFailure(err)) return connectionError(this.provider, (err as Error).message, err);
    return err;
  }
}

function toToolChoice(choice: NonNullable<GenerateOptions['toolChoice']>): ToolChoice {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'auto' };
}

/** Neutral finish reasons (the OpenAI ones) for Anthropic stop reasons. */
function toFinishReason(stop: string | null | undefined): string {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
    case null:
    case undefined:
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    default:
      return stop;
  }
}

function toUsage(u: AnthropicMessage['usage'] | null | undefined): Usage {
  if (!u) return emptyUsage();
  const promptTokens =
    u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  return {
    promptTokens,
    completionTokens: u.output_tokens,
    totalTokens: promptTokens + u.output_tokens,
  };
}

function textOf(content: Message['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (typeof part.text === 'string' ? part.text : JSON.stringify(part)))
    .join('');
}

function parseArguments(args: string): Record<string, unknown> {
  try {
    const value = JSON.parse(args) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    return { value };
  } catch {
    // Anthropic requires an object; keep the model's malformed text rather than dropping it.
    return { _raw_arguments: args };
  }
}

/**
 * Converts neutral messages to Anthropic's `system` + `messages`. Exported for tests.
 * @internal
 */
export function toAnthropicMessages(messages: readonly Message[]): {
  system: string;
  messages: MessageParam[];
} {
  const system: string[] = [];
  const out: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    // The API wants alternating roles: merge consecutive turns of the same role.
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: [...blocks] });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system': {
        const text = textOf(m.content);
        if (text) system.push(text);
        break;
      }
      case 'user': {
        if (Array.isArray(m.content)) {
          push(
            'user',
            m.content.map((part) =>
              part.type === 'text' && typeof part.text === 'string'
                ? ({ type: 'text', text: part.text } satisfies TextBlockParam)
                : (part as unknown as ContentBlockParam),
            ),
          );
        } else {
          push('user', [{ type: 'text', text: textOf(m.content) }]);
        }
        break;
      }
      case 'assistant': {
        const blocks: ContentBlockParam[] = [];
        const text = textOf(m.content);
        if (text) blocks.push({ type: 'text', text });
        for (const call of m.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseArguments(call.function.arguments),
          });
        }
        // An empty assistant turn is refused by the API; skip it.
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: m.tool_call_id ?? '',
            content: textOf(m.content),
          },
        ]);
        break;
    }
  }
  return { system: system.join('\n\n'), messages: out };
}
