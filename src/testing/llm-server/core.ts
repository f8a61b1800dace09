// Node side (tests, demo): the wire-format-neutral part of the mock LLM server — scripted replies,
// the request log, waiting on it, and deterministic usage. Each wire format (openai-chat.ts, later
// anthropic-messages.ts) turns a ScriptedReply into its own JSON/SSE shapes.

/** Token counts a scripted reply may pin; any field left out is estimated from word counts. */
export interface ScriptedUsage {
  /** Tokens of the request (prompt). @default the number of words in the request's messages */
  promptTokens?: number;
  /** Tokens of the reply (completion). @default the number of words in the reply */
  completionTokens?: number;
  /** @default promptTokens + completionTokens */
  totalTokens?: number;
}

/** One tool call the mock model makes. */
export interface ScriptedToolCall {
  /** Tool-call id. @default `call_mock_<requestId>_<index>` */
  id?: string;
  /** Name of the tool (function) to call. */
  name: string;
  /**
   * The call's arguments. An object is JSON-encoded; a string is sent verbatim, so malformed JSON
   * can be injected to test argument validation.
   */
  arguments: string | Record<string, unknown>;
}

/** A plain assistant text reply. */
export interface ScriptedTextReply {
  type: 'text';
  /** The assistant's text. */
  content: string;
  /** Pinned token counts. @default estimated from word counts */
  usage?: ScriptedUsage;
  /** Model name in the reply. @default the request's `model`, else `mock-model` */
  model?: string;
  /** Finish reason in the reply (`stop`, `length`, `content_filter`, ...). @default 'stop' */
  finishReason?: string;
  /** Wait this long before sending the response headers. @default 0 */
  delayMs?: number;
  /** Wait this long between two streamed chunks. @default 0 */
  chunkDelayMs?: number;
  /**
   * Longest streamed text chunk, in code units (real providers sometimes send large ones).
   * @default 8
   */
  maxChunkLength?: number;
}

/** An assistant reply that calls one or more tools (several = parallel tool calls). */
export interface ScriptedToolCallsReply {
  type: 'tool_calls';
  /** The calls, in order; must not be empty. */
  toolCalls: ScriptedToolCall[];
  /** Optional assistant text sent alongside the calls. @default null content */
  content?: string;
  /** Pinned token counts. @default estimated from word counts */
  usage?: ScriptedUsage;
  /** Model name in the reply. @default the request's `model`, else `mock-model` */
  model?: string;
  /** Finish reason in the reply. @default 'tool_calls' */
  finishReason?: string;
  /** Wait this long before sending the response headers. @default 0 */
  delayMs?: number;
  /** Wait this long between two streamed chunks. @default 0 */
  chunkDelayMs?: number;
}

/** An HTTP error response with the provider's error body. */
export interface ScriptedErrorReply {
  type: 'error';
  /** HTTP status, 400-599 (429 = rate limit, 5xx = provider failure). */
  status: number;
  /** Extra response headers, e.g. `{ 'retry-after': '1' }`. @default {} */
  headers?: Record<string, string>;
  /** Error message. @default a message derived from the status */
  message?: string;
  /** Error `type` in the body. @default derived from the status (e.g. `server_error`) */
  errorType?: string;
  /** Error `code` in the body. @default derived from the status, else null */
  code?: string;
  /** Error `param` in the body. @default null */
  param?: string;
  /** Wait this long before answering. @default 0 */
  delayMs?: number;
}

/** Never answers: the request stays open until the client aborts or the server closes. */
export interface ScriptedHangReply {
  type: 'hang';
}

/**
 * Starts a successful reply, then cuts the connection. Streaming: sends the opening chunk and
 * `failAfterChunks` content deltas, then destroys the socket. Non-streaming: destroys the socket
 * before any response (the client sees a connection error).
 */
export interface ScriptedStreamThenFailReply {
  type: 'stream_then_fail';
  /** The text the stream would have carried. */
  content: string;
  /** How many content deltas to send before cutting the connection (integer >= 0). */
  failAfterChunks: number;
  /** Wait this long between two streamed chunks. @default 0 */
  chunkDelayMs?: number;
  /**
   * Instead of cutting the connection, end the stream with the provider's in-stream error event
   * (OpenAI: a `data: {"error": …}` chunk; Anthropic: `event: error`), as providers do when they
   * fail after the response started. @default cut the connection
   */
  error?: { type: string; message?: string };
}

