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
    // A client someone else released mid-transaction (a caller's own `pool.connect()` without
    // ROLLBACK) must not make this operation part of, or fail with, that transaction.
    const status = client.getTransactionStatus?.() as string | null | undefined;
    if (status === 'T' || status === 'E') await client.query('ROLLBACK');
    await client.query('BEGIN');
    const result = await fn(guardClient(client));
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
  checkParams(values);
  try {
    const res = await db.query<R>(text, values);
    return res.rows;
  } catch (err) {
    throw toStorageError(err);
  }
}

/**
 * A checked-out client whose `query` checks its parameters (`checkParams`) and maps driver errors
 * like `query()` does; `release` and the rest are the client's own.
 */
export function guardClient(client: PoolClient): PoolClient {
  const guarded = Object.create(client) as PoolClient;
  const run = async (text: string, values?: unknown[]) => {
    if (values !== undefined) checkParams(values);
    try {
      return await client.query(text, values);
    } catch (err) {
      throw toStorageError(err);
    }
  };
  (guarded as unknown as { query: typeof run }).query = run;
  return guarded;
}

/** A pool (or client) whose `query` checks parameters and maps driver errors like `query()`. */
export function guardQueryable(db: Queryable): Queryable {
  return {
    async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) {
      if (values !== undefined) checkParams(values);
      try {
        return await db.query<R>(text, values);
      } catch (err) {
        throw toStorageError(err);
      }
    },
  };
}

function isScalarParam(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'undefined':
      return true;
    default:
      return (
        v === null || v instanceof Uint8Array || (v instanceof Date && !Number.isNaN(v.getTime()))
      );
  }
}

/**
 * Refuses, before anything reaches the driver, a statement parameter the driver could not encode
 * safely: only scalars (string, finite number, boolean, bigint, null, a valid Date, bytes) and flat arrays
 * of them are sent. pg encodes parameters into one buffer shared by the whole process, and a
 * value that throws half-way through (a deeply nested array: "Maximum call stack size exceeded")
 * leaves bytes there that corrupt the next statement of any connection. The stores validate their
 * arguments first, so this only catches what slipped past them; it throws `VALIDATION_ERROR`.
 */
export function checkParams(values: readonly unknown[]): void {
  values.forEach((v, i) => {
    const ok = Array.isArray(v) ? v.every((x) => isScalarParam(x)) : isScalarParam(v);
    if (!ok) {
      throw new AgentRuntimeError(
        'VALIDATION_ERROR',
        `Invalid value: statement parameter $${i + 1} is not a string, number, boolean, date or flat array of them`,
        { details: { field: `$${i + 1}` } },
      );
    }
  });
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
