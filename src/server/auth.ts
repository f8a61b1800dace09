// Node side (server): who is calling (authentication) and what they may touch (authorisation).
import { createHash, timingSafeEqual } from 'node:crypto';
import { AgentRuntimeError } from '../core/errors';

/** The caller of a request, as the `authenticate` hook identifies them. */
export interface Principal {
  /** A stable id: runs and conversations the caller creates are owned by it. */
  id: string;
  /** Free-form claims (roles, tenant…) for a custom `authorize` hook. */
  claims?: Record<string, unknown>;
}

/** A run or conversation a request touches, with the principal that created it (if known). */
export interface OwnedResource {
  kind: 'run' | 'conversation';
  id: string;
  /** The principal id that created it; absent for one created outside the server. */
  owner?: string;
}

/**
 * Identifies the caller of a request: a principal, or `null` for missing/invalid credentials
 * (answered 401 `UNAUTHENTICATED`). Throwing an `AgentRuntimeError` answers with its code.
 */
export type AuthenticateHook = (request: Request) => Principal | null | Promise<Principal | null>;

/**
 * Whether `principal` may read or act on `resource` (`false`: 403 `FORBIDDEN`).
 * @default owner === principal.id (a resource with no owner is nobody's)
 */
export type AuthorizeHook = (
  principal: Principal,
  resource: OwnedResource,
) => boolean | Promise<boolean>;

/** The principal of every request when a server runs with `auth: 'none'` (local development). */
export const LOCAL_PRINCIPAL: Principal = { id: 'local' };

/** The default `authorize`: each principal sees what it created, nothing else. */
export const ownerOnly: AuthorizeHook = (principal, resource) =>
  resource.owner !== undefined && resource.owner === principal.id;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Bearer-token authentication: `Authorization: Bearer <token>` where `tokens` maps each accepted
 * token to the principal id it stands for. Tokens are compared in constant time.
 */
export function bearerTokenAuth(tokens: Record<string, string>): AuthenticateHook {
  const entries = Object.entries(tokens).map(([token, id]) => {
    if (!token || !id) {
      throw new AgentRuntimeError('CONFIG_INVALID', 'bearerTokenAuth: empty token or principal id');
    }
    return { hash: digest(token), id };
  });
  if (entries.length === 0) {
    throw new AgentRuntimeError('CONFIG_INVALID', 'bearerTokenAuth: give at least one token');
  }
  return (request) => {
    const header = request.headers.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return null;
    const h = digest(m[1] as string);
    const found = entries.find((e) => timingSafeEqual(e.hash, h));
    return found ? { id: found.id } : null;
  };
}
