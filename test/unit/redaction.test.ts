import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { redactError } from '../../activities/redact';
import { RuntimeConfig, configure, resetConfig } from '../../src/config';
import { AgentRuntimeError } from '../../src/core/errors';
import { createRedactor, redactorFromConfig, urlSecrets } from '../../src/redaction';

afterEach(() => resetConfig());

test('a redactor removes configured secrets, their URL-encoded form, patterns and credential shapes', () => {
  const r = createRedactor({ secrets: ['p@ss/word', 'abc', undefined], patterns: ['acct-\\d+'] });
  expect(r('pw p@ss/word and p%40ss%2Fword, acct-1234, abc stays')).toBe(
    'pw [redacted] and [redacted], [redacted], abc stays',
  );
  expect(r('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
  expect(r('redis://user:hunter2@cache:6379')).toBe('redis://[redacted]@cache:6379');
});

test('the settings give the API keys and the URL passwords', () => {
  const config = RuntimeConfig.parse({
    openaiApiKey: 'key-one-1234',
    databaseUrl: 'postgres://app:s3cr%2Ft@db/prod',
    redisUrl: 'redis://:r3d1s-pw@cache',
  });
  const r = redactorFromConfig(config);
  expect(r('key-one-1234 s3cr/t s3cr%2Ft r3d1s-pw')).toBe(
    '[redacted] [redacted] [redacted] [redacted]',
  );
  expect(urlSecrets('not a url')).toEqual([]);
});

test('redactPatterns is validated like every setting', () => {
  expect(() => configure({ redactPatterns: ['(unclosed'] }, {})).toThrow(/redactPatterns/);
  expect(configure({ redactPatterns: ['x+'] }, {}).redactPatterns).toEqual(['x+']);
  expect(configure({}, { AGENT_RUNTIME_REDACT_PATTERNS: '["tok-[a-z]+"]' }).redactPatterns).toEqual(
    ['tok-[a-z]+'],
  );
});

test('redactError keeps the failure type, retryability and shape; cancellation passes untouched', () => {
  const r = createRedactor({ secrets: ['TOPSECRET'] });
  const f = redactError(
    ApplicationFailure.create({
      message: 'bad TOPSECRET',
      type: 'TOOL_ERROR',
      nonRetryable: false,
      details: [{ note: 'TOPSECRET here', n: 1 }],
    }),
    r,
  ) as ApplicationFailure;
  expect(f).toBeInstanceOf(ApplicationFailure);
  expect([f.message, f.type, f.nonRetryable]).toEqual(['bad [redacted]', 'TOOL_ERROR', false]);
  expect(f.details).toEqual([{ note: '[redacted] here', n: 1 }]);
  expect(f.stack).not.toContain('TOPSECRET');
  const typed = redactError(
    new AgentRuntimeError('STORAGE_ERROR', 'TOPSECRET down', { retryable: true }),
    r,
  ) as ApplicationFailure;
  expect([typed.type, typed.message, typed.nonRetryable]).toEqual([
    'STORAGE_ERROR',
    '[redacted] down',
    false,
  ]);
  const plain = new TypeError('x TOPSECRET', { cause: new Error('cause TOPSECRET') });
  const p = redactError(plain, r) as Error;
  expect([p.name, p.message, String((p.cause as Error).message)]).toEqual([
    'TypeError',
    'x [redacted]',
    'cause [redacted]',
  ]);
  expect(p.stack).not.toContain('TOPSECRET');
  const cancelled = new CancelledFailure('cancelled');
  expect(redactError(cancelled, r)).toBe(cancelled);
});
