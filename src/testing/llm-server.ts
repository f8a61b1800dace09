// Node side (tests, demo): a scriptable local LLM server that speaks provider wire formats over
// HTTP, so the official provider SDKs run unchanged against it. Uses only `node:http`.
// Layout: llm-server/core.ts is the wire-neutral script (queue, handler, request log, usage);
// llm-server/openai-chat.ts renders OpenAI Chat Completions; another provider (e.g. Anthropic
// `POST /v1/messages`) is one more WireFormat module added to WIRE_FORMATS below.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ReplyScript,
  isRecord,
  type RecordedRequest,
  type ReplyHandler,
  type ScriptedReply,
} from './llm-server/core';
import {
  readBody,
  sendJson,
  type MockRoute,
  type RouteContext,
  type WireFormat,
} from './llm-server/http';
import { openAIChatFormat, openAIErrorBody } from './llm-server/openai-chat';
import { anthropicMessagesFormat } from './llm-server/anthropic-messages';
import { durationMs, type Duration } from '../core/durations';

export {
  countWords,
  defaultReplyHandler,
  lastUserText,
  type RecordedRequest,
  type ReplyHandler,
  type ScriptedErrorReply,
  type ScriptedHangReply,
  type ScriptedReply,
  type ScriptedStreamThenFailReply,
  type ScriptedTextReply,
  type ScriptedToolCall,
  type ScriptedToolCallsReply,
  type ScriptedUsage,
} from './llm-server/core';
export {
  MOCK_OPENAI_MODELS,
  openAIErrorBody,
  type OpenAIErrorBody,
} from './llm-server/openai-chat';
export { anthropicErrorBody, type AnthropicErrorBody } from './llm-server/anthropic-messages';

/** Options of `startMockLLMServer`. */
export interface MockLLMServerOptions {
  /** TCP port to listen on; 0 picks a free port. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
}

/** A running mock LLM server. See `startMockLLMServer`. */
export interface MockLLMServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `url + '/v1'`: pass as `baseURL` to `new OpenAI({ apiKey, baseURL, maxRetries: 0 })`. */
  readonly openaiBaseURL: string;
  /**
   * `url` itself: pass as `baseURL` to `new Anthropic({ apiKey, baseURL, maxRetries: 0 })` (the
   * Anthropic SDK appends `/v1/messages`).
   */
  readonly anthropicBaseURL: string;
  /**
   * Every request received since the last `reset()`, in arrival order (model, models-list, unknown
   * routes and bad requests alike). Records are updated in place as requests complete.
   */
  readonly requests: RecordedRequest[];
  /** Number of enqueued replies not consumed yet. */
  readonly queueLength: number;
  /**
   * Queues replies (FIFO); each model request (e.g. `POST /v1/chat/completions`) consumes one.
   * Requests rejected before the model runs (bad JSON, no `messages`) consume none.
   * @throws TypeError if a reply is malformed (checked now, not when it is played).
   */
  enqueue(...replies: ScriptedReply[]): void;
  /**
   * Sets the reply handler used when the queue is empty (`undefined` restores the default: a
   * deterministic text reply quoting the last user message). A handler that throws yields a 500.
   */
  setHandler(handler: ReplyHandler | undefined): void;
  /** Clears the queue, the handler override and the recorded requests. Open requests stay open. */
  reset(): void;
  /**
   * Resolves once `predicate(requests)` is true; it is re-checked on every change to the request
   * log. Rejects after `timeout` (a duration, or milliseconds) with a summary of the recorded
   * requests.
   * @param timeout @default '5s'
   */
  waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeout?: Duration): Promise<void>;
  /**
   * Stops listening and destroys every open connection, hanging requests included (their records
   * show `dropped: true`). Idempotent.
   */
  close(): Promise<void>;
}

const WIRE_FORMATS: readonly (() => WireFormat)[] = [openAIChatFormat, anthropicMessagesFormat];

/**
 * Starts a local HTTP server that speaks the OpenAI Chat Completions (`POST /v1/chat/completions`)
 * and Anthropic Messages (`POST /v1/messages`) wire formats (JSON and SSE streaming, tool calls,
 * usage, errors, rate limits, hangs, dropped streams), driven by one queue of scripted replies. For tests and offline demos; binds 127.0.0.1 on a free port by default.
 *
 * @example
 * const llm = await startMockLLMServer();
 * llm.enqueue({ type: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
 * const openai = new OpenAI({ apiKey: 'test', baseURL: llm.openaiBaseURL, maxRetries: 0 });
 * // ... run the code under test ...
 * await llm.close();
 */
export async function startMockLLMServer(
  options: MockLLMServerOptions = {},
): Promise<MockLLMServer> {
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`startMockLLMServer: port must be an integer 0-65535, got ${String(port)}`);
  }

  const script = new ReplyScript();
  const formats = WIRE_FORMATS.map((create) => create());
  const routes = new Map<string, { route: MockRoute; format: WireFormat }>();
  for (const format of formats) {
    for (const route of format.routes)
      routes.set(`${route.method} ${route.path}`, { route, format });
  }
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer((req, res) => {
    void dispatch(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const path = new URL(req.url ?? '/', 'http://mock.invalid').pathname;
    const controller = new AbortController();
    let dropped = false;
    // Recorded once the body is read, so a record never shows a body that is still arriving.
    let request: RecordedRequest | undefined = undefined;
    const finish = () => {
      controller.abort();
      if (!request) return;
      request.completedAt = Date.now();
      if (request.status === undefined && res.headersSent) request.status = res.statusCode;
      if (!res.writableFinished) {
        if (dropped || closing) request.dropped = true;
        else request.aborted = true;
      }
      script.changed();
    };
    res.on('close', finish);

    let rawBody = '';
    try {
      rawBody = await readBody(req);
    } catch {
      // The client went away while sending the body; record what we know.
    }
    const json = parseJson(rawBody);
    request = script.record({
      method: req.method ?? 'GET',
      path,
      headers: { ...req.headers },
      body: rawBody === '' ? undefined : (json ?? rawBody),
      stream: isRecord(json) && json.stream === true,
      receivedAt,
    });
    // The connection may already be gone (closed while the body was read).
    if (res.destroyed || controller.signal.aborted) {
      finish();
      return;
    }

    const context: RouteContext = {
      req,
      res,
      request,
      rawBody,
      json,
      signal: controller.signal,
      nextReply: () => script.next(context.request),
      drop: () => {
        dropped = true;
        req.socket.destroy();
      },
    };
    const match = routes.get(`${context.request.method} ${path}`);
    if (!match) {
      const known = [...routes.keys()].join(', ');
      sendJson(
        context,
        404,
        openAIErrorBody(404, {
          message: `Invalid URL (${context.request.method} ${path}). The mock LLM server serves: ${known}.`,
          code: 'unknown_url',
        }),
      );
      return;
    }
    try {
      await match.route.handle(context);
    } catch (error) {
      const message = `Mock LLM server: the scripted reply failed: ${error instanceof Error ? error.message : String(error)}`;
      if (res.headersSent) context.drop();
      else sendJson(context, 500, match.format.errorBody(500, message));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    get requests() {
      return script.requests;
    },
    get queueLength() {
      return script.queueLength;
    },
    enqueue: (...replies) => script.enqueue(replies),
    setHandler: (handler) => script.setHandler(handler),
    reset: () => script.reset(),
    waitFor: (predicate, timeout) =>
      script.waitFor(predicate, durationMs(timeout ?? '5s', 'timeout', 'INVALID_INPUT')),
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging and keep-alive connections would keep close() waiting forever.
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
