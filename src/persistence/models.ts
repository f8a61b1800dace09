// Node side only (worker, client, scripts): the building blocks every store's zod models share
// (ids, timestamps, JSON payloads, lookup keys, scopes). Each store's own models sit beside it,
// e.g. `conversations/models.ts`.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Makes a zod enum whose members are also readable as constants (`TaskState.COMPLETE`), the way
 * the seed's Python enums read, while the schema itself stays usable for parsing.
 */
export function constEnum<const T extends Record<string, string>>(values: T) {
  return Object.assign(z.enum(values), values);
}

/** A UUID string; ids of every stored record. */
export const Uuid = z.uuid();
/** A fresh id default. */
export const newId = () => randomUUID();
/** A JSON value: every stored payload is one, so it survives any backend unchanged. */
export const JsonValue = z.json();
/** A JSON object. */
export const JsonRecord = z.record(z.string(), JsonValue);
/** Earliest storable time: 0001-01-01T00:00:00.000Z. */
export const MIN_TIMESTAMP_MS = -62_135_596_800_000;
/** Latest storable time: 9999-12-31T23:59:59.999Z. */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A point in time. Accepts a `Date` or an ISO-8601 string with an offset (what comes back from
 * JSON), and always yields a `Date`. Limited to years 0001–9999: what Postgres `timestamptz`, a JS
 * `Date` and an ISO-8601 string all represent, so a stored time always reads back (a year-10000
 * date would be stored by Postgres and then fail this model on every read).
 */
export const Timestamp = z
  .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))])
  .refine(
    (d) => d.getTime() >= MIN_TIMESTAMP_MS && d.getTime() <= MAX_TIMESTAMP_MS,
    'must be a date between the years 0001 and 9999',
  );
/** The current time, as a default. */
export const now = () => new Date();

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a string can be kept exactly in a Postgres `text` column or a Redis key: no NUL (Postgres
 * text cannot hold it) and no lone surrogate (UTF-8 cannot encode it: the driver silently writes
 * U+FFFD instead, so the value read back differs, and memory would keep it exactly).
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/**
 * A string stored as is in an indexed or filtered column (an event type, a time text, a filter
 * value): refused by every backend alike when it holds NUL or a lone surrogate. Free text inside
 * stored documents and JSON payloads (message content, titles, values, keys of JSON objects) has
 * no such limit: every backend stores it as escaped JSON, so it round-trips exactly everywhere.
 */
export const StoredText = z.string().refine(isStorableText, {
  message: 'must not contain NUL bytes or lone surrogates',
});

/**
 * A string that is used as a lookup key or indexed column. NUL bytes and lone surrogates are
 * rejected because Postgres text cannot hold the first and UTF-8 cannot encode the second, so a
 * lookup by such a key could never find what was stored (see `StoredText`).
 */
export const SafeKey = z.string().min(1).max(4096).refine(isStorableText, {
  message: 'must not contain NUL bytes or lone surrogates',
});

/** Where a stored record lives: shared by everyone, per project, or per session. */
export const Scope = constEnum({ GLOBAL: 'global', PROJECT: 'project', SESSION: 'session' });
/** Where a stored record lives: shared by everyone, per project, or per session. */
export type Scope = z.infer<typeof Scope>;
