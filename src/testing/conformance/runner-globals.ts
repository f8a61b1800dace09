// Node side: the test runner's globals as the conformance suites of `agent-runtime-core/testing`
// use them, typed here so the library imports nothing test-only.

/** The matchers the conformance suites use (Jest's and Vitest's `expect` both have them). */
export interface SuiteMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeNull(): void;
  toBeInstanceOf(expected: unknown): void;
  toBeLessThan(expected: number): void;
}

/** The runner globals the conformance suites call. */
export interface RunnerGlobals {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>) => void;
  beforeEach: (fn: () => Promise<void>) => void;
  afterEach: (fn: () => Promise<void>) => void;
  expect: (actual: unknown) => SuiteMatchers;
}

const NAMES = ['describe', 'it', 'beforeEach', 'afterEach', 'expect'] as const;

/**
 * The running test runner's globals: Jest's, or Vitest's with `globals: true`. Read when a suite
 * is declared (not when this module loads), so importing `agent-runtime-core/testing` outside a
 * test run costs nothing; throws a plain `Error` naming what is missing otherwise.
 */
export function runnerGlobals(): RunnerGlobals {
  const g = globalThis as Record<string, unknown>;
  const missing = NAMES.filter((name) => typeof g[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `The conformance suites need a test runner's globals (${missing.join(', ')} missing): run them under Jest, or Vitest with \`globals: true\`.`,
    );
  }
  return g as unknown as RunnerGlobals;
}
