// One vocabulary for timeouts and retries (Temporal durations and RetryPolicy), the legacy input
// fields committed histories carry, and the one spelling of `retryable`.
import { AgentRunner } from '../../src/client/runner';
import { AnthropicClient, LiteLLMClient, OpenAIClient } from '../../src/llm';
import { resetConfig } from '../../src/config';
import { checkRetryPolicy, durationMs, formatDuration } from '../../src/core/durations';
import { AgentRuntimeError, normalizeErrorInfo, toErrorInfo } from '../../src/core/errors';
import {
  DEFAULT_MODEL_CALL,
  checkModelCallOptions,
  resolveModelCall,
  type AgentRunInput,
} from '../../src/core/run-contract';
import { normalizeRunInput, normalizeWaitForEventsRequest } from '../../workflows/legacy-input';

afterEach(() => resetConfig());

/** The error a call throws, as `code: message`. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return AgentRuntimeError.is(err) ? `${err.code}: ${err.message}` : `untyped: ${String(err)}`;
  }
  return 'no error';
}

describe('durations', () => {
  test('strings as Temporal reads them, numbers as milliseconds', () => {
    expect(durationMs('30s', 'x', 'INVALID_INPUT')).toBe(30_000);
    expect(durationMs('1.5h', 'x', 'INVALID_INPUT')).toBe(5_400_000);
    expect(durationMs('250 ms', 'x', 'INVALID_INPUT')).toBe(250);
    expect(durationMs(1200, 'x', 'INVALID_INPUT')).toBe(1200);
    expect(formatDuration(300_000)).toBe('300s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
  });

  test.each([['soon'], [-1], ['-5s'], [Number.NaN], [Infinity], [null], [{}]])(
    'a bad duration %p is an error naming the option, with the code the caller chose',
    (value) => {
      expect(failure(() => durationMs(value, 'config.runTimeout', 'CONFIG_INVALID'))).toMatch(
        /^CONFIG_INVALID: Option config\.runTimeout must be/,
      );
    },
  );

  test('zero only where allowed', () => {
    expect(failure(() => durationMs(0, 't', 'INVALID_INPUT'))).toMatch(/greater than zero/);
    expect(durationMs(0, 't', 'INVALID_INPUT', true)).toBe(0);
  });

  test('retry policies: Temporal field names only, sane values', () => {
    const ok = {
      maximumAttempts: 3,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: 60_000,
      nonRetryableErrorTypes: ['LLM_AUTH_ERROR'],
    };
    expect(checkRetryPolicy(ok, 'retry', 'INVALID_INPUT')).toBe(ok);
    const bad: [unknown, RegExp][] = [
      [{ maxRetries: 3 }, /retry\.maxRetries is unknown/],
      [{ maximumAttempts: 0 }, /retry\.maximumAttempts must be an integer >= 1/],
      [{ maximumAttempts: 1.5 }, /retry\.maximumAttempts/],
      [{ initialInterval: 0 }, /retry\.initialInterval must be greater than zero/],
      [{ backoffCoefficient: 0.5 }, /retry\.backoffCoefficient must be a number >= 1/],
      [{ initialInterval: '2s', maximumInterval: '1s' }, /retry\.maximumInterval must not be less/],
      [{ nonRetryableErrorTypes: 'X' }, /retry\.nonRetryableErrorTypes must be a list of strings/],
      ['3 times', /retry must be a retry policy object/],
    ];
    for (const [policy, message] of bad) {
      expect(failure(() => checkRetryPolicy(policy, 'retry', 'INVALID_INPUT'))).toMatch(message);
    }
  });
});

describe('model-call options', () => {
  test('defaults: 300 s per attempt, 30 s heartbeat, 4 attempts from 1 s doubling to 60 s', () => {
    expect(resolveModelCall()).toEqual(DEFAULT_MODEL_CALL);
    expect(DEFAULT_MODEL_CALL).toEqual({
      startToCloseTimeout: '300s',
      heartbeatTimeout: '30s',
      retry: {
        maximumAttempts: 4,
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '60s',
      },
    });
  });

  test('given fields override the defaults one by one, retry field by field', () => {
    expect(resolveModelCall({ heartbeatTimeout: 2000, retry: { maximumAttempts: 2 } })).toEqual({
      startToCloseTimeout: '300s',
      heartbeatTimeout: 2000,
      retry: {
        maximumAttempts: 2,
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '60s',
      },
    });
  });
});

test('a runner whose model-call options clash with the defaults fails at construction', () => {
  // initialInterval 90 s against the default maximumInterval 60 s: every run would fail.
  expect(
    () => new AgentRunner({ config: { modelCall: { retry: { initialInterval: '90s' } } } }),
  ).toThrow(/maximumInterval must not be less than initialInterval/);
  expect(
    () =>
      new AgentRunner({
        config: { modelCall: { retry: { initialInterval: '90s', maximumInterval: '2m' } } },
      }),
  ).not.toThrow();
});

test('renamed client options fail with the new name instead of being ignored', () => {
  const old = { apiKey: 'k', timeoutMs: 5000 } as never;
  expect(() => new OpenAIClient(old)).toThrow(/timeoutMs was renamed: use timeout/);
  expect(() => new LiteLLMClient(old)).toThrow(/timeoutMs was renamed: use timeout/);
  expect(() => new AnthropicClient(old)).toThrow(/timeoutMs was renamed: use timeout/);
  expect(new OpenAIClient({ apiKey: 'k', timeout: 5000 }).provider).toBe('openai');
});

describe('inputs recorded by earlier versions (committed histories) map to the same options', () => {
  const base = { agentKey: 'a', runId: 'r', messages: [] };

  test('the committed multi-turn history: runTimeoutSeconds 300, maxRetries 3', () => {
    const input = normalizeRunInput({
      ...base,
      runTimeoutSeconds: 300,
      activityOptions: { maxRetries: 3 },
    } as unknown as AgentRunInput);
    expect(input).toEqual({
      ...base,
      runTimeout: 300_000,
      modelCall: { retry: { maximumAttempts: 4 } },
    });
    // Exactly the activity options the history recorded (300s / 30s / 1s·2 to 60s, 4 attempts).
    const o = resolveModelCall(input.modelCall);
    expect(durationMs(o.startToCloseTimeout, 'x', 'INVALID_INPUT')).toBe(300_000);
    expect(durationMs(o.heartbeatTimeout, 'x', 'INVALID_INPUT')).toBe(30_000);
    expect(o.retry).toEqual({
      maximumAttempts: 4,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
    });
  });

  test('every legacy model-call field, in seconds', () => {
    const input = normalizeRunInput({
      ...base,
      activityOptions: {
        llmStartToCloseTimeoutSeconds: 120,
        llmHeartbeatTimeoutSeconds: 2,
        maxRetries: 0,
        retryInitialIntervalSeconds: 0.1,
        retryMaximumIntervalSeconds: 10,
      },
    } as unknown as AgentRunInput);
    expect(input.modelCall).toEqual({
      startToCloseTimeout: 120_000,
      heartbeatTimeout: 2000,
      retry: { maximumAttempts: 1, initialInterval: 100, maximumInterval: 10_000 },
    });
    expect(input).not.toHaveProperty('activityOptions');
  });

  test('values earlier versions accepted map to valid options; values they rejected stay invalid', () => {
    const accepted = normalizeRunInput({
      ...base,
      runTimeoutSeconds: 0.0001,
      activityOptions: {
        llmHeartbeatTimeoutSeconds: 0,
        retryInitialIntervalSeconds: 0,
        maxRetries: 2.5,
      },
    } as unknown as AgentRunInput);
    // 0 s meant "Temporal's default" then; a tiny timeout is at least 1 ms.
    expect(accepted.runTimeout).toBe(1);
    expect(accepted.modelCall).toEqual({ retry: { maximumAttempts: 3 } });
    expect(() =>
      checkModelCallOptions(accepted.modelCall, 'modelCall', 'INVALID_INPUT'),
    ).not.toThrow();

    for (const activityOptions of [
      { maxRetries: -1 },
      { llmHeartbeatTimeoutSeconds: '5s' },
      { unknownOption: 1 },
    ]) {
      const rejected = normalizeRunInput({ ...base, activityOptions } as unknown as AgentRunInput);
      expect(() => checkModelCallOptions(rejected.modelCall, 'modelCall', 'INVALID_INPUT')).toThrow(
        AgentRuntimeError,
      );
    }
    const noTime = normalizeRunInput({ ...base, runTimeoutSeconds: 0 } as unknown as AgentRunInput);
    expect(() => durationMs(noTime.runTimeout, 'runTimeout', 'INVALID_INPUT')).toThrow(
      AgentRuntimeError,
    );
  });

  test("today's fields win; inputs without legacy fields pass unchanged", () => {
    const today: AgentRunInput = {
      ...base,
      runTimeout: '1m',
      modelCall: { heartbeatTimeout: '5s' },
    };
    expect(normalizeRunInput(today)).toEqual(today);
    expect(
      normalizeRunInput({ ...today, runTimeoutSeconds: 5 } as unknown as AgentRunInput).runTimeout,
    ).toBe('1m');
  });

  test('the waitForEvents update: timeoutMs becomes timeout', () => {
    expect(normalizeWaitForEventsRequest({ afterSeq: 1, timeoutMs: 30_000 } as never)).toEqual({
      afterSeq: 1,
      timeout: 30_000,
    });
    expect(normalizeWaitForEventsRequest({ afterSeq: 1, timeout: '5s' })).toEqual({
      afterSeq: 1,
      timeout: '5s',
    });
  });
});

describe('AgentRunner settings', () => {
  test('resolved once at construction: durations as given, model-call options complete', () => {
    const runner = new AgentRunner({
      config: { runTimeout: '2h', modelCall: { retry: { maximumAttempts: 2 } } },
    });
    expect(runner.config.runTimeout).toBe('2h');
    expect(runner.config.modelCall).toEqual({
      ...DEFAULT_MODEL_CALL,
      retry: { ...DEFAULT_MODEL_CALL.retry, maximumAttempts: 2 },
    });
  });

  test('a bad or renamed option is CONFIG_INVALID at construction, naming it', () => {
    const make = (config: object) => () => new AgentRunner({ config });
    expect(failure(make({ runTimeout: 'a while' }))).toMatch(
      /^CONFIG_INVALID: Option config\.runTimeout must be a duration/,
    );
    expect(failure(make({ modelCall: { heartbeatTimeout: 0 } }))).toMatch(
      /config\.modelCall\.heartbeatTimeout must be greater than zero/,
    );
    expect(failure(make({ modelCall: { maxRetries: 3 } }))).toMatch(
      /config\.modelCall\.maxRetries is unknown/,
    );
    expect(failure(make({ runTimeoutSeconds: 60 }))).toMatch(
      /option runTimeoutSeconds was renamed: use runTimeout/,
    );
    expect(failure(make({ maxRetries: 3 }))).toMatch(/use modelCall\.retry\.maximumAttempts/);
  });
});

describe('ErrorInfo.retryable', () => {
  test('one spelling when written; stored infos with the old `retriable` still read', () => {
    expect(toErrorInfo(new AgentRuntimeError('LLM_RATE_LIMITED', 'slow down'))).toMatchObject({
      type: 'LLM_RATE_LIMITED',
      retryable: true,
    });
    expect(toErrorInfo(new Error('x'))).not.toHaveProperty('retriable');
    expect(
      normalizeErrorInfo({
        type: 'LLM_TIMEOUT',
        message: 'm',
        stack: '',
        retriable: true,
        details: {},
      }),
    ).toEqual({ type: 'LLM_TIMEOUT', message: 'm', stack: '', retryable: true, details: {} });
    expect(normalizeErrorInfo({ type: 'X', message: 'm' })).toEqual({
      type: 'X',
      message: 'm',
      stack: '',
      retryable: false,
      details: {},
    });
  });
});
