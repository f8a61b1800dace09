// Node side only: the input validation every TranscriptStore backend shares. Internal to
// src/transcripts: not exported from the package.
import { z } from 'zod';
import type { JsonObject } from '../core/types';
import { SafeKey } from '../persistence/models';
import { parseModel } from '../persistence/validation';
import type { TranscriptEntry } from './transcript-store';

const Position = z.number().int().min(0).max(2_147_483_647);
const EntrySchema = z.object({
  message: z.looseObject({ role: z.string() }),
  hash: z.string(),
  previousHash: z.string(),
});
const EntriesSchema = z.array(EntrySchema);
const JsonObjectSchema = z.record(z.string(), z.json());

/** Validates a transcript id (`VALIDATION_ERROR` naming `transcriptId`). */
export function checkTranscriptId(id: string): string {
  return parseModel(SafeKey, id, 'transcriptId');
}

/** Validates a position or a length: an integer from 0. */
export function checkPosition(n: number, field: 'from' | 'length' | 'position'): number {
  return parseModel(Position, n, field);
}

/**
 * Validates entries: a message object with a role, and string hashes. The message itself is kept
 * as given (unknown fields included): it is what the run sent.
 */
export function checkEntries(entries: readonly TranscriptEntry[]): readonly TranscriptEntry[] {
  parseModel(EntriesSchema, entries, 'entries');
  return entries;
}

/** Validates the arguments of `TranscriptStore.append`, the same way in every backend. */
export function checkAppend(
  transcriptId: string,
  from: number,
  entries: readonly TranscriptEntry[],
): { id: string; start: number } {
  const id = checkTranscriptId(transcriptId);
  const start = checkPosition(from, 'from');
  checkEntries(entries);
  // the last position written must fit too (a Postgres integer)
  if (entries.length > 0) checkPosition(start + entries.length - 1, 'from');
  return { id, start };
}

/** Validates a constant's key and value. */
export function checkConstant(key: string, value: JsonObject): void {
  parseModel(SafeKey, key, 'key');
  parseModel(JsonObjectSchema, value, 'value');
}

/** A stored entry in its JSON form: short field names, one text per entry. */
export interface StoredEntry {
  m: TranscriptEntry['message'];
  h: string;
  p: string;
}

/** The JSON text an entry is stored as. */
export function encodeEntry(entry: TranscriptEntry): string {
  return JSON.stringify({ m: entry.message, h: entry.hash, p: entry.previousHash });
}

/** The entry a stored JSON text stands for. */
export function decodeEntry(text: string): TranscriptEntry {
  const s = JSON.parse(text) as StoredEntry;
  return { message: s.m, hash: s.h, previousHash: s.p };
}