/** What the mock model does for one request. One reply is consumed per model request. */
export type ScriptedReply =
  | ScriptedTextReply
  | ScriptedToolCallsReply
  | ScriptedErrorReply
  | ScriptedHangReply
  | ScriptedStreamThenFailReply;

/** One HTTP request the server received, updated in place while it is answered. */
export interface RecordedRequest {
  /** 1-based, increasing over the server's lifetime (not reset by `reset()`). */
  id: number;
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request headers as Node parsed them (lower-case names), `authorization` included. */
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or the raw string if it is not JSON (`undefined` when empty). */
  body: unknown;
  /** Whether the body asked for a streamed (SSE) reply (`"stream": true`). */
  stream: boolean;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
  /** `Date.now()` when the connection for this request ended (response done, aborted or dropped). */
  completedAt?: number;
  /** True when the client closed the connection before the response was finished. */
  aborted: boolean;
  /** True when the server cut the connection on purpose (`stream_then_fail`, or `close()` while open). */
  dropped: boolean;
  /** HTTP status sent, once the headers went out. */
  status?: number;
  /** The scripted reply used for this request, for model routes. */
  reply?: ScriptedReply;
  /**
   * Streams: `performance.now()` (this process's clock) just before each text delta was written,
   * in order, for measuring delivery latency.
   */
  deltaSentAt?: number[];
}

/** Decides the reply for a request when the queue is empty. */
export type ReplyHandler = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

/**
 * The text of the last user message that has text, for OpenAI chat and Anthropic messages bodies
 * alike (`messages[].content` as a string or an array of `{ type: 'text', text }` parts).
 */
export function lastUserText(body: unknown): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.messages)) return undefined;
  const messages: unknown[] = body.messages;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (!isRecord(message) || message.role !== 'user') continue;
    const text = contentText(message.content);
    if (text !== '') return text;
  }
  return undefined;
}

/**
 * The default reply: deterministic text quoting the last user message, enough for an offline
 * demo to hold a conversation (and to end a tool loop, since it never calls a tool).
 */
export const defaultReplyHandler: ReplyHandler = (request) => {
  const text = lastUserText(request.body);
  return {
    type: 'text',
    content:
      text === undefined
        ? 'Hello from the mock LLM. Send a user message and I will quote it back.'
        : `You said: "${text}". (This is a deterministic reply from the mock LLM.)`,
  };
};

/** Rough, deterministic token estimate: the number of whitespace-separated words, at least 1. */
export function countWords(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(1, words);
}

/** All text in a request's messages (contents and tool-call arguments), for the prompt estimate. */
export function requestText(body: unknown): string {
  if (!isRecord(body)) return typeof body === 'string' ? body : '';
  const parts: string[] = [];
  if (typeof body.system === 'string') parts.push(body.system);
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as unknown[]) {
      if (!isRecord(message)) continue;
      parts.push(contentText(message.content));
      if (Array.isArray(message.tool_calls)) {
        for (const call of message.tool_calls as unknown[]) {
          if (isRecord(call) && isRecord(call.function)) {
            const { name, arguments: args } = call.function;
            if (typeof name === 'string') parts.push(name);
            if (typeof args === 'string') parts.push(args);
          }
        }
      }
    }
  }
  return parts.join(' ');
}

/** Resolved token counts of one reply. */
export interface ResolvedUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Token counts of a reply: pinned values win, the rest are word-count estimates. */
export function resolveUsage(
  body: unknown,
  completionText: string,
  pinned: ScriptedUsage | undefined,
): ResolvedUsage {
  const promptTokens = pinned?.promptTokens ?? countWords(requestText(body));
  const completionTokens = pinned?.completionTokens ?? countWords(completionText);
  return {
    promptTokens,
    completionTokens,
    totalTokens: pinned?.totalTokens ?? promptTokens + completionTokens,
  };
}

/**
 * Splits text into small deterministic pieces for streaming: words with their leading whitespace,
 * and no piece longer than `maxLength` characters (so JSON arguments without spaces split too).
 * Joining the pieces gives back the text exactly.
 */
export function splitIntoChunks(text: string, maxLength = 8): string[] {
  const pieces: string[] = [];
  for (const word of text.match(/\s*\S+|\s+$/g) ?? []) {
    for (let i = 0; i < word.length; i += maxLength) pieces.push(word.slice(i, i + maxLength));
  }
  return pieces;
}

