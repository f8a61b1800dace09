// Node side only: validation and scope resolution shared by every store implementation.
import type { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import { SafeKey, Scope } from './models';

/**
 * Parses `value` with `schema`, or throws a `VALIDATION_ERROR` whose message and
 * `details.field` name the first failing field (dotted path under `what`).
 */
export function parseModel<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  checkDepth(value, what);
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(value);
  } catch (err) {
    // zod recursing into a value it cannot walk (a cycle, a getter that throws)
    throw new AgentRuntimeError(
      'VALIDATION_ERROR',
      `Invalid ${what}: ${err instanceof Error ? err.message : String(err)}`,
      { details: { field: what }, cause: err },
    );
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [what, ...(issue?.path ?? []).map(String)].join('.');
  throw new AgentRuntimeError(
    'VALIDATION_ERROR',
    `Invalid ${field}: ${issue?.message ?? 'invalid'}`,
    {
      details: {
        field,
        issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      },
    },
  );
}

/** Deepest nesting of arrays and objects a stored value may have. */
export const MAX_JSON_DEPTH = 128;

/**
 * Refuses a value nested deeper than `MAX_JSON_DEPTH` (or cyclic) with a `VALIDATION_ERROR`
 * naming `what`, before any recursive code (zod, `JSON.stringify`, the driver) can overflow the
 * stack on it and throw an untyped `RangeError`. Iterative, so it cannot overflow itself.
 */
export function checkDepth(value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: [unknown, number][] = [[value, 1]];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null || v instanceof Date) continue;
    if (depth > MAX_JSON_DEPTH || seen.has(v)) {
      throw new AgentRuntimeError(
        'VALIDATION_ERROR',
        `Invalid ${what}: nested deeper than ${MAX_JSON_DEPTH} levels (or cyclic)`,
        { details: { field: what, maxDepth: MAX_JSON_DEPTH } },
      );
    }
    seen.add(v);
    for (const child of Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * Validates a store argument that must be an options object: `undefined` (use the defaults) or a
 * plain object; returns it (`{}` for `undefined`).
 */
export function parseOptions<T extends object>(value: T | undefined, what = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentRuntimeError('VALIDATION_ERROR', `Invalid ${what}: must be an object`, {
      details: { field: what },
    });
  }
  return value;
}

/** Validates a record id argument (a string key: no NUL, no lone surrogate, 1–4096 chars). */
export function parseId(id: unknown, field = 'id'): string {
  return parseModel(SafeKey, id, field);
}

/** Validates a lookup key (memory key, preference key, fact key…). */
export function parseKey(key: unknown, field = 'key'): string {
  return parseModel(SafeKey, key, field);
}

/**
 * A scope argument: a bare scope (whose id comes from the store's context), or a scope with an
 * explicit project or session id.
 */
export type ScopeArg =
  | Scope
  | { scope: 'global' }
  | { scope: 'project'; projectId?: string }
  | { scope: 'session'; sessionId?: string };

/** The ids bare scopes resolve against. */
export interface ScopeContext {
  /** Id of the PROJECT scope. */
  projectId: string;
  /** Id of the SESSION scope; a SESSION call without one is rejected. */
  sessionId?: string;
}

/** A resolved scope: which partition of a store a call reads or writes. */
export interface ResolvedScope {
  scope: Scope;
  /** `''` for GLOBAL, the project id for PROJECT, the session id for SESSION. */
  scopeId: string;
}

/** Resolves a scope argument against a store's context, rejecting a SESSION without an id. */
export function resolveScope(
  arg: ScopeArg | undefined,
  ctx: ScopeContext,
  fallback: Scope,
): ResolvedScope {
  const value = arg ?? fallback;
  const obj = typeof value === 'string' ? { scope: value } : value;
  const scope = parseModel(Scope, obj.scope, 'scope');
  if (scope === 'global') return { scope, scopeId: '' };
  if (scope === 'project') {
    const id = ('projectId' in obj ? obj.projectId : undefined) ?? ctx.projectId;
    return { scope, scopeId: parseKey(id, 'scope.projectId') };
  }
  const id = ('sessionId' in obj ? obj.sessionId : undefined) ?? ctx.sessionId;
  if (id === undefined) {
    throw new AgentRuntimeError(
      'VALIDATION_ERROR',
      'SESSION scope needs a session id: pass { scope: "session", sessionId } or set sessionId on the store',
      { details: { field: 'scope.sessionId' } },
    );
  }
  return { scope, scopeId: parseKey(id, 'scope.sessionId') };
}

/** A string key identifying a resolved scope in in-memory maps. */
export function scopeKey(s: ResolvedScope): string {
  return `${s.scope}\u0001${s.scopeId}`;
}

/** Throws `NOT_FOUND` for a missing record. */
export function notFound(what: string, id: string): AgentRuntimeError {
  return new AgentRuntimeError('NOT_FOUND', `${what} ${id} not found`, { details: { what, id } });
}

/** Options every store implementation accepts: which ids bare scopes mean. */
export interface StoreScopeOptions {
  /** Id of the PROJECT scope. @default 'default' */
  projectId?: string;
  /** Id of the SESSION scope; without it, SESSION calls must name a session id. */
  sessionId?: string;
}

/** Resolves store scope options into a validated context once, at construction. */
export function toScopeContext(options: StoreScopeOptions = {}): ScopeContext {
  const projectId = parseKey(options.projectId ?? 'default', 'projectId');
  return options.sessionId === undefined
    ? { projectId }
    : { projectId, sessionId: parseKey(options.sessionId, 'sessionId') };
}
