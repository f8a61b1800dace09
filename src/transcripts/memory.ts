// Node side only: the in-memory TranscriptStore, the worker's default. One process's memory: a
// worker that restarts, or another worker, does not see it, and runs then send the transcript
// again whole (correct, only larger). Bounded: the least recently used transcripts are dropped.
import { z } from 'zod';
import type { JsonObject } from '../core/types';
import { parseModel } from '../persistence/validation';
import type { TranscriptEntry, TranscriptStore } from './transcript-store';
import {
  checkConstant,
  checkAppend,
  checkPosition,
  checkTranscriptId,
  decodeEntry,
  encodeEntry,
} from './shared';

/** Options of `InMemoryTranscriptStore`. */
export interface InMemoryTranscriptStoreOptions {
  /**
   * Most JSON text (in UTF-16 code units) kept across all transcripts; beyond it the least
   * recently used transcripts are dropped (the one being written stays). @default 64 MiB
   */
  maxChars?: number;
}

interface Kept {
  /** Entries by position, as JSON text (so a read returns copies). */
  entries: (string | undefined)[];
  constants: Map<string, string>;
  chars: number;
}

/** In-memory `TranscriptStore` (one process; the worker's default). */
export class InMemoryTranscriptStore implements TranscriptStore {
  /** Transcripts live in this process only. */
  readonly durable: boolean = false;
  /** Other processes cannot read it. */
  readonly shared: boolean = false;
  private readonly maxChars: number;
  /** Map order is recency order: the first key is the least recently used. */
  private readonly transcripts = new Map<string, Kept>();
  private chars = 0;

  constructor(options: InMemoryTranscriptStoreOptions = {}) {
    this.maxChars = parseModel(
      z.number().int().min(0),
      options.maxChars ?? 64 * 1024 * 1024,
      'maxChars',
    );
  }

  async append(
    transcriptId: string,
    from: number,
    entries: readonly TranscriptEntry[],
  ): Promise<void> {
    const { id, start } = checkAppend(transcriptId, from, entries);
    const kept = this.touch(id, true);
    entries.forEach((entry, i) => {
      const text = encodeEntry(entry);
      const before = kept.entries[start + i];
      kept.entries[start + i] = text;
      this.grow(kept, text.length - (before?.length ?? 0));
    });
    this.evict(transcriptId);
  }

  async read(transcriptId: string, length: number): Promise<TranscriptEntry[] | null> {
    const kept = this.touch(checkTranscriptId(transcriptId), false);
    const n = checkPosition(length, 'length');
    if (n === 0) return [];
    if (!kept || kept.entries.length < n) return null;
    const out: TranscriptEntry[] = [];
    for (let i = 0; i < n; i++) {
      const text = kept.entries[i];
      if (text === undefined) return null;
      out.push(decodeEntry(text));
    }
    return out;
  }

  async readEntry(transcriptId: string, position: number): Promise<TranscriptEntry | null> {
    const kept = this.touch(checkTranscriptId(transcriptId), false);
    const text = kept?.entries[checkPosition(position, 'position')];
    return text === undefined ? null : decodeEntry(text);
  }

  async putConstant(transcriptId: string, key: string, value: JsonObject): Promise<void> {
    const kept = this.touch(checkTranscriptId(transcriptId), true);
    checkConstant(key, value);
    const text = JSON.stringify(value);
    this.grow(kept, text.length - (kept.constants.get(key)?.length ?? 0));
    kept.constants.set(key, text);
    this.evict(transcriptId);
  }

  async getConstant(transcriptId: string, key: string): Promise<JsonObject | null> {
    const id = checkTranscriptId(transcriptId);
    checkConstant(key, {});
    const kept = this.touch(id, false);
    const text = kept?.constants.get(key);
    return text === undefined ? null : (JSON.parse(text) as JsonObject);
  }

  async close(): Promise<void> {}

  /** The transcript's record, moved to the most recently used end (created when `create`). */
  private touch(id: string, create: true): Kept;
  private touch(id: string, create: false): Kept | undefined;
  private touch(id: string, create: boolean): Kept | undefined {
    let kept = this.transcripts.get(id);
    if (kept) this.transcripts.delete(id);
    else if (create) kept = { entries: [], constants: new Map(), chars: 0 };
    if (kept) this.transcripts.set(id, kept);
    return kept;
  }

  private grow(kept: Kept, chars: number): void {
    kept.chars += chars;
    this.chars += chars;
  }

  /** Drops the least recently used transcripts until the store fits, never `keep`. */
  private evict(keep: string): void {
    for (const [id, kept] of this.transcripts) {
      if (this.chars <= this.maxChars) return;
      if (id === keep) continue;
      this.transcripts.delete(id);
      this.chars -= kept.chars;
    }
  }
}
