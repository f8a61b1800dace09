// Node side: turns provider SDK errors into typed AgentRuntimeErrors, the same way for every provider.
import { AgentRuntimeError, type ErrorCode } from '../core/errors';

/** The parts of an HTTP error that classification looks at. */
export interface HttpErrorLike {
  status?: number;
  headers?: Headers | Record<string, string | null | undefined> | null;
  message?: string;
  code?: string | null;
  type?: string | null;
}

function header(headers: HttpErrorLike['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | null | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  return key ? (rec[key] ?? undefined) : undefined;
}

/** Seconds to wait before retrying, from `retry-after-ms` or `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(
  headers: HttpErrorLike['headers'],
  now = Date.now(),
): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms)))
    return Math.max(0, Number(ms) / 1000);
  const ra = header(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  if (Number.isFinite(Number(ra))) return Math.max(0, Number(ra));
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/**
 * Removes anything that looks like a credential from provider text, since provider error messages
 * sometimes quote part of the key and errors end up in workflow history.
 */
export function redactSecrets(text: string): string {
  return (
    text
      .replace(/\b(sk-ant-)[A-Za-z0-9_*-]+/g, '$1[redacted]')
      .replace(/\b(sk|rk|pk)-(?!ant-\[redacted\])[A-Za-z0-9_*-]{6,}/g, '$1-[redacted]')
      .replace(/(Bearer\s+)[A-Za-z0-9._-]+/gi, '$1[redacted]')
      // Credentials in a URL's userinfo (`https://user:key@host`).
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@')
  );
}

const CONTEXT_TOO_LONG = /context[_ ]length|maximum context|too many tokens|prompt is too long/i;

/** Maps an HTTP status (and provider hints) to an error code. */
export function codeForStatus(status: number, hint = ''): ErrorCode {
  if (status === 429) return 'LLM_RATE_LIMITED';
  if (status === 529 || status === 503) return 'LLM_OVERLOADED';
  if (status === 408) return 'LLM_TIMEOUT';
  if (status === 409 || status >= 500) return 'LLM_SERVER_ERROR';
  if (status === 401 || status === 403) return 'LLM_AUTH_ERROR';
  if (status === 404) return 'LLM_NOT_FOUND';
  if (status === 413 || ((status === 400 || status === 422) && CONTEXT_TOO_LONG.test(hint)))
    return 'LLM_CONTEXT_TOO_LONG';
  if (status === 400 || status === 422) return 'LLM_BAD_REQUEST';
  return 'LLM_ERROR';
}

const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  LLM_RATE_LIMITED: 'rate limited by the provider',
  LLM_OVERLOADED: 'the provider is overloaded',
  LLM_SERVER_ERROR: 'the provider had a server error',
  LLM_TIMEOUT: 'the request timed out',
  LLM_AUTH_ERROR:
    'the provider rejected the API key (check OPENAI_API_KEY / ANTHROPIC_API_KEY on the worker)',
  LLM_NOT_FOUND: 'the model or endpoint was not found',
  LLM_BAD_REQUEST: 'the provider rejected the request',
  LLM_CONTEXT_TOO_LONG: "the prompt is longer than the model's context window",
};

/** Builds the typed error for an HTTP error answer of a provider. */
export function httpError(
  provider: string,
  err: HttpErrorLike,
  cause?: unknown,
): AgentRuntimeError {
  const status = err.status ?? 0;
  const providerMessage = redactSecrets(err.message ?? '');
  const code = codeForStatus(status, `${err.code ?? ''} ${err.type ?? ''} ${providerMessage}`);
  // `x-should-retry` is the provider telling us explicitly; it wins over the status table.
  const shouldRetry = header(err.headers, 'x-should-retry');
  const retryAfterSeconds = parseRetryAfter(err.headers);
  return new AgentRuntimeError(
    code,
    `${provider}: ${DESCRIPTIONS[code] ?? 'request failed'} (HTTP ${status})${providerMessage ? `: ${providerMessage}` : ''}`,
    {
      details: { provider, status, ...(err.code ? { providerCode: err.code } : {}) },
      cause,
      ...(shouldRetry === 'true'
        ? { retryable: true }
        : shouldRetry === 'false'
          ? { retryable: false }
          : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    },
  );
}

/** A connection failure or timeout: always worth retrying. */
export function connectionError(
  provider: string,
  message: string,
  cause?: unknown,
): AgentRuntimeError {
  return new AgentRuntimeError(
    'LLM_TIMEOUT',
    `${provider}: connection failed or timed out: ${redactSecrets(message)}`,
    {
      details: { provider },
      cause,
    },
  );
}

/**
 * Whether an error that is not a provider SDK error is a network failure: a stream cut in the
 * middle of the body (undici reports `TypeError: terminated`), a reset or refused socket.
 */
export function isNetworkFailure(err: unknown): boolean {
  // Duck-typed: errors from fetch may come from another realm, where `instanceof Error` fails.
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e.cause?.code === 'string' ? e.cause.code : '';
  return (
    /^(UND_ERR|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)/.test(code) ||
    (e.name === 'TypeError' &&
      typeof e.message === 'string' &&
      /terminated|fetch failed|other side closed/i.test(e.message))
  );
}

/**
 * The code for a provider error that has no HTTP status (an error event inside a stream that
 * had started fine), from the error `type` both OpenAI and Anthropic put in the body.
 */
export function codeForErrorType(type: string | null | undefined): ErrorCode {
  switch (type) {
    case 'overloaded_error':
      return 'LLM_OVERLOADED';
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'requests':
    case 'tokens':
      return 'LLM_RATE_LIMITED';
    case 'timeout_error':
      return 'LLM_TIMEOUT';
    case 'authentication_error':
    case 'permission_error':
      return 'LLM_AUTH_ERROR';
    case 'not_found_error':
      return 'LLM_NOT_FOUND';
    case 'invalid_request_error':
      return 'LLM_BAD_REQUEST';
    default:
      // `api_error`, `server_error` and anything unknown: the provider failed mid-answer.
      return 'LLM_SERVER_ERROR';
  }
}

/** The typed error for an in-stream provider error event (no HTTP status). */
export function streamError(
  provider: string,
  type: string | null | undefined,
  message: string,
  cause?: unknown,
): AgentRuntimeError {
  return new AgentRuntimeError(
    codeForErrorType(type),
    `${provider}: ${type ?? 'error'} during the stream: ${redactSecrets(message)}`,
    { details: { provider, ...(type ? { providerType: type } : {}) }, cause },
  );
}
