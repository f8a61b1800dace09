// Node side: what the conformance suites of `agent-runtime-core/testing` share: typed-error
// checks, waiting on a condition with a deadline, and the strings that break naive storage.
import { AgentRuntimeError } from '../../core/errors';
import { runnerGlobals } from './runner-globals';

/** Awaits `promise` and asserts it rejects with an `AgentRuntimeError` of `code` (and `field`). */
export async function expectCode(
  promise: Promise<unknown>,
  code: string,
  field?: string,
): Promise<AgentRuntimeError> {
  const { expect } = runnerGlobals();
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
