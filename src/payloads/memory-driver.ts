// Node side only: a payload storage driver in this process's memory (tests, single-process apps).
import type {
  Payload,
  StorageDriver,
  StorageDriverClaim,
  StorageDriverRetrieveContext,
  StorageDriverStoreContext,
} from '@temporalio/common';
import {
  claimFor,
  hashOfClaim,
  payloadHash,
  payloadNotFound,
  throwIfAborted,
  toStoredPayload,
  type StoredPayload,
} from './shared';

/** Options of `MemoryPayloadDriver`. */
export interface MemoryPayloadDriverOptions {
  /** The driver's name, written into each claim; readers need a driver of the same name. @default 'agent-runtime-memory' */
  name?: string;
}

/**
 * A Temporal External Storage driver (`StorageDriver`) keeping payloads in a `Map` keyed by their
 * content hash. Only the process holding it can read them back: use it when the worker and the
 * client share one process (tests, a single-process app), never across processes.
 */
export class MemoryPayloadDriver implements StorageDriver {
  readonly name: string;
  /** The driver implementation, reported by the worker's heartbeat. */
  readonly type = 'agent-runtime.memory';
  private readonly blobs = new Map<string, StoredPayload>();

  constructor(options: MemoryPayloadDriverOptions = {}) {
    this.name = options.name ?? 'agent-runtime-memory';
  }

  /** How many distinct payloads are stored. */
  get size(): number {
    return this.blobs.size;
  }

  /** Stores each payload under its content hash (storing an equal payload again is a no-op). */
  async store(
    context: StorageDriverStoreContext,
    payloads: Payload[],
  ): Promise<StorageDriverClaim[]> {
    throwIfAborted(context.abortSignal);
    return payloads.map((payload) => {
      const stored = toStoredPayload(payload);
      const hash = payloadHash(stored);
      if (!this.blobs.has(hash)) this.blobs.set(hash, copy(stored));
      return claimFor(hash);
    });
  }

  /** The payloads of the claims, in order; a missing one throws `PAYLOAD_NOT_FOUND`. */
  async retrieve(
    context: StorageDriverRetrieveContext,
    claims: StorageDriverClaim[],
  ): Promise<Payload[]> {
    throwIfAborted(context.abortSignal);
    return claims.map((claim) => {
      const hash = hashOfClaim(claim, this.name);
      const stored = this.blobs.get(hash);
      if (!stored) throw payloadNotFound(this.name, hash);
      return copy(stored);
    });
  }
}

/** A copy, so neither the caller nor the SDK can change a stored payload in place. */
function copy(p: StoredPayload): StoredPayload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata)) metadata[k] = new Uint8Array(v);
  return { metadata, data: new Uint8Array(p.data) };
}
