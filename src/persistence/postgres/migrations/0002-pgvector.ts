// Node side only: migration 2, optional pgvector acceleration of embedding search.

/**
 * Schema version 2: where the server offers the `vector` extension, installs it and adds a
 * `vec` column searched with its cosine operator. Elsewhere this is a no-op and search uses the
 * float8[] fallback, so one migration history serves both kinds of server.
 */
export const migration0002 = {
  version: 2,
  name: 'pgvector',
  sql: `
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
    EXECUTE 'ALTER TABLE embeddings ADD COLUMN vec vector';
    EXECUTE 'UPDATE embeddings SET vec = vector::real[]::vector';
  END IF;
END
$$;
`,
};
