// Node side only (workers): removes configured secrets from every error text that leaves a worker.
import { redactSecrets } from './llm/errors';
import type { RuntimeConfig } from './config';

/** Replaces secrets in a text; what every error message, stack and log line of a worker goes through. */
export type Redactor = (text: string) => string;

/** Options of `createRedactor`. */
export interface RedactorOptions {
  /**
   * Literal secrets (API keys, passwords) to replace wherever they appear, also URL-encoded.
   * Values shorter than 4 characters are ignored (they would redact ordinary words). @default []
   */
  secrets?: readonly (string | undefined)[];
  /** More patterns to replace (regular expressions; strings are compiled with flag `g`). @default [] */
  patterns?: readonly (string | RegExp)[];
}

/** What replaces a secret. */
export const REDACTED = '[redacted]';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The password (and the whole user info) of a connection URL such as `postgres://u:pw@host/db`. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const u = new URL(url);
    const out: string[] = [];
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
    return out;
  } catch {
    // Not a URL the WHATWG parser reads: take what sits between `:` and `@` after `//`.
    const m = /\/\/[^/:@\s]*:([^@\s]+)@/.exec(url);
    return m?.[1] ? [m[1]] : [];
  }
}

/**
 * Builds a redactor: the given secrets (and their URL-encoded forms), the given patterns, then the
 * credential shapes every provider error is cleaned of (`sk-…` keys, `Bearer …`, a URL's user info).
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const literals = new Set<string>();
  for (const s of options.secrets ?? []) {
    if (typeof s !== 'string' || s.length < 4) continue;
    literals.add(s);
    literals.add(encodeURIComponent(s));
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...literals].sort((a, b) => b.length - a.length);
  const literal = ordered.length ? new RegExp(ordered.map(escapeRegExp).join('|'), 'g') : null;
  const patterns = (options.patterns ?? []).map((p) =>
    typeof p === 'string'
      ? new RegExp(p, 'g')
      : new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`),
  );
  return (text: string): string => {
    let out = literal ? text.replace(literal, REDACTED) : text;
    for (const p of patterns) out = out.replace(p, REDACTED);
    return redactSecrets(out);
  };
}

/**
 * The redactor of a worker's settings: its API keys (OpenAI, Anthropic, LiteLLM, Langfuse secret
 * key), the passwords of its database and Redis URLs, and `redactPatterns`.
 */
export function redactorFromConfig(config: RuntimeConfig): Redactor {
  return createRedactor({
    secrets: [
      config.openaiApiKey,
      config.anthropicApiKey,
      config.litellmApiKey,
      config.langfuseSecretKey,
      ...urlSecrets(config.databaseUrl),
      ...urlSecrets(config.redisUrl),
    ],
    patterns: config.redactPatterns,
  });
}

/** Redacts every string inside a JSON-like value (error details), keeping its shape. */
export function redactValue(value: unknown, redact: Redactor, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      redactValue(v, redact, depth + 1),
    ]),
  );
}
