// Node side (tests only): what the conformance suites share: typed access to the test runner's
// globals, the store factory type, a typed-error assertion, waiting on a condition with a
// deadline, and hostile strings.
//
// The suites run under whichever runner the user has (Jest, or Vitest with `globals: true`), so
// they reach `describe`/`it`/`expect` through the global object instead of importing a runner:
// the library then needs no test-runner package at run time nor its types at build time.
import { randomUUID } from 'node:crypto';
import { AgentRuntimeError } from '../../core/errors';
import type { StoreScopeOptions } from '../../persistence';

/** The assertions the suites use; Jest's and Vitest's `expect` both provide them. */
export interface ConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeNull(): void;
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): void;
  toHaveLength(expected: number): void;
  toBeCloseTo(expected: number, digits?: number): void;
  toMatchObject(expected: object): void;
  toBeLessThan(expected: number): void;
  not: ConformanceMatchers;
}

/** The test runner globals the suites use (Jest, or Vitest with `globals: true`). */
export interface ConformanceRunner {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void>, timeoutMs?: number) => void;
  beforeEach: (body: () => Promise<void>) => void;
  afterEach: (body: () => Promise<void>) => void;
  expect: (actual: unknown) => ConformanceMatchers;
}

/**
 * The running test runner's globals. Throws when there are none, e.g. a suite called from plain
 * Node or from Vitest without `globals: true`.
 *
 * @param scope Where to look for them. @default globalThis
 */
export function testRunner(scope: object = globalThis): ConformanceRunner {
  const g = scope as Partial<ConformanceRunner>;
  const names = ['describe', 'it', 'beforeEach', 'afterEach', 'expect'] as const;
  const missing = names.filter((n) => typeof g[n] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `The conformance suites need the test runner's globals (${missing.join(', ')} missing): ` +
        'call them from a Jest test file, or from Vitest with `globals: true`.',
    );
  }
  return g as ConformanceRunner;
}

/**
 * Builds a fresh store for one test. The suite calls it before every test, with unique PROJECT
 * and SESSION ids in `options` (pass them on to the store), and calls `store.close()` after the
 * test. GLOBAL scope is shared between tests, so a backend that keeps data between stores should
 * empty itself here (the built-in Postgres tests truncate their tables).
 */
export type StoreFactory<T> = (options: StoreScopeOptions) => Promise<T>;

/**
 * Awaits `promise` and asserts it rejects with an `AgentRuntimeError` of `code` (and, when
 * given, `details.field`). Returns the error for further checks.
 */
export async function expectCode(
  promise: Promise<unknown>,
  code: string,
  field?: string,
): Promise<AgentRuntimeError> {
  const { expect } = testRunner();
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(AgentRuntimeError.is(caught)).toBe(true);
  const e = caught as AgentRuntimeError;
  expect(e.code).toBe(code);
  if (field !== undefined) expect(e.details.field).toBe(field);
  return e;
}

/** Options of `waitUntil`. */
export interface WaitUntilOptions {
  /** How long the condition may take to hold. @default 10000 */
  timeoutMs?: number;
  /** Time between two checks. @default 5 */
  intervalMs?: number;
}

/**
 * Resolves once `condition` holds, checking it again every `intervalMs`; rejects with an error
 * naming `what` when it still does not hold after `timeoutMs`. A check that throws counts as
 * not holding yet.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: WaitUntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(condition()).catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5));
  }
}

/** Strings LLMs produce that break naive storage. */
export const HOSTILE_TEXTS: Record<string, string> = {
  nul: 'before\u0000after\u0000',
  loneHigh: 'x\uD800y',
  loneLow: '\uDC00tail',
  emoji: 'family 👨‍👩‍👧‍👦 flag 🇺🇳 combining é',
  rtl: '\u202Eevil\u202C مرحبا',
  controls: '\u0001\u0002\u001b[31mred\r\n\t',
  sqlish: "'; DROP TABLE conversations; --",
  backslashes: '\\\\x00 \\u0000 %_',
};

/** Unique PROJECT and SESSION ids, so tests sharing a database never see each other's rows. */
export function scopeOptions(): StoreScopeOptions {
  return { projectId: `p-${randomUUID()}`, sessionId: `s-${randomUUID()}` };
}
