// Node side only: the Postgres TranscriptStore (tables `run_transcript_messages` and
// `run_transcript_constants`, migration 3). Rows are never updated in place by a reader; a
// transcript's rows can be pruned once its run is over (`prune`).
import {
  resolveConnection,
  type PostgresConnectionOptions,
} from '../persistence/postgres/connection-option';
import type { JsonObject } from '../core/types';
import { decodeJson, encodeJson, query, resolvePool } from '../persistence/postgres/sql';
import type { TranscriptEntry, TranscriptStore } from './transcript-store';
import {
  checkConstant,
  checkAppend,
  checkPosition,
  checkTranscriptId,
  decodeEntry,
  encodeEntry,
} from './shared';

/** Options of `PostgresTranscriptStore`. */
export interface PostgresTranscriptStoreOptions extends PostgresConnectionOptions {
  /**
   * Whether clients in other processes reach the same database (see `TranscriptStore.shared`):
   * `false` for an embedded PGlite. @default true
   */
  shared?: boolean;
}

/**
 * Postgres `TranscriptStore`: one row per message (`run_transcript_messages`, keyed by transcript
 * id and position) and per constant (`run_transcript_constants`). Works on PGlite too.
 */
export class PostgresTranscriptStore implements TranscriptStore {
  /** Transcripts survive worker restarts and are shared by workers. */
  readonly durable = true;
  /** Clients read it too (`false` when built over an embedded PGlite). */
  readonly shared: boolean;
  private readonly connection;
  constructor(options: PostgresTranscriptStoreOptions) {
    const { shared, ...connection } = options;
    this.connection = resolveConnection(connection, 'PostgresTranscriptStore');
    this.shared = shared !== false;
  }

  private pool() {
    return resolvePool(this.connection.source);
  }

  async append(
    transcriptId: string,
    from: number,
    entries: readonly TranscriptEntry[],
  ): Promise<void> {
    const { id, start } = checkAppend(transcriptId, from, entries);
    if (entries.length === 0) return;
    // One statement for all entries: a retried call rewrites the same rows.
    await query(
      await this.pool(),
      `INSERT INTO run_transcript_messages (transcript_id, pos, entry_json, written_at)
       SELECT $1, t.pos, t.entry_json, now() FROM unnest($2::int[], $3::text[]) AS t(pos, entry_json)
       ON CONFLICT (transcript_id, pos)
       DO UPDATE SET entry_json = EXCLUDED.entry_json, written_at = EXCLUDED.written_at`,
      [id, entries.map((_, i) => start + i), entries.map(encodeEntry)],
    );
  }

  async read(transcriptId: string, length: number): Promise<TranscriptEntry[] | null> {
    const id = checkTranscriptId(transcriptId);
    const n = checkPosition(length, 'length');
    if (n === 0) return [];
    const rows = await query<{ entry_json: string }>(
      await this.pool(),
      'SELECT entry_json FROM run_transcript_messages WHERE transcript_id = $1 AND pos < $2 ORDER BY pos',
      [id, n],
    );
    // Positions are unique and below n: n rows means none is missing.
    return rows.length === n ? rows.map((r) => decodeEntry(r.entry_json)) : null;
  }

  async readEntry(transcriptId: string, position: number): Promise<TranscriptEntry | null> {
    const id = checkTranscriptId(transcriptId);
    const pos = checkPosition(position, 'position');
    const rows = await query<{ entry_json: string }>(
      await this.pool(),
      'SELECT entry_json FROM run_transcript_messages WHERE transcript_id = $1 AND pos = $2',
      [id, pos],
    );
    return rows[0] ? decodeEntry(rows[0].entry_json) : null;
  }

  async putConstant(transcriptId: string, key: string, value: JsonObject): Promise<void> {
    const id = checkTranscriptId(transcriptId);
    checkConstant(key, value);
    await query(
      await this.pool(),
      `INSERT INTO run_transcript_constants (transcript_id, key, value_json, written_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (transcript_id, key)
       DO UPDATE SET value_json = EXCLUDED.value_json, written_at = EXCLUDED.written_at`,
      [id, key, encodeJson(value)],
    );
  }

  async getConstant(transcriptId: string, key: string): Promise<JsonObject | null> {
    const id = checkTranscriptId(transcriptId);
    checkConstant(key, {});
    const rows = await query<{ value_json: string }>(
      await this.pool(),
      'SELECT value_json FROM run_transcript_constants WHERE transcript_id = $1 AND key = $2',
      [id, key],
    );
    return rows[0] ? (decodeJson(rows[0].value_json) as JsonObject) : null;
  }

  /**
   * Deletes every message and constant last written before `before` (transcripts of runs that
   * ended; a run still going rewrites its transcript's tail on every model call, and a call whose
   * prefix was pruned is sent again whole). Returns how many rows were deleted.
   */
  async prune(before: Date): Promise<number> {
    const pool = await this.pool();
    const rows = await query<{ n: string }>(
      pool,
      `WITH m AS (DELETE FROM run_transcript_messages WHERE written_at < $1 RETURNING 1),
            c AS (DELETE FROM run_transcript_constants WHERE written_at < $1 RETURNING 1)
       SELECT ((SELECT count(*) FROM m) + (SELECT count(*) FROM c))::text AS n`,
      [before],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Ends the pool it opened from `databaseUrl` (never a given `pool`). */
  async close(): Promise<void> {
    await this.connection.close();
  }
}
