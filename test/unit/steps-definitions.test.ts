// The pure half of the step executor: Step options, handles, retry delays, resume checks.
import { AgentRuntimeError } from '../../src/core/errors';
import {
  EXECUTION_STATE_VERSION,
  Step,
  StepExecutionError,
  checkResumableState,
  proxySteps,
  retryIntervalFor,
  stepHandle,
  type ExecutionState,
} from '../../src/runtime/step-executor';
import { defineSteps } from '../../src/steps';

const registry = defineSteps({
  fetch: async (_ctx, _state: { url?: string }) => ({ items: [1] }),
  count: async (_ctx, state: { n: number }) => state.n,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return AgentRuntimeError.is(err) ? err.code : 'not-typed';
  }
  return undefined;
}

describe('Step', () => {
  test('defaults follow the seed: no retries, 1 s delay, fixed, checkpoint on', () => {
    const s = Step('fetch', stepHandle('fetch'));
    expect(s).toMatchObject({
      name: 'fetch',
      fn: 'fetch',
      retry: {
        maximumAttempts: 1,
        initialInterval: 1000,
        backoffCoefficient: 1,
        maximumInterval: undefined,
        nonRetryableErrorTypes: [],
      },
      startToCloseTimeout: 3_600_000,
      heartbeatTimeout: 30_000,
      checkpoint: true,
    });
  });

  test("the seed's retries / retryDelay / timeout (seconds) map onto the retry policy and timeout", () => {
    const seed = Step('x', 'x', { retries: 3, retryDelay: 2, timeout: 30 });
    const temporal = Step('x', 'x', {
      retry: { maximumAttempts: 4, initialInterval: '2s' },
      startToCloseTimeout: '30s',
    });
    expect(seed).toEqual(temporal);
    expect(seed.retry).toMatchObject({ maximumAttempts: 4, initialInterval: 2000 });
    expect(seed.startToCloseTimeout).toBe(30_000);
  });

  test.each([
    [{ retries: 1, retry: { maximumAttempts: 2 } }, 'retries'],
    [{ retryDelay: 1, retry: { initialInterval: '1s' } }, 'retryDelay'],
    [{ timeout: 5, startToCloseTimeout: '5s' }, 'timeout'],
  ])('an alias given with its new name %j is INVALID_INPUT naming the alias', (options, alias) => {
    let caught: unknown;
    try {
      Step('x', 'x', options as never);
    } catch (err) {
      caught = err;
    }
    expect(AgentRuntimeError.is(caught) && caught.code).toBe('INVALID_INPUT');
    expect((caught as Error).message).toMatch(new RegExp(`^Step option ${alias} and `));
  });

  test('proxySteps gives typed handles named after the registry keys', () => {
    expect(Object.keys(registry)).toEqual(['fetch', 'count']);
    const s = proxySteps<typeof registry>();
    expect(Step('a', s.fetch).fn).toBe('fetch');
    expect(Step('b', s.count, { retries: 2 }).retry.maximumAttempts).toBe(3);
    expect(Step('c', 'count').fn).toBe('count');
  });

  test.each([
    [{ retries: -1 }],
    [{ retries: 1.5 }],
    [{ retryDelay: -1 }],
    [{ timeout: 0 }],
    [{ heartbeatTimeout: Number.NaN }],
    [{ heartbeatTimeout: 'soon' }],
    [{ startToCloseTimeout: 0 }],
    // 0.1's `heartbeatTimeout: 30` meant seconds; a bare number is milliseconds now.
    [{ heartbeatTimeout: 30 }],
    [{ startToCloseTimeout: 999 }],
    [{ retry: { backoffCoefficient: 0.5 } }],
    [{ retry: { maximumInterval: 0 } }],
    [{ retry: { maximumAttempts: 0 } }],
    [{ retry: { initialInterval: '2s', maximumInterval: '1s' } }],
    [{ retry: { retries: 2 } }],
    // Names of earlier versions, and unknown ones.
    [{ backoffCoefficient: 2 }],
    [{ maxRetryDelay: 5 }],
    [{ retryDelayMs: 5 }],
  ])('bad options %j throw INVALID_INPUT at definition', (options) => {
    expect(codeOf(() => Step('x', 'x', options as never))).toBe('INVALID_INPUT');
  });

  test('a bare-number timeout under 1 s says it is milliseconds and how to write seconds', () => {
    expect(() => Step('x', 'x', { heartbeatTimeout: 30 })).toThrow(
      /heartbeatTimeout is 30 ms: a bare number is milliseconds .* '30s'/,
    );
    expect(Step('x', 'x', { heartbeatTimeout: 30_000 }).heartbeatTimeout).toBe(30_000);
  });

  test('a missing name or function throws INVALID_INPUT', () => {
    expect(codeOf(() => Step('', 'x'))).toBe('INVALID_INPUT');
    expect(codeOf(() => Step('x', {} as never))).toBe('INVALID_INPUT');
    expect(codeOf(() => stepHandle(''))).toBe('INVALID_INPUT');
  });

  test('defineSteps refuses entries that are not functions', () => {
    expect(codeOf(() => defineSteps({ x: 42 as never }))).toBe('INVALID_INPUT');
  });
});