/** Throws a clear error for a reply that cannot be played, when it is scripted rather than later. */
export function validateReply(reply: ScriptedReply): void {
  const fail = (why: string): never => {
    throw new TypeError(`Invalid scripted reply ${JSON.stringify(reply)}: ${why}`);
  };
  const nonNegative = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      fail(`${name} must be a finite number >= 0`);
    }
  };
  switch (reply.type) {
    case 'text':
      if (typeof reply.content !== 'string') fail('content must be a string');
      nonNegative('delayMs', reply.delayMs);
      nonNegative('chunkDelayMs', reply.chunkDelayMs);
      if (
        reply.maxChunkLength !== undefined &&
        !(Number.isInteger(reply.maxChunkLength) && reply.maxChunkLength >= 1)
      ) {
        fail('maxChunkLength must be an integer >= 1');
      }
      return;
    case 'tool_calls':
      if (!Array.isArray(reply.toolCalls) || reply.toolCalls.length === 0) {
        fail('toolCalls must be a non-empty array');
      }
      for (const call of reply.toolCalls) {
        if (typeof call.name !== 'string' || call.name === '') fail('every tool call needs a name');
      }
      nonNegative('delayMs', reply.delayMs);
      nonNegative('chunkDelayMs', reply.chunkDelayMs);
      return;
    case 'error':
      if (!Number.isInteger(reply.status) || reply.status < 400 || reply.status > 599) {
        fail('status must be an integer HTTP error status (400-599)');
      }
      nonNegative('delayMs', reply.delayMs);
      return;
    case 'hang':
      return;
    case 'stream_then_fail':
      if (typeof reply.content !== 'string') fail('content must be a string');
      if (!Number.isInteger(reply.failAfterChunks) || reply.failAfterChunks < 0) {
        fail('failAfterChunks must be an integer >= 0');
      }
      nonNegative('chunkDelayMs', reply.chunkDelayMs);
      return;
    default:
      fail(`unknown type ${JSON.stringify((reply as { type?: unknown }).type)}`);
  }
}

/**
 * The script shared by every wire format: a FIFO queue of replies, a fallback handler, and the
 * request log with change notification (so tests wait on conditions instead of sleeping).
 */
export class ReplyScript {
  /** Every request received since the last `reset()`, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private handler: ReplyHandler | undefined;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  /** Number of scripted replies not consumed yet. */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Appends replies to the queue after validating each one. */
  enqueue(replies: ScriptedReply[]): void {
    for (const reply of replies) validateReply(reply);
    this.queue.push(...replies);
  }

  /** Sets (or with `undefined`, removes) the handler used when the queue is empty. */
  setHandler(handler: ReplyHandler | undefined): void {
    this.handler = handler;
  }

  /** Clears the queue, the handler override and the request log. */
  reset(): void {
    this.queue.length = 0;
    this.handler = undefined;
    this.requests.length = 0;
    this.changed();
  }

  /** Creates and logs the record of a newly arrived request. */
  record(fields: Omit<RecordedRequest, 'id' | 'aborted' | 'dropped'>): RecordedRequest {
    const request: RecordedRequest = {
      id: this.nextId++,
      aborted: false,
      dropped: false,
      ...fields,
    };
    this.requests.push(request);
    this.changed();
    return request;
  }

  /** The reply for a model request: the queue head, else the handler, else the default. */
  async next(request: RecordedRequest): Promise<ScriptedReply> {
    const queued = this.queue.shift();
    const reply = queued ?? (await (this.handler ?? defaultReplyHandler)(request));
    if (queued === undefined) validateReply(reply);
    request.reply = reply;
    this.changed();
    return reply;
  }

  /** Tells waiters that the request log (or a record in it) changed. */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves once `predicate(requests)` holds; rejects after `timeoutMs` with what was seen. */
  waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        try {
          if (!predicate(this.requests)) return false;
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return true;
        }
        finish();
        resolve();
        return true;
      };
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        finish();
        const seen = this.requests
          .map(
            (r) =>
              `#${r.id} ${r.method} ${r.path} status=${r.status ?? '-'}` +
              `${r.aborted ? ' aborted' : ''}${r.dropped ? ' dropped' : ''}` +
              `${r.completedAt === undefined ? ' open' : ''}`,
          )
          .join('; ');
        reject(
          new Error(
            `Mock LLM server: waitFor condition not met within ${timeoutMs} ms ` +
              `(${this.requests.length} request(s) recorded${seen ? `: ${seen}` : ''})`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }
}

/** Narrows to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as unknown[])
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join(' ');
}
