// Node side (and any fetch runtime): a small client of the HTTP API, used by the `agent-runtime`
// CLI and usable from scripts: JSON calls with typed errors, and a run's events over SSE that
// resumes with `Last-Event-ID` when the connection drops.
import { isTerminalEventType } from '../core/events';
import type { RunEvent } from '../core/types';

/** A failed API call: the HTTP status and the server's error `code`. */
export class AgentApiError extends Error {
  constructor(
    /** HTTP status (0: no answer, e.g. connection refused). */
    readonly status: number,
    /** The server's error code (`INVALID_INPUT`, `FORBIDDEN`, …; `NETWORK_ERROR` without an answer). */
    readonly code: string,
    message: string,
    /** The error's details, as the server sent them. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AgentApiError';
  }
}

/** Options of `AgentApiClient`. */
export interface AgentApiClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Bearer token. @default none */
  token?: string;
  /** How often `events()` reconnects after a dropped stream before it gives up. @default 10 */
  maxReconnects?: number;
}

/** One event as the SSE stream delivers it: its SSE id and the run event. */
export interface StreamedRunEvent {
  id: string;
  event: RunEvent;
}

/** A client of `createAgentApp`'s API. */
export class AgentApiClient {
  private readonly base: string;

  constructor(private readonly options: AgentApiClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  /** One JSON call; throws `AgentApiError` for a non-2xx answer. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new AgentApiError(
        0,
        'NETWORK_ERROR',
        `Cannot reach ${this.base}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page): reported below with the status.
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: unknown } })?.error;
      throw new AgentApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? `${method} ${path}: HTTP ${res.status}`,
        (e?.details as Record<string, unknown>) ?? {},
      );
    }
    return json as T;
  }

  /** `POST /runs`. */
  startRun(body: {
    agent: string;
    message?: string;
    messages?: { role: string; content: string | null }[];
    runId?: string;
    conversationId?: string;
    params?: Record<string, unknown>;
  }): Promise<Record<string, unknown> & { runId: string }> {
    return this.request('POST', '/runs', body);
  }

  /** `GET /runs/:runId`. */
  getRun(runId: string): Promise<Record<string, unknown>> {
    return this.request('GET', `/runs/${encodeURIComponent(runId)}`);
  }

  /** `GET /runs`. */
  listRuns(q: { agent?: string; status?: string; limit?: number } = {}): Promise<{
    runs: Record<string, unknown>[];
  }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.request('GET', `/runs${qs ? `?${qs}` : ''}`);
  }

  /** `POST /runs/:runId/cancel`. */
  cancelRun(runId: string): Promise<Record<string, unknown>> {
    return this.request('POST', `/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** Approves (or with `approved: false`, rejects) a tool call waiting for a human. */
  decide(
    runId: string,
    toolCallId: string,
    approved: boolean,
    reason?: string,
  ): Promise<Record<string, unknown>> {
    return this.request(
      'POST',
      `/runs/${encodeURIComponent(runId)}/tool-calls/${encodeURIComponent(toolCallId)}/${approved ? 'approve' : 'reject'}`,
      reason === undefined ? {} : { reason },
    );
  }

  /**
   * The run's events, in order, each once, ending after the terminal event. A dropped stream is
   * resumed with `Last-Event-ID` (up to `maxReconnects` times in a row).
   */
  async *events(
    runId: string,
    options: { after?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<StreamedRunEvent, void, undefined> {
    let last = options.after;
    let failures = 0;
    const max = this.options.maxReconnects ?? 10;
    for (;;) {
      const state = { ended: false };
      try {
        for await (const item of this.streamOnce(runId, last, options.signal, state)) {
          failures = 0;
          last = item.id;
          yield item;
          if (isTerminalEventType(item.event.type)) state.ended = true;
        }
        if (state.ended) return;
        // A stream that ends without the terminal event was cut: resume.
      } catch (err) {
        if (err instanceof AgentApiError && err.status !== 0) throw err;
        if (options.signal?.aborted) throw err;
      }
      failures += 1;
      if (failures > max) {
        throw new AgentApiError(
          0,
          'NETWORK_ERROR',
          `The event stream of run ${runId} dropped ${failures} times in a row`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 5000)));
    }
  }

  private async *streamOnce(
    runId: string,
    after: string | undefined,
    signal: AbortSignal | undefined,
    state: { ended: boolean },
  ): AsyncGenerator<StreamedRunEvent, void, undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/runs/${encodeURIComponent(runId)}/events`, {
        headers: this.headers({
          accept: 'text/event-stream',
          ...(after ? { 'last-event-id': after } : {}),
        }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new AgentApiError(0, 'NETWORK_ERROR', (err as Error).message);
    }
    if (res.status === 204) {
      // Nothing follows the event we resumed after: the run has ended.
      state.ended = true;
      return;
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let e: { code?: string; message?: string } | undefined;
      try {
        e = (JSON.parse(text) as { error?: typeof e }).error;
      } catch {
        e = undefined;
      }
      throw new AgentApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? `HTTP ${res.status}`,
      );
    }
    for await (const message of parseSse(res.body)) {
      if (message.event === 'error') {
        const e = (JSON.parse(message.data) as { error: { code: string; message: string } }).error;
        throw new AgentApiError(502, e.code, e.message);
      }
      if (message.id === undefined || !message.data) continue;
      yield { id: message.id, event: JSON.parse(message.data) as RunEvent };
    }
  }
}

/** One parsed Server-Sent Events message. */
interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Parses an SSE byte stream into messages (comments and `retry:` skipped). */
async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const msg: SseMessage = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'id') msg.id = value;
          else if (field === 'event') msg.event = value;
          else if (field === 'data') data.push(value);
        }
        msg.data = data.join('\n');
        if (msg.data || msg.event) yield msg;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
