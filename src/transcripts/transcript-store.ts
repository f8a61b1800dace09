// Node side only (worker activities): the TranscriptStore contract, where a run's model-call
// transcripts live on the worker side so that a model call's history carries only what is new.
// Backends: memory.ts, postgres.ts, redis.ts.
import type { JsonObject, Message } from '../core/types';

/**
 * One stored message of a transcript, with the chained hashes the `invokeModel` activity
 * computed for it. The store keeps the three together and returns them as given: a reader checks
 * that consecutive entries chain (`previousHash` = the hash of the entry before), so entries
 * written by different calls are never mixed up.
 */
export interface TranscriptEntry {
  /** The message. */
  message: Message;
  /** Chained hash of the transcript through this message. */
  hash: string;
  /** Chained hash through the message before (`''` for the first message). */
  previousHash: string;
}

/**
 * Keeps the transcripts of runs' model calls: each transcript (named by the workflow, unique per
 * workflow execution) is a list of messages by position, plus named constants (the call options
 * its calls share). Runs never depend on it for correctness: a model call whose transcript is
 * missing or does not match is sent again whole. Every method validates its input and throws
 * `VALIDATION_ERROR` on bad input, `STORAGE_ERROR` when the backend fails.
 */
export interface TranscriptStore {
  /**
   * Whether the store keeps transcripts across worker restarts and for every worker of the task
   * queue (Postgres, Redis). A run that continues as new carries its conversation by reference
   * only then; else it carries the messages. @default false
   */
  readonly durable?: boolean;
  /**
   * Whether clients in other processes can read it with the same settings (Postgres on a
   * database server, Redis; not PGlite, not a worker's memory). A run whose transcript store is
   * shared returns its `finalMessages` by reference: `RunHandle.result()` reads the stored
   * prefix back through the runner's `transcriptStore`. @default false
   */
  readonly shared?: boolean;
  /**
   * Stores `entries` at positions `from`, `from + 1`, … of the transcript, replacing what is
   * there: a retried call writes the same positions again and nothing is duplicated.
   */
  append(transcriptId: string, from: number, entries: readonly TranscriptEntry[]): Promise<void>;
  /** The transcript's first `length` entries in order, or `null` when any of them is missing. */
  read(transcriptId: string, length: number): Promise<TranscriptEntry[] | null>;
  /**
   * The entry at `position` (0-based), or `null` when it is not stored. Optional: without it,
   * readers use `read(transcriptId, position + 1)`.
   */
  readEntry?(transcriptId: string, position: number): Promise<TranscriptEntry | null>;
  /** Stores a constant of the transcript under `key`, replacing any before. */
  putConstant(transcriptId: string, key: string, value: JsonObject): Promise<void>;
  /** The constant stored under `key`, or `null`. */
  getConstant(transcriptId: string, key: string): Promise<JsonObject | null>;
  /** Releases what the store owns (never a pool or client it was given). */
  close(): Promise<void>;
}
