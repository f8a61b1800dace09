// Node side only: migration 4, the tables of PostgresTranscriptStore.

/**
 * Schema version 4: run transcripts kept on the worker side (`PostgresTranscriptStore`), so a
 * model call's history carries only the messages new since the run's previous call. One row per
 * message (its JSON with the chained hashes) and per constant (the call options); `written_at`
 * lets `prune` drop the transcripts of finished runs.
 */
export const migration0004 = {
  version: 4,
  name: 'transcripts',
  sql: `
CREATE TABLE run_transcript_messages (
  transcript_id text NOT NULL,
  pos integer NOT NULL,
  entry_json text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transcript_id, pos)
);
CREATE INDEX run_transcript_messages_written_at ON run_transcript_messages (written_at);

CREATE TABLE run_transcript_constants (
  transcript_id text NOT NULL,
  key text NOT NULL,
  value_json text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transcript_id, key)
);
CREATE INDEX run_transcript_constants_written_at ON run_transcript_constants (written_at);
`,
};
