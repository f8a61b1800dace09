// Node side (tests, demo): the OpenAI Chat Completions wire format of the mock LLM server.
// Shapes follow the `openai` package's own types (resources/chat/completions): `chat.completion`
// objects, `chat.completion.chunk` SSE events ending in `data: [DONE]`, tool-call deltas keyed by
// `index`, the `stream_options.include_usage` usage chunk, and `{ error: { message, type, param, code } }`.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ModelsPage } from 'openai/resources/models';
import {
  isRecord,
  resolveUsage,
  splitIntoChunks,
  type ResolvedUsage,
  type ScriptedErrorReply,
  type ScriptedStreamThenFailReply,
  type ScriptedTextReply,
  type ScriptedToolCallsReply,
} from './core';
import {
  markDeltaSent,
  sendJson,
  sleep,
  startSse,
  writeSse,
  type RouteContext,
  type WireFormat,
} from './http';

/** The models `GET /v1/models` lists; any model name is accepted by chat completions. */
export const MOCK_OPENAI_MODELS = ['mock-model', 'gpt-4o-mini', 'gpt-4o'] as const;

/** The OpenAI error body `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

type FinishReason = ChatCompletion.Choice['finish_reason'];

/** The OpenAI error body for a status, with the defaults the real API uses for that status. */
export function openAIErrorBody(
  status: number,
  fields: { message?: string; type?: string; code?: string; param?: string } = {},
): OpenAIErrorBody {
  const defaults = defaultErrorFields(status);
  return {
    error: {
      message: fields.message ?? defaults.message,
      type: fields.type ?? defaults.type,
      param: fields.param ?? null,
      code: fields.code ?? defaults.code,
    },
  };
}

/** The OpenAI wire format: `POST /v1/chat/completions` and `GET /v1/models`. */
export function openAIChatFormat(): WireFormat {
  return {
    name: 'openai',
    errorBody: (status, message) => openAIErrorBody(status, { message }),
    routes: [
      { method: 'POST', path: '/v1/chat/completions', handle: handleChatCompletions },
      { method: 'GET', path: '/v1/models', handle: handleModels },
    ],
  };
}

async function handleModels(context: RouteContext): Promise<void> {
  const page: Pick<ModelsPage, 'data'> & { object: 'list' } = {
    object: 'list',
    data: MOCK_OPENAI_MODELS.map((id) => ({
      id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'mock-llm-server',
    })),
  };
  sendJson(context, 200, page, requestIdHeader(context));
}

async function handleChatCompletions(context: RouteContext): Promise<void> {
  const { json, rawBody } = context;
  if (!isRecord(json)) {
    const message =
      json === undefined && rawBody.trim() !== ''
        ? "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
        : 'The request body must be a JSON object.';
    sendJson(context, 400, openAIErrorBody(400, { message }), requestIdHeader(context));
    return;
  }
  if (!Array.isArray(json.messages)) {
    sendJson(
      context,
      400,
      openAIErrorBody(400, {
        message: "Missing required parameter: 'messages'.",
        param: 'messages',
        code: 'missing_required_parameter',
      }),
      requestIdHeader(context),
    );
    return;
  }
  const reply = await context.nextReply();
  switch (reply.type) {
    case 'text':
    case 'tool_calls':
      if (!(await sleep(reply.delayMs, context.signal))) return;
      if (context.request.stream) await streamCompletion(context, reply);
      else sendJson(context, 200, buildCompletion(context, reply), requestIdHeader(context));
      return;
    case 'error':
      await sendError(context, reply);
      return;
    case 'hang':
      // Leave the request open: it ends when the client aborts or the server closes.
      return;
    case 'stream_then_fail':
      await streamThenFail(context, reply);
      return;
  }
}

async function sendError(context: RouteContext, reply: ScriptedErrorReply): Promise<void> {
  if (!(await sleep(reply.delayMs, context.signal))) return;
  const body = openAIErrorBody(reply.status, {
    ...(reply.message === undefined ? {} : { message: reply.message }),
    ...(reply.errorType === undefined ? {} : { type: reply.errorType }),
    ...(reply.code === undefined ? {} : { code: reply.code }),
    ...(reply.param === undefined ? {} : { param: reply.param }),
  });
  sendJson(context, reply.status, body, { ...requestIdHeader(context), ...reply.headers });
}

