// Sandbox-safe: the one JSON copy of plain data, for both sides of the workflow sandbox.

/**
 * A copy of `value` through JSON: exactly what a store, an event bus or Temporal's payload
 * converter keeps of it (`undefined` properties dropped, no shared references), so a caller's
 * later mutation cannot reach what was recorded. `undefined` itself is returned as is. Throws
 * what `JSON.stringify` throws (a cycle, a BigInt).
 */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
