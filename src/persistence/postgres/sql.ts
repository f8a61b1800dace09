// Node side only: the small SQL toolkit the Postgres stores share (transactions, error mapping,
// JSON encoding, LIKE escaping). Every statement elsewhere is parameterised; nothing here
// interpolates a value into SQL text.
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { AgentRuntimeError } from '../../core/errors';

/** A pool, or a function that opens one on first use (so getters can stay synchronous). */
export type PoolSource = Pool | (() => Promise<Pool>);

/** Something that runs a query: a pool or a checked-out client. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** Resolves a pool source. */
export async function resolvePool(source: PoolSource): Promise<Pool> {
  return typeof source === 'function' ? source() : source;
}

/**
 * Runs `fn` in one transaction on one connection, so an operation is written whole or not at all.
 * A connection that failed mid-transaction is discarded rather than returned to the pool.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStorageError(err);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw toStorageError(err);
  } finally {
    client.release(broken);
  }
}

/** Runs one statement on the pool, mapping driver errors to typed ones. */
export async function query<R extends QueryResultRow = QueryResultRow>(
  db: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  try {
    const res = await db.query<R>(text, values);
    return res.rows;
  } catch (err) {
    throw toStorageError(err);
  }
}

/**
 * Maps a driver error to an `AgentRuntimeError`: our own errors pass through, data errors
 * (bad encoding, value too large) become `VALIDATION_ERROR`, unique violations `CONFLICT`, and
 * everything else (lost connection, server trouble) a retryable `STORAGE_ERROR`.
 */
export function toStorageError(err: unknown): AgentRuntimeError {
  if (AgentRuntimeError.is(err)) return err;
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && (code.startsWith('22') || code === '54000')) {
    return new AgentRuntimeError('VALIDATION_ERROR', `Invalid value: ${message}`, {
      cause: err,
      details: { pgCode: code },
    });
  }
  if (code === '23505') {
    return new AgentRuntimeError('CONFLICT', `Conflicting write: ${message}`, {
      cause: err,
      details: { pgCode: code },
    });
  }
  return new AgentRuntimeError('STORAGE_ERROR', `Storage failed: ${message}`, {
    cause: err,
    details: typeof code === 'string' ? { pgCode: code } : {},
  });
}

/** Escapes `%`, `_` and `\` so a user string matches literally in `LIKE … ESCAPE '\'`. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Encodes a value for a `text` column. `JSON.stringify` escapes NUL and lone surrogates, so the
 * result is valid Postgres text and UTF-8 and decodes to exactly the same JS value.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Decodes `encodeJson` output. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** Largest bigint, standing for "no upper bound" in sequence comparisons. */
export const MAX_SEQ = '9223372036854775807';
