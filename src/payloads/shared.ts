// Node side only: what the payload storage drivers share (content hashing, claims, typed errors).
import { createHash } from 'node:crypto';
import { StorageDriverClaim, type Payload } from '@temporalio/common';
import { AgentRuntimeError } from '../core/errors';

/** The claim field holding a stored payload's content hash. */
export const CLAIM_HASH_KEY = 'sha256';

/** A payload reduced to what a driver keeps: its metadata and its data. */
export interface StoredPayload {
  metadata: Record<string, Uint8Array>;
  data: Uint8Array;
}

/** The metadata and data of a payload, with absent fields made empty. */
export function toStoredPayload(payload: Payload): StoredPayload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = value;
  }
  return { metadata, data: payload.data ?? new Uint8Array() };
}

/**
 * The SHA-256 of a payload's metadata (keys sorted) and data, as hex. Each part is prefixed by its
 * length, so no two different payloads hash the same input bytes. Equal payloads share one blob.
 */
export function payloadHash(payload: StoredPayload): string {
  const hash = createHash('sha256');
  const part = (bytes: Uint8Array) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(bytes.byteLength));
    hash.update(len);
    hash.update(bytes);
  };
  const keys = Object.keys(payload.metadata).sort();
  part(Buffer.from(String(keys.length)));
  for (const key of keys) {
    part(Buffer.from(key, 'utf8'));
    part(payload.metadata[key] as Uint8Array);
  }
  part(payload.data);
  return hash.digest('hex');
}

/** The claim a driver returns for a stored payload. */
export function claimFor(hash: string): StorageDriverClaim {
  return new StorageDriverClaim({ [CLAIM_HASH_KEY]: hash });
}

/** The content hash a claim refers to; a claim without one is `INVALID_INPUT`. */
export function hashOfClaim(claim: StorageDriverClaim, driver: string): string {
  const hash = claim.claimData?.[CLAIM_HASH_KEY];
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      `Payload driver "${driver}" got a claim without a valid "${CLAIM_HASH_KEY}" field.`,
      { details: { driver } },
    );
  }
  return hash;
}

/**
 * The error of a claim whose payload is not in the store: the reader uses another store than the
 * writer (worker and clients need the same payload storage), or the blob was deleted.
 */
export function payloadNotFound(driver: string, hash: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'PAYLOAD_NOT_FOUND',
    `Payload ${hash} is not in payload store "${driver}". Workers and clients must use the same ` +
      'payload storage (the same database); the payload may also have been deleted.',
    { details: { driver, [CLAIM_HASH_KEY]: hash } },
  );
}

/** Throws the signal's reason when the SDK aborted the operation. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}