function buildCompletion(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
): ChatCompletion {
  const toolCalls = reply.type === 'tool_calls' ? toolCallsOf(context, reply) : undefined;
  const content = reply.type === 'text' ? reply.content : (reply.content ?? null);
  return {
    id: completionId(context),
    object: 'chat.completion',
    created: nowSeconds(),
    model: modelOf(context, reply.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          annotations: [],
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(reply),
      },
    ],
    usage: toWireUsage(usageOf(context, reply, toolCalls)),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

async function streamCompletion(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
): Promise<void> {
  const { res, signal } = context;
  const toolCalls = reply.type === 'tool_calls' ? toolCallsOf(context, reply) : undefined;
  const content: string | undefined = reply.content;
  const chunk = chunkFactory(context, reply.model);
  const send = async (value: unknown, first = false, isText = false): Promise<boolean> =>
    (first || (await sleep(reply.chunkDelayMs, signal))) &&
    (isText ? markDeltaSent(context) : true) &&
    writeSse(res, signal, JSON.stringify(value));

  startSse(context, requestIdHeader(context));
  const opening = {
    role: 'assistant' as const,
    content: content === undefined ? null : '',
    refusal: null,
  };
  if (!(await send(chunk(opening), true))) return;
  const maxChunk = reply.type === 'text' ? reply.maxChunkLength : undefined;
  for (const piece of splitIntoChunks(content ?? '', maxChunk)) {
    if (!(await send(chunk({ content: piece }), false, true))) return;
  }
  for (const [index, call] of (toolCalls ?? []).entries()) {
    const head = { index, id: call.id, type: 'function' as const };
    const named = {
      tool_calls: [{ ...head, function: { name: call.function.name, arguments: '' } }],
    };
    if (!(await send(chunk(named)))) return;
    for (const piece of splitIntoChunks(call.function.arguments)) {
      if (!(await send(chunk({ tool_calls: [{ index, function: { arguments: piece } }] })))) return;
    }
  }
  if (!(await send(chunk({}, finishReasonOf(reply))))) return;
  if (includeUsage(context.json)) {
    const usageChunk: ChatCompletionChunk = {
      ...chunk({}),
      choices: [],
      usage: toWireUsage(usageOf(context, reply, toolCalls)),
    };
    if (!(await send(usageChunk))) return;
  }
  if (!(await writeSse(res, signal, '[DONE]'))) return;
  res.end();
}

async function streamThenFail(
  context: RouteContext,
  reply: ScriptedStreamThenFailReply,
): Promise<void> {
  const { res, signal } = context;
  if (!context.request.stream) {
    // Non-streaming: the connection drops before any response, as in a network failure.
    context.drop();
    return;
  }
  const chunk = chunkFactory(context, undefined);
  startSse(context, requestIdHeader(context));
  const opening = chunk({ role: 'assistant', content: '', refusal: null });
  if (!(await writeSse(res, signal, JSON.stringify(opening)))) return;
  const pieces = splitIntoChunks(reply.content).slice(0, reply.failAfterChunks);
  for (const piece of pieces) {
    if (!(await sleep(reply.chunkDelayMs, signal))) return;
    if (!(await writeSse(res, signal, JSON.stringify(chunk({ content: piece }))))) return;
  }
  if (reply.error) {
    const body = openAIErrorBody(500, {
      type: reply.error.type,
      ...(reply.error.message === undefined ? {} : { message: reply.error.message }),
    });
    if (await writeSse(res, signal, JSON.stringify(body))) res.end();
    return;
  }
  context.drop();
}

function chunkFactory(context: RouteContext, model: string | undefined) {
  const base = {
    id: completionId(context),
    object: 'chat.completion.chunk' as const,
    created: nowSeconds(),
    model: modelOf(context, model),
    service_tier: 'default' as const,
    system_fingerprint: 'fp_mock',
    // The real API sends `usage: null` on every chunk but the last when usage was requested.
    ...(includeUsage(context.json) ? { usage: null } : {}),
  };
  return (
    delta: ChatCompletionChunk.Choice.Delta,
    finishReason: FinishReason | null = null,
  ): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
}

function toolCallsOf(
  context: RouteContext,
  reply: ScriptedToolCallsReply,
): ChatCompletionMessageFunctionToolCall[] {
  return reply.toolCalls.map((call, index) => ({
    id: call.id ?? `call_mock_${context.request.id}_${index}`,
    type: 'function',
    function: {
      name: call.name,
      arguments:
        typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

function usageOf(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
  toolCalls: ChatCompletionMessageFunctionToolCall[] | undefined,
): ResolvedUsage {
  const completionText = [
    reply.content ?? '',
    ...(toolCalls ?? []).flatMap((call) => [call.function.name, call.function.arguments]),
  ].join(' ');
  return resolveUsage(context.json, completionText, reply.usage);
}

function toWireUsage(usage: ResolvedUsage): CompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReasonOf(reply: ScriptedTextReply | ScriptedToolCallsReply): FinishReason {
  // Scripts may inject any finish reason (even one the client does not know) to test handling.
  return (reply.finishReason ?? (reply.type === 'text' ? 'stop' : 'tool_calls')) as FinishReason;
}

function includeUsage(body: unknown): boolean {
  return (
    isRecord(body) && isRecord(body.stream_options) && body.stream_options.include_usage === true
  );
}

function modelOf(context: RouteContext, model: string | undefined): string {
  if (model !== undefined) return model;
  const requested = isRecord(context.json) ? context.json.model : undefined;
  return typeof requested === 'string' && requested !== '' ? requested : 'mock-model';
}

function completionId(context: RouteContext): string {
  return `chatcmpl-mock-${context.request.id}`;
}

function requestIdHeader(context: RouteContext): Record<string, string> {
  return { 'x-request-id': `req_mock_${context.request.id}` };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function defaultErrorFields(status: number): {
  message: string;
  type: string;
  code: string | null;
} {
  switch (status) {
    case 400:
      return { message: 'Invalid request.', type: 'invalid_request_error', code: null };
    case 401:
      return {
        message: 'Incorrect API key provided.',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      };
    case 403:
      return { message: 'Permission denied.', type: 'permission_error', code: null };
    case 404:
      return {
        message: 'The model does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        code: 'model_not_found',
      };
    case 429:
      return {
        message: 'Rate limit reached for requests. Please try again in 1s.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      };
    case 503:
      return {
        message: 'The engine is currently overloaded, please try again later.',
        type: 'server_error',
        code: null,
      };
    default:
      return status >= 500
        ? {
            message: 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            code: null,
          }
        : {
            message: `Request failed with status ${status}.`,
            type: 'invalid_request_error',
            code: null,
          };
  }
}
