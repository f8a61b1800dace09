// Node side (tests, demo): HTTP plumbing shared by the mock LLM server's wire formats.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RecordedRequest, ScriptedReply } from './core';

/** What a wire-format route gets for one request. */
export interface RouteContext {
  /** The Node request (body already read). */
  req: IncomingMessage;
  /** The Node response. */
  res: ServerResponse;
  /** The request's record; `status` and the end state are filled in by the server. */
  request: RecordedRequest;
  /** The raw body text. */
  rawBody: string;
  /** The body parsed as JSON, or `undefined` when it is not valid JSON. */
  json: unknown;
  /** Aborted when the connection of this request closes (client abort, drop or server close). */
  signal: AbortSignal;
  /** The scripted reply for this model request (consumes one queued reply). */
  nextReply(): Promise<ScriptedReply>;
  /** Cuts the connection on purpose; the record shows `dropped: true`, not `aborted`. */
  drop(): void;
}

/** One route of a wire format, matched on method and exact path. */
export interface MockRoute {
  /** HTTP method, upper case. */
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Answers the request. May leave it open (`hang`). */
  handle(context: RouteContext): Promise<void>;
}

/** A provider's wire format: the routes it serves and its error body shape. */
export interface WireFormat {
  /** Short name, for messages. */
  name: string;
  /** The routes it serves. */
  routes: MockRoute[];
  /** The provider's JSON error body for a failure the server itself detects. */
  errorBody(status: number, message: string): unknown;
}

/** Writes a JSON response and records its status (ignored if the connection is already gone). */
export function sendJson(
  context: Pick<RouteContext, 'res' | 'request'>,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const { res, request } = context;
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  request.status = status;
  res.end(text);
}

/** Sends the headers of a 200 response with a body of the given type, to be written piece by piece. */
export function startBody(
  context: Pick<RouteContext, 'res' | 'request'>,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const { res, request } = context;
  if (res.destroyed || res.headersSent) return;
  res.writeHead(200, { ...headers, 'content-type': contentType });
  request.status = 200;
  // Send the headers now so a client sees the response start before the first (delayed) piece.
  res.flushHeaders();
}

/** Starts a Server-Sent Events response. */
export function startSse(
  context: Pick<RouteContext, 'res' | 'request'>,
  headers: Record<string, string> = {},
): void {
  startBody(context, 'text/event-stream; charset=utf-8', {
    ...headers,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

/**
 * Writes raw body text; resolves true once it is handed to the socket, false if the connection is
 * gone. Waiting for the flush matters before a deliberate drop, which would discard buffered data.
 */
export function writeFlushed(
  res: ServerResponse,
  text: string,
  signal: AbortSignal,
): Promise<boolean> {
  if (res.destroyed || res.writableEnded || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    // A write callback may never run once the socket is gone, so the close signal also settles it.
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(text, (error) => {
      signal.removeEventListener('abort', onAbort);
      resolve(!error);
    });
  });
}

/** Writes one SSE event (`data:` line, optional `event:` line); resolves false once the connection is gone. */
export function writeSse(
  res: ServerResponse,
  signal: AbortSignal,
  data: string,
  event?: string,
): Promise<boolean> {
  const prefix = event === undefined ? '' : `event: ${event}\n`;
  return writeFlushed(res, `${prefix}data: ${data}\n\n`, signal);
}

/** Resolves after `ms`, or at once (false) when the signal aborts; true if the full time passed. */
export function sleep(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (!ms) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads the whole request body as UTF-8 text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Records that a streamed text delta is about to be written (`request.deltaSentAt`, for latency
 * measurements). Returns true so it can sit in a chain of `&&`.
 */
export function markDeltaSent(context: Pick<RouteContext, 'request'>): true {
  (context.request.deltaSentAt ??= []).push(performance.now());
  return true;
}
