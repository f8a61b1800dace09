// Node side only (the invokeModel activity): the chained hashes of transcript entries. A hash
// covers every message up to its own, so a reference `{ length, hash }` names one exact prefix;
// a reader checks that stored entries chain up to it instead of trusting positions alone (two
// calls of a run that diverged may have written the same positions).
import { createHash } from 'node:crypto';
import type { Message } from '../core/types';
import type { TranscriptEntry, TranscriptStore } from './transcript-store';

/**
 * JSON with object keys sorted, as JSON.stringify would write it otherwise (`undefined` and
 * functions dropped from objects, `null` in arrays): equal messages hash equally however a
 * backend orders their keys.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The chained hash through `message`, given the hash through the messages before it. */
export function chainHash(previousHash: string, message: Message): string {
  return createHash('sha256')
    .update(previousHash)
    .update('\n')
    .update(canonicalJson(message))
    .digest('base64url')
    .slice(0, 32);
}

/** The hash of a stored tool result's content (`ExecuteToolOutput.stored`). */
export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('base64url').slice(0, 32);
}

/** Entries for `messages` following a prefix whose hash is `previousHash`. */
export function chainEntries(
  previousHash: string,
  messages: readonly Message[],
): TranscriptEntry[] {
  let previous = previousHash;
  return messages.map((message) => {
    const hash = chainHash(previous, message);
    const entry = { message, hash, previousHash: previous };
    previous = hash;
    return entry;
  });
}

/**
 * Whether `entries` (positions 0 … n-1 as read) form one chain ending at `hash`: the first starts
 * from `''`, each continues the one before. Entries keep message and hashes together, so a chain
 * that holds names exactly the messages the reference meant.
 */
export function isChain(entries: readonly TranscriptEntry[], hash: string): boolean {
  let previous = '';
  for (const entry of entries) {
    if (entry.previousHash !== previous) return false;
    previous = entry.hash;
  }
  return previous === hash;
}

/**
 * The messages of the stored prefix `ref` (its first `length` messages of transcript `id`), or
 * `null` when the store lacks them or they do not chain up to `hash` (see `isChain`).
 */
export async function readStoredPrefix(
  store: TranscriptStore,
  ref: { id: string; length: number; hash: string },
): Promise<Message[] | null> {
  const entries = ref.length > 0 ? await store.read(ref.id, ref.length) : [];
  return entries && isChain(entries, ref.hash) ? entries.map((e) => e.message) : null;
}

/**
 * The entry at `position` of a transcript: `readEntry` when the store has it, else the prefix
 * through it. `null` when it is not stored.
 */
export async function readTranscriptEntry(
  store: TranscriptStore,
  transcriptId: string,
  position: number,
): Promise<TranscriptEntry | null> {
  if (store.readEntry) return store.readEntry(transcriptId, position);
  return (await store.read(transcriptId, position + 1))?.[position] ?? null;
}

/**
 * The tool-result content stored under `key` (`{ content }`, see `executeTool`), or `null` when
 * it is missing or its `contentHash` is not `hash`.
 */
export async function readStoredContent(
  store: TranscriptStore,
  transcriptId: string,
  key: string,
  hash: string,
): Promise<string | null> {
  const content = (await store.getConstant(transcriptId, key))?.content;
  return typeof content === 'string' && contentHash(content) === hash ? content : null;
}
