// Node side only: `client` or `redisUrl`, the two ways every Redis store and bus is given Redis.
// A store given `redisUrl` owns the client it opens; its `close()` disconnects it.
import { Redis } from 'ioredis';
import { AgentRuntimeError } from '../core/errors';

/** The connection fields of a Redis store's or bus's options: exactly one of them. */
export interface RedisConnectionOptions {
  /** An ioredis client (ioredis 5 or 6). Not closed by `close()`. */
  client?: Redis;
  /** A Redis URL instead of `client`: the store opens its own client, and `close()` disconnects it. */
  redisUrl?: string;
}

/** The client a store uses, and how to release what it opened. */
export interface ResolvedRedis {
  client: Redis;
  close(): Promise<void>;
}

/** Checks that exactly one of `client` / `redisUrl` is given (`CONFIG_INVALID` / `CONFIG_MISSING`). */
export function resolveRedis(
  options: RedisConnectionOptions | undefined,
  owner: string,
): ResolvedRedis {
  const given = options?.client;
  const url = options?.redisUrl;
  if (given !== undefined && url !== undefined) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `${owner}: give either client or redisUrl, not both`,
    );
  }
  if (given !== undefined) return { client: given, close: async () => undefined };
  if (typeof url !== 'string' || url === '') {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      `${owner} needs Redis: pass { redisUrl: 'redis://…' } or { client }`,
    );
  }
  // Connects on first use, so a store or runner that is never used holds no connection.
  const client = new Redis(url, { lazyConnect: true });
  // A failing connection must not crash the process: calls fail with STORAGE_ERROR instead.
  client.on('error', () => undefined);
  return {
    client,
    async close() {
      client.disconnect();
    },
  };
}
