// Node side (tests, demo): the Anthropic Messages wire format of the mock LLM server.
// Shapes follow the `@anthropic-ai/sdk` package's own types (resources/messages): `message`
// objects with `text` / `tool_use` content blocks, the SSE event stream (`message_start`,
// `content_block_start|delta|stop` with `text_delta` / `input_json_delta`, `message_delta` with
// the stop reason and output usage, `message_stop`, `ping`, in-stream `error`), and the error body
// `{ type: 'error', error: { type, message }, request_id }`.
import type {
  Message as AnthropicMessage,
  RawMessageStreamEvent,
  StopReason,
  Usage as AnthropicUsage,
} from '@anthropic-ai/sdk/resources/messages';
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

/** The Anthropic error body `{ type: 'error', error: { type, message }, request_id }`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

/** The Anthropic error body for a status, with the error type the real API uses for it. */
export function anthropicErrorBody(
  status: number,
  fields: { message?: string; type?: string; requestId?: string } = {},
): AnthropicErrorBody {
  const defaults = defaultErrorFields(status);
  return {
    type: 'error',
    error: { type: fields.type ?? defaults.type, message: fields.message ?? defaults.message },
    request_id: fields.requestId ?? 'req_mock',
  };
}

/** The Anthropic wire format: `POST /v1/messages`. */
export function anthropicMessagesFormat(): WireFormat {
  return {
    name: 'anthropic',
    errorBody: (status, message) => anthropicErrorBody(status, { message }),
    routes: [{ method: 'POST', path: '/v1/messages', handle: handleMessages }],
  };
}

function badRequest(context: RouteContext, message: string): void {
  sendJson(
    context,
    400,
    anthropicErrorBody(400, { message, requestId: requestId(context) }),
    requestIdHeader(context),
  );
}

async function handleMessages(context: RouteContext): Promise<void> {
  const { json } = context;
  if (!isRecord(json)) {
    badRequest(context, 'The request body is not valid JSON.');
    return;
  }
  // The real API requires these three; checking them lets tests prove clients send them.
  if (typeof json.model !== 'string' || json.model === '') {
    badRequest(context, 'model: Field required');
    return;
  }
  if (typeof json.max_tokens !== 'number' || !Number.isInteger(json.max_tokens)) {
    badRequest(context, 'max_tokens: Field required');
    return;
  }
  if (!Array.isArray(json.messages)) {
    badRequest(context, 'messages: Field required');
    return;
  }
  const roleError = checkMessages(json.messages as unknown[]);
  if (roleError) {
    badRequest(context, roleError);
    return;
  }
  const reply = await context.nextReply();
  switch (reply.type) {
    case 'text':
    case 'tool_calls':
      if (!(await sleep(reply.delayMs, context.signal))) return;
      if (context.request.stream) await streamMessage(context, reply);
      else sendJson(context, 200, buildMessage(context, reply), requestIdHeader(context));
      return;
    case 'error':
      await sendError(context, reply);
      return;
    case 'hang':
      return;
    case 'stream_then_fail':
      await streamThenFail(context, reply);
      return;
  }
}

/**
 * The structural rules of the Messages API that clients most often break: only `user` and
 * `assistant` roles, and every `tool_result` answering a `tool_use` of the assistant turn just
 * before it.
 */
