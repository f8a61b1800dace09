// Budget options are checked where they are given: a runner's config (CONFIG_INVALID, at
// construction) and a run's own (INVALID_INPUT), naming the field.
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import { checkBudget } from '../../src/core/run-contract';
import type { RunnerConfig } from '../../src/client/runner-options';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return AgentRuntimeError.is(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return undefined;
}

test('good budgets pass; bad ones name the field', () => {
  expect(
    codeOf(() =>
      checkBudget({ maxCostUsd: 0.5, maxTokens: 1000, maxModelCalls: 3 }, 'b', 'INVALID_INPUT'),
    ),
  ).toBeUndefined();
  expect(codeOf(() => checkBudget(undefined, 'b', 'INVALID_INPUT'))).toBeUndefined();
  expect(codeOf(() => checkBudget({ maxModelCalls: 1.5 }, 'b', 'INVALID_INPUT'))).toBe(
    'INVALID_INPUT: b.maxModelCalls must be a non-negative integer',
  );
  expect(codeOf(() => checkBudget({ maxCostUsd: -1 }, 'b', 'INVALID_INPUT'))).toBe(
    'INVALID_INPUT: b.maxCostUsd must be a non-negative number',
  );
  expect(codeOf(() => checkBudget({ maxDollars: 1 } as never, 'b', 'INVALID_INPUT'))).toBe(
    'INVALID_INPUT: b.maxDollars is not a budget limit',
  );
});

test('a runner with a bad budget throws CONFIG_INVALID at construction', () => {
  expect(codeOf(() => new AgentRunner({ config: { budget: { maxTokens: Number.NaN } } }))).toBe(
    'CONFIG_INVALID: config.budget.maxTokens must be a non-negative integer',
  );
});

test('a runner accepts every RunnerConfig option (the construction check knows them all)', () => {
  const config: Required<RunnerConfig> = {
    runTimeout: '60s',
    modelCall: { startToCloseTimeout: '30s' },
    taskQueue: 'q',
    namespace: 'default',
    address: '127.0.0.1:7233',
    searchAttributes: true,
    costSearchAttributes: false,
    budget: { maxModelCalls: 3, maxTokens: 1000, maxCostUsd: 0.5 },
    watchTimeout: '1m',
    continueAsNew: { enabled: true, maxHistoryEvents: 500 },
  };
  expect(() => new AgentRunner({ config })).not.toThrow();
  expect(codeOf(() => new AgentRunner({ config: { ...config, bogus: 1 } as RunnerConfig }))).toBe(
    'CONFIG_INVALID: Unknown RunnerConfig option: bogus',
  );
});
