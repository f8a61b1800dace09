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

/** The UTF-8 size of `value`'s JSON (what Temporal's JSON payload converter makes of it). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Two bytes up to U+07FF, three above; a surrogate pair (4 bytes) counts 2 + 2.
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}
