// Shared helper of the integration tests: a history's whole content as searchable text.

/**
 * Every string of a history, with every byte field (payload data, metadata) decoded as UTF-8, so a
 * search for a plaintext finds it wherever Temporal stored it (inputs, results, failures, details,
 * heartbeats, memo, search attributes).
 */
export function historyText(history: unknown): string {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || v === undefined || depth > 64) return;
    if (typeof v === 'string') {
      out.push(v);
      return;
    }
    if (v instanceof Uint8Array) {
      out.push(Buffer.from(v).toString('utf8'));
      return;
    }
    if (typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    for (const x of Object.values(v as Record<string, unknown>)) walk(x, depth + 1);
  };
  walk(history, 0);
  return out.join('\n');
}
