// The pure half of the step executor: Step options, handles, retry delays, resume checks.
import { AgentRuntimeError } from '../../src/core/errors';
import {
  EXECUTION_STATE_VERSION,
  Step,
  StepExecutionError,
  checkResumableState,
  proxySteps,
  retryDelayFor,
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
      retries: 0,
      retryDelay: 1,
      backoffCoefficient: 1,
      maxRetryDelay: undefined,
      timeout: 3600,
      heartbeatTimeout: 30,
      checkpoint: true,
    });
  });

  test('proxySteps gives typed handles named after the registry keys', () => {
    expect(Object.keys(registry)).toEqual(['fetch', 'count']);
    const s = proxySteps<typeof registry>();
    expect(Step('a', s.fetch).fn).toBe('fetch');
    expect(Step('b', s.count, { retries: 2 }).retries).toBe(2);
    expect(Step('c', 'count').fn).toBe('count');
  });

  test.each([
    [{ retries: -1 }],
    [{ retries: 1.5 }],
    [{ retryDelay: -1 }],
    [{ timeout: 0 }],
    [{ heartbeatTimeout: Number.NaN }],
    [{ backoffCoefficient: 0.5 }],
    [{ maxRetryDelay: 0 }],
  ])('bad options %j throw INVALID_INPUT at definition', (options) => {
    expect(codeOf(() => Step('x', 'x', options))).toBe('INVALID_INPUT');
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

test('retry delays: fixed by default, exponential with a cap when asked', () => {
  const fixed = Step('x', 'x', { retries: 3, retryDelay: 2 });
  expect([1, 2, 3].map((a) => retryDelayFor(fixed, a))).toEqual([2, 2, 2]);
  const backoff = Step('x', 'x', { retryDelay: 1, backoffCoefficient: 2, maxRetryDelay: 5 });
  expect([1, 2, 3, 4].map((a) => retryDelayFor(backoff, a))).toEqual([1, 2, 4, 5]);
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
