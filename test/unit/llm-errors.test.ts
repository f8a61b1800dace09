import { codeForStatus, httpError, parseRetryAfter, redactSecrets } from '../../src/llm/errors';
import { toApplicationFailure } from '../../activities/failures';

test('status codes map to typed, correctly retryable errors', () => {
  const cases: [number, string, boolean][] = [
    [429, 'LLM_RATE_LIMITED', true],
    [529, 'LLM_OVERLOADED', true],
    [503, 'LLM_OVERLOADED', true],
    [500, 'LLM_SERVER_ERROR', true],
    [408, 'LLM_TIMEOUT', true],
    [400, 'LLM_BAD_REQUEST', false],
    [401, 'LLM_AUTH_ERROR', false],
    [403, 'LLM_AUTH_ERROR', false],
    [404, 'LLM_NOT_FOUND', false],
  ];
  for (const [status, code, retryable] of cases) {
    const e = httpError('openai', { status, message: 'x' });
    expect([status, e.code, e.retryable]).toEqual([status, code, retryable]);
  }
  expect(codeForStatus(400, "This model's maximum context length is 8192 tokens")).toBe(
    'LLM_CONTEXT_TOO_LONG',
  );
});

test('retry-after in seconds, milliseconds and as an HTTP date', () => {
  expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2);
  expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500' }))).toBe(1.5);
  const now = Date.parse('2026-01-01T00:00:00Z');
  expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3);
  expect(parseRetryAfter({ 'retry-after': 'garbage' })).toBeUndefined();
  expect(parseRetryAfter(undefined)).toBeUndefined();
});

test('x-should-retry overrides the status table', () => {
  expect(
    httpError('openai', { status: 400, headers: { 'x-should-retry': 'true' } }).retryable,
  ).toBe(true);
  expect(
    httpError('openai', { status: 500, headers: { 'x-should-retry': 'false' } }).retryable,
  ).toBe(false);
});

test('secrets are removed from provider messages', () => {
  const e = httpError('openai', {
    status: 401,
    message: 'Incorrect API key provided: sk-proj-abcdefgh1234. Bearer abc.def',
  });
  expect(e.message).not.toContain('abcdefgh1234');
  expect(e.message).not.toContain('abc.def');
  expect(e.message).toContain('HTTP 401');
  expect(redactSecrets('key sk-ant-api03-XYZxyz123')).toBe('key sk-ant-[redacted]');
});

test('a retryable error becomes a failure with nextRetryDelay; a fatal one is non-retryable', () => {
  const limited = toApplicationFailure(
    httpError('openai', { status: 429, headers: { 'retry-after': '1' } }),
  );
  expect(limited.type).toBe('LLM_RATE_LIMITED');
  expect(limited.nonRetryable).toBe(false);
  expect(limited.nextRetryDelay).toBe('1000ms');
  const auth = toApplicationFailure(
    httpError('openai', { status: 401, headers: { 'retry-after': '1' } }),
  );
  expect(auth.nonRetryable).toBe(true);
  expect(auth.nextRetryDelay).toBeUndefined();
});