test('retry intervals (ms): fixed by default, exponential with a cap when asked', () => {
  const fixed = Step('x', 'x', { retries: 3, retryDelay: 2 });
  expect([1, 2, 3].map((a) => retryIntervalFor(fixed, a))).toEqual([2000, 2000, 2000]);
  const backoff = Step('x', 'x', {
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s' },
  });
  expect([1, 2, 3, 4].map((a) => retryIntervalFor(backoff, a))).toEqual([1000, 2000, 4000, 5000]);
  // Steps may retry at once (their retries are workflow timers, not a Temporal retry policy).
  expect(retryIntervalFor(Step('x', 'x', { retryDelay: 0, retries: 1 }), 1)).toBe(0);
});

describe('checkResumableState', () => {
  const saved = (completedSteps: string[]): ExecutionState => ({
    version: EXECUTION_STATE_VERSION,
    executionId: 'e1',
    steps: ['a', 'b', 'c'],
    currentStepIndex: completedSteps.length,
    completedSteps,
    stepResults: Object.fromEntries(completedSteps.map((n) => [n, `${n}!`])),
    customState: { k: 1 },
    startedAt: '2026-01-01T00:00:00.000Z',
  });

  test('completed steps that are the first of the list resume', () => {
    const s = checkResumableState(saved(['a', 'b']), ['a', 'b', 'c', 'd']);
    expect(s.completedSteps).toEqual(['a', 'b']);
    expect(s.stepResults).toEqual({ a: 'a!', b: 'b!' });
    expect(s.customState).toEqual({ k: 1 });
    expect(s.currentStepIndex).toBe(2);
  });

  test.each([
    [['a', 'x', 'c'], 'no longer in the list'],
    [['b', 'a', 'c'], 'at another position'],
    [['a'], 'no longer in the list'],
  ])('step list %j cannot resume [a, b]: %s', (steps, why) => {
    try {
      checkResumableState(saved(['a', 'b']), steps);
      throw new Error('expected an error');
    } catch (err) {
      expect(AgentRuntimeError.is(err) && err.code).toBe('STEP_CHECKPOINT_INCOMPATIBLE');
      expect((err as Error).message).toContain(why);
    }
  });

  test('malformed or other-version states are refused', () => {
    expect(codeOf(() => checkResumableState('nope', ['a']))).toBe('STEP_CHECKPOINT_INCOMPATIBLE');
    expect(codeOf(() => checkResumableState({ ...saved([]), version: 99 }, ['a']))).toBe(
      'STEP_CHECKPOINT_INCOMPATIBLE',
    );
    expect(codeOf(() => checkResumableState({ ...saved([]), completedSteps: 'a' }, ['a']))).toBe(
      'STEP_CHECKPOINT_INCOMPATIBLE',
    );
  });
});

test('StepExecutionError names the step, the attempts and the last error', () => {
  const e = new StepExecutionError('process', 3, 'Error: boom');
  expect(e.message).toBe("Step 'process' failed after 3 attempts: Error: boom");
  expect(e.code).toBe('STEP_EXECUTION_ERROR');
  expect(e.details).toEqual({ stepName: 'process', attempts: 3, error: 'Error: boom' });
  expect(AgentRuntimeError.is(e)).toBe(true);
});

describe('Step({ ... }) (the seed keyword form)', () => {
  const steps = proxySteps<typeof registry>();
  test('is the same definition as Step(name, fn, options)', () => {
    const a = Step({
      name: 'process',
      fn: steps.fetch,
      retries: 3,
      retryDelay: 2,
      timeout: 30,
      description: 'Process data',
      checkpoint: false,
    });
    const b = Step('process', steps.fetch, {
      retries: 3,
      retryDelay: 2,
      timeout: 30,
      description: 'Process data',
      checkpoint: false,
    });
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      name: 'process',
      fn: 'fetch',
      startToCloseTimeout: 30_000,
      timeoutGiven: true,
      retry: { maximumAttempts: 4, initialInterval: 2000 },
    });
    expect(Step({ name: 'n', fn: 'count' }).timeoutGiven).toBe(false);
  });
  test('bad input is INVALID_INPUT', () => {
    expect(codeOf(() => Step({ name: 'x' } as never))).toBe('INVALID_INPUT');
    expect(codeOf(() => Step({ name: '', fn: 'count' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => Step({ name: 'x', fn: 'count', retries: -1 }))).toBe('INVALID_INPUT');
    expect(
      codeOf(() => (Step as (...a: unknown[]) => unknown)({ name: 'x', fn: 'count' }, 'count')),
    ).toBe('INVALID_INPUT');
  });
});
