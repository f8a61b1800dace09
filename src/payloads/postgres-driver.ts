// Node side only: a payload storage driver over Postgres or PGlite (table `payload_blobs`).
import type {
  Payload,
  StorageDriver,
  StorageDriverClaim,
  StorageDriverRetrieveContext,
  StorageDriverStoreContext,
} from '@temporalio/common';
import {
  resolveConnection,
  type PostgresConnectionOptions,
  type ResolvedConnection,
} from '../persistence/postgres/connection-option';
import { query, resolvePool } from '../persistence/postgres/sql';
import {
  claimFor,
  hashOfClaim,
  payloadHash,
  payloadNotFound,
  throwIfAborted,
  toStoredPayload,
} from './shared';

/**
 * Options of `PostgresPayloadDriver`: exactly one of `pool` (a migrated pool, schema version 3 or
 * later, see `migrate`, or a function giving one; not closed by the driver) or `databaseUrl` (the
 * driver opens its own pool, migrates the database on first use, and `close()` ends the pool).
 */
export interface PostgresPayloadDriverOptions extends PostgresConnectionOptions {
  /** The driver's name, written into each claim; readers need a driver of the same name. @default 'agent-runtime-postgres' */
  name?: string;
}

/**
 * A Temporal External Storage driver (`StorageDriver`) keeping payloads in the `payload_blobs`
 * table, keyed by their content hash: storing an equal payload again writes nothing, and every
 * process connected to the same database (workers and clients) can read the payloads back.
 */
export class PostgresPayloadDriver implements StorageDriver {
  readonly name: string;
  /** The driver implementation, reported by the worker's heartbeat. */
  readonly type = 'agent-runtime.postgres';

  private readonly connection: ResolvedConnection;

  constructor(options: PostgresPayloadDriverOptions) {
    this.connection = resolveConnection(options, 'PostgresPayloadDriver');
    this.name = options.name ?? 'agent-runtime-postgres';
  }

  /** Ends the pool it opened from `databaseUrl` (never a given `pool`). */
  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Stores each payload under its content hash (`ON CONFLICT DO NOTHING`: idempotent). */
  async store(
    context: StorageDriverStoreContext,
    payloads: Payload[],
  ): Promise<StorageDriverClaim[]> {
    throwIfAborted(context.abortSignal);
    if (payloads.length === 0) return [];
    const target = context.target;
    const values: unknown[] = [];
    const rows: string[] = [];
    const hashes = payloads.map((payload) => {
      const stored = toStoredPayload(payload);
      const hash = payloadHash(stored);
      const metadata = Object.fromEntries(
        Object.entries(stored.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      const n = values.length;
      rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`);
      values.push(
        hash,
        JSON.stringify(metadata),
        Buffer.from(stored.data),
        stored.data.byteLength,
        target?.namespace ?? null,
        target?.kind === 'workflow' ? (target.id ?? null) : null,
      );
      return hash;
    });
    await query(
      await resolvePool(this.connection.source),
      `INSERT INTO payload_blobs (content_hash, metadata_json, data, size_bytes, namespace, workflow_id)
       VALUES ${rows.join(', ')} ON CONFLICT (content_hash) DO NOTHING`,
      values,
    );
    return hashes.map(claimFor);
  }

  /** The payloads of the claims, in order; a missing one throws `PAYLOAD_NOT_FOUND`. */
  async retrieve(
    context: StorageDriverRetrieveContext,
    claims: StorageDriverClaim[],
  ): Promise<Payload[]> {
    throwIfAborted(context.abortSignal);
    if (claims.length === 0) return [];
    const hashes = claims.map((claim) => hashOfClaim(claim, this.name));
    const rows = await query<{ content_hash: string; metadata_json: string; data: Buffer }>(
      await resolvePool(this.connection.source),
      'SELECT content_hash, metadata_json, data FROM payload_blobs WHERE content_hash = ANY($1)',
      [[...new Set(hashes)]],
    );
    const byHash = new Map(rows.map((r) => [r.content_hash, r]));
    return hashes.map((hash) => {
      const row = byHash.get(hash);
      if (!row) throw payloadNotFound(this.name, hash);
      const metadata = JSON.parse(row.metadata_json) as Record<string, string>;
      return {
        metadata: Object.fromEntries(
          Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
        ),
        data: new Uint8Array(row.data),
      };
    });
  }
}
