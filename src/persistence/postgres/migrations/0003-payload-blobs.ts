// Node side only: migration 3, the blobs of Temporal payloads stored by reference.

/**
 * Schema version 3: `payload_blobs`, where the Postgres payload storage driver keeps payloads too
 * large for Temporal's history, keyed by a content hash (so storing the same payload twice writes
 * one row). The producing workflow is recorded so a later clean-up can remove a finished run's
 * blobs; nothing deletes them yet.
 */
export const migration0003 = {
  version: 3,
  name: 'payload-blobs',
  sql: `
CREATE TABLE payload_blobs (
  content_hash text PRIMARY KEY,
  metadata_json text NOT NULL,
  data bytea NOT NULL,
  size_bytes bigint NOT NULL,
  namespace text,
  workflow_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payload_blobs_workflow ON payload_blobs (namespace, workflow_id);
`,
};