function checkMessages(messages: unknown[]): string | undefined {
  let previousToolUses = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) return `messages.${i}: must be an object`;
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const blocks = Array.isArray(message.content) ? (message.content as unknown[]) : [];
    const toolUses = new Set<string>();
    for (const block of blocks) {
      if (!isRecord(block)) continue;
      if (block.type === 'tool_use' && typeof block.id === 'string') toolUses.add(block.id);
      if (block.type === 'tool_result') {
        if (message.role !== 'user')
          return `messages.${i}: tool_result blocks must be in a user turn`;
        if (typeof block.tool_use_id !== 'string' || !previousToolUses.has(block.tool_use_id)) {
          return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
    previousToolUses = toolUses;
  }
  return undefined;
}

async function sendError(context: RouteContext, reply: ScriptedErrorReply): Promise<void> {
  if (!(await sleep(reply.delayMs, context.signal))) return;
  const body = anthropicErrorBody(reply.status, {
    ...(reply.message === undefined ? {} : { message: reply.message }),
    ...(reply.errorType === undefined ? {} : { type: reply.errorType }),
    requestId: requestId(context),
  });
  sendJson(context, reply.status, body, { ...requestIdHeader(context), ...reply.headers });
}

interface ToolUse {
  id: string;
  name: string;
  /** The arguments' JSON text exactly as scripted (streamed as `partial_json`). */
  json: string;
}

function toolUsesOf(context: RouteContext, reply: ScriptedToolCallsReply): ToolUse[] {
  return reply.toolCalls.map((call, index) => ({
    id: call.id ?? `toolu_mock_${context.request.id}_${index}`,
    name: call.name,
    json: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
}

function parseInput(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // A real model cannot send invalid JSON in a non-streamed `input`; keep the text visible.
    return { __invalid_json__: json };
  }
}

function buildMessage(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
): AnthropicMessage {
  const toolUses = reply.type === 'tool_calls' ? toolUsesOf(context, reply) : [];
  const text = reply.content ?? '';
  const content: AnthropicMessage['content'] = [];
  if (text !== '' || toolUses.length === 0) content.push({ type: 'text', text, citations: null });
  for (const t of toolUses) {
    content.push({ type: 'tool_use', id: t.id, name: t.name, input: parseInput(t.json) } as never);
  }
  return {
    ...messageBase(context, reply.model),
    content,
    stop_reason: stopReasonOf(reply),
    usage: wireUsage(usageOf(context, reply, toolUses)),
  };
}

function messageBase(context: RouteContext, model: string | undefined) {
  return {
    id: `msg_mock_${context.request.id}`,
    type: 'message' as const,
    role: 'assistant' as const,
    model: modelOf(context, model),
    container: null,
    stop_sequence: null,
    stop_details: null,
    diagnostics: null,
  };
}

async function streamMessage(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
): Promise<void> {
  const { res, signal } = context;
  const toolUses = reply.type === 'tool_calls' ? toolUsesOf(context, reply) : [];
  const usage = usageOf(context, reply, toolUses);
  const send = async (
    event: RawMessageStreamEvent | { type: 'ping' },
    first = false,
    isText = false,
  ) =>
    (first || (await sleep(reply.chunkDelayMs, signal))) &&
    (isText ? markDeltaSent(context) : true) &&
    writeSse(res, signal, JSON.stringify(event), event.type);

  startSse(context, requestIdHeader(context));
  if (!(await send(messageStart(context, reply.model, usage.promptTokens), true))) return;
  if (!(await send({ type: 'ping' }))) return;
  let index = 0;
  const text = reply.content ?? '';
  if (text !== '' || toolUses.length === 0) {
    const start = { type: 'text' as const, text: '', citations: null };
    if (!(await send({ type: 'content_block_start', index, content_block: start }))) return;
    const maxChunk = reply.type === 'text' ? reply.maxChunkLength : undefined;
    for (const piece of splitIntoChunks(text, maxChunk)) {
      const delta = { type: 'text_delta' as const, text: piece };
      if (!(await send({ type: 'content_block_delta', index, delta }, false, true))) return;
    }
    if (!(await send({ type: 'content_block_stop', index }))) return;
    index += 1;
  }
  for (const t of toolUses) {
    const block = { type: 'tool_use', id: t.id, name: t.name, input: {} } as never;
    if (!(await send({ type: 'content_block_start', index, content_block: block }))) return;
    for (const piece of splitIntoChunks(t.json)) {
      const delta = { type: 'input_json_delta' as const, partial_json: piece };
      if (!(await send({ type: 'content_block_delta', index, delta }))) return;
    }
    if (!(await send({ type: 'content_block_stop', index }))) return;
    index += 1;
  }
  const messageDelta = {
    type: 'message_delta',
    delta: {
      stop_reason: stopReasonOf(reply),
      stop_sequence: null,
      stop_details: null,
      container: null,
    },
    usage: {
      output_tokens: usage.completionTokens,
      input_tokens: usage.promptTokens,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens_details: null,
      server_tool_use: null,
    },
  } as RawMessageStreamEvent;
  if (!(await send(messageDelta))) return;
  if (!(await send({ type: 'message_stop' }))) return;
  res.end();
}

function messageStart(
  context: RouteContext,
  model: string | undefined,
  promptTokens: number,
): RawMessageStreamEvent {
  return {
    type: 'message_start',
    message: {
      ...messageBase(context, model),
      content: [],
      stop_reason: null,
      // As the real API does: input tokens are known at the start, output tokens grow.
      usage: wireUsage({ promptTokens, completionTokens: 1, totalTokens: promptTokens + 1 }),
    },
  };
}

async function streamThenFail(
  context: RouteContext,
  reply: ScriptedStreamThenFailReply,
): Promise<void> {
  const { res, signal } = context;
  if (!context.request.stream) {
    context.drop();
    return;
  }
  const usage = resolveUsage(context.json, reply.content, undefined);
  startSse(context, requestIdHeader(context));
  const send = (event: RawMessageStreamEvent) =>
    writeSse(res, signal, JSON.stringify(event), event.type);
  if (!(await send(messageStart(context, undefined, usage.promptTokens)))) return;
  const start = { type: 'text' as const, text: '', citations: null };
  if (!(await send({ type: 'content_block_start', index: 0, content_block: start }))) return;
  for (const piece of splitIntoChunks(reply.content).slice(0, reply.failAfterChunks)) {
    if (!(await sleep(reply.chunkDelayMs, signal))) return;
    const delta = { type: 'text_delta' as const, text: piece };
    if (!(await send({ type: 'content_block_delta', index: 0, delta }))) return;
  }
  if (reply.error) {
    const body = anthropicErrorBody(500, {
      type: reply.error.type,
      ...(reply.error.message === undefined ? {} : { message: reply.error.message }),
      requestId: requestId(context),
    });
    if (await writeSse(res, signal, JSON.stringify(body), 'error')) res.end();
    return;
  }
  context.drop();
}

function usageOf(
  context: RouteContext,
  reply: ScriptedTextReply | ScriptedToolCallsReply,
  toolUses: ToolUse[],
): ResolvedUsage {
  const completionText = [reply.content ?? '', ...toolUses.flatMap((t) => [t.name, t.json])].join(
    ' ',
  );
  return resolveUsage(context.json, completionText, reply.usage);
}

function wireUsage(usage: ResolvedUsage): AnthropicUsage {
  return {
    input_tokens: usage.promptTokens,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
  } as AnthropicUsage;
}

/** Scripts speak the neutral (OpenAI) finish reasons; map them to Anthropic stop reasons. */
function stopReasonOf(reply: ScriptedTextReply | ScriptedToolCallsReply): StopReason {
  const neutral = reply.finishReason ?? (reply.type === 'text' ? 'stop' : 'tool_calls');
  const map: Record<string, StopReason> = {
    stop: 'end_turn',
    tool_calls: 'tool_use',
    length: 'max_tokens',
  };
  return (map[neutral] ?? neutral) as StopReason;
}

function modelOf(context: RouteContext, model: string | undefined): string {
  if (model !== undefined) return model;
  const requested = isRecord(context.json) ? context.json.model : undefined;
  return typeof requested === 'string' && requested !== '' ? requested : 'mock-model';
}

function requestId(context: RouteContext): string {
  return `req_mock_${context.request.id}`;
}

function requestIdHeader(context: RouteContext): Record<string, string> {
  return { 'request-id': requestId(context) };
}

function defaultErrorFields(status: number): { type: string; message: string } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', message: 'Invalid request.' };
    case 401:
      return { type: 'authentication_error', message: 'invalid x-api-key' };
    case 403:
      return { type: 'permission_error', message: 'Your API key does not have permission.' };
    case 404:
      return { type: 'not_found_error', message: 'model: not found' };
    case 413:
      return { type: 'request_too_large', message: 'Request exceeds the maximum allowed size.' };
    case 429:
      return {
        type: 'rate_limit_error',
        message: 'Number of requests has exceeded your rate limit.',
      };
    case 529:
      return { type: 'overloaded_error', message: 'Overloaded' };
    default:
      return status >= 500
        ? { type: 'api_error', message: 'Internal server error' }
        : { type: 'invalid_request_error', message: `Request failed with status ${status}.` };
  }
}
