// Node side only: large payloads by reference through Temporal's External Storage, and the size
// check of activity results for workers that have no payload storage.
import { ExternalStorage, type StorageDriver } from '@temporalio/common';
import { AgentRuntimeError, payloadTooLargeError } from '../core/errors';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../core/run-contract';

export { MemoryPayloadDriver, type MemoryPayloadDriverOptions } from './memory-driver';
export { PostgresPayloadDriver, type PostgresPayloadDriverOptions } from './postgres-driver';

/**
 * Payloads at least this large (bytes, as encoded) are stored through the driver and only a claim
 * enters history: 256 KiB, well under Temporal's 2 MiB payload limit.
 */
export const DEFAULT_PAYLOAD_THRESHOLD = 256 * 1024;

/**
 * Largest activity result (bytes of its JSON) a worker without payload storage returns. Temporal
 * rejects payloads above 2 MiB (`PayloadsTooLarge`) after the work is done, and the activity is
 * then retried: a second paid model call. Below that limit with room for the envelope.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_900_000;

/**
 * Payload storage of a worker and of the clients reading its runs (`createAgentWorker` and
 * `AgentRunner` take the same option). Both sides need it: a worker storing a model reply by
 * reference leaves only a claim in history, and a client without the driver cannot read the
 * run's result.
 */
export interface PayloadStorageOptions {
  /** Where payloads go: `PostgresPayloadDriver` (shared database) or `MemoryPayloadDriver` (one process). */
  driver: StorageDriver;
  /** Payloads at least this many bytes are stored by reference. @default DEFAULT_PAYLOAD_THRESHOLD (256 KiB) */
  threshold?: number;
}

/** The `ExternalStorage` of a Temporal `DataConverter` for these options. */
export function toExternalStorage(options: PayloadStorageOptions): ExternalStorage {
  const threshold = options.threshold ?? DEFAULT_PAYLOAD_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `payloadStorage.threshold must be a number of bytes >= 0, got ${String(threshold)}`,
      { details: { field: 'payloadStorage.threshold' } },
    );
  }
  // A payload between Temporal's limit and the threshold would go inline and be refused: the
  // workflow task that produced it fails again and again.
  if (threshold > TEMPORAL_PAYLOAD_LIMIT_BYTES) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `payloadStorage.threshold is ${threshold} bytes, above Temporal's payload limit of ` +
        `${TEMPORAL_PAYLOAD_LIMIT_BYTES} bytes: payloads between the two would be neither stored ` +
        `nor accepted. Use a threshold well under the limit (default ${DEFAULT_PAYLOAD_THRESHOLD}).`,
      { details: { field: 'payloadStorage.threshold' } },
    );
  }
  return new ExternalStorage({ drivers: [options.driver], payloadSizeThreshold: threshold });
}

/**
 * Throws a non-retryable `PAYLOAD_TOO_LARGE` naming `field` when `value`'s JSON is larger than
 * `maxBytes`, so an activity fails before handing Temporal a result it would reject (and retry).
 */
export function checkPayloadSize(
  value: unknown,
  field: string,
  maxBytes: number,
  details: Record<string, unknown> = {},
): void {
  if (maxBytes === Infinity) return;
  const json = JSON.stringify(value);
  const size = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  if (size <= maxBytes) return;
  throw payloadTooLargeError(field, size, maxBytes, { details });
}
