// Node side only: maps ioredis failures to typed errors, for the Redis event bus and state store.
import { AgentRuntimeError } from '../core/errors';

/**
 * Maps an ioredis failure to an `AgentRuntimeError`: our own errors pass through; an error
 * reply from the server (`ReplyError`: a wrong key type, a failing script, out of memory) is a
 * `STORAGE_ERROR` that trying again will not fix (`retryable: false`); everything else (refused
 * or lost connection, a command that ran out of retries, a closed client) is a retryable
 * `STORAGE_ERROR`.
 */
export function toRedisStorageError(err: unknown): AgentRuntimeError {
  if (AgentRuntimeError.is(err)) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  const reply = name === 'ReplyError';
  return new AgentRuntimeError('STORAGE_ERROR', `Redis failed: ${message}`, {
    cause: err,
    details: { backend: 'redis', ...(name ? { redisError: name } : {}) },
    ...(reply && !/^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/.test(message)
      ? { retryable: false }
      : {}),
  });
}

/** Runs one Redis call, mapping its failure (see `toRedisStorageError`). */
export async function redisCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRedisStorageError(err);
  }
}
