// Node side only: rules every store implementation shares, so memory and Postgres agree.
// Rules of one store live beside it (e.g. `tasks/logic.ts`).
import { AgentRuntimeError } from '../core/errors';

/** Validates a paging/limit number. */
export function checkLimit(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) {
    throw new AgentRuntimeError(
      'VALIDATION_ERROR',
      `Invalid ${field}: must be a non-negative integer`,
      {
        details: { field },
      },
    );
  }
  return v;
}

/**
 * Deep copy of plain data (objects, arrays, Dates), with -0 as 0 (as JSON text stores it). Not `structuredClone`: that creates Dates of
 * the realm it runs in, which fail `instanceof Date` checks in another realm (Jest's VM, for one).
 */
export function deepClone<T>(value: T): T {
  // -0 is stored as JSON text `0` by the Postgres stores: the memory stores keep what they would.
  if (Object.is(value, -0)) return 0 as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => deepClone(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepClone(v)])) as T;
  }
  return value;
}

/**
 * Compares strings in code point order: the order of their UTF-8 bytes, which is how Postgres
 * sorts a column with `COLLATE "C"`. Every backend breaks ties of equal times or scores by id in
 * this order (plain `<` compares UTF-16 code units, which differs above U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]?.codePointAt(0) ?? 0;
    const y = cb[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}
