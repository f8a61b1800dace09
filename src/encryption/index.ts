// Node side only: encrypted history. One data converter for workers, their bundles and clients.
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { AgentRuntimeError } from '../core/errors';
import { AesGcmPayloadCodec, type EncryptionOptions } from './codec';

export {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  ENCRYPTION_KEY_ID,
  type EncryptionKey,
  type EncryptionOptions,
} from './codec';
export { codecServerHandler, type CodecServerOptions } from './codec-server';

/**
 * Path of the failure converter encrypted runs use (`encodeCommonAttributes: true`): give it to
 * `bundleWorkflowCode({ failureConverterPath })` when you prebuild a workflow bundle.
 */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = join(__dirname, 'failure-converter');

/**
 * The data converter of encrypted runs: the AES-256-GCM payload codec and the failure converter
 * that moves error messages and stack traces into an (encrypted) payload, together. Questions,
 * answers, tool arguments and results, events and error texts then reach the Temporal server only
 * encrypted. `createAgentWorker({ encryption })` and `new AgentRunner({ encryption })` use it; a
 * `Client` of your own takes `dataConverter: encryptedDataConverter(options)`.
 */
export function encryptedDataConverter(options: EncryptionOptions): DataConverter & {
  payloadCodecs: AesGcmPayloadCodec[];
  failureConverterPath: string;
} {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(options)],
    failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH,
  };
}

/**
 * Throws `CONFIG_INVALID` for a data converter holding a failure converter instance: Temporal takes
 * failure converters by path only (the workflow sandbox loads them), so an instance would be
 * silently ignored and error messages would stay in plaintext.
 */
export function checkDataConverter(dc: unknown, where: string): void {
  if (dc && typeof dc === 'object' && 'failureConverter' in dc) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `${where}: dataConverter.failureConverter is not a Temporal option and would be ignored ` +
        '(error messages would stay in plaintext). Give failureConverterPath (a module exporting ' +
        '`failureConverter`), or use `encryption` / encryptedDataConverter(), which set both.',
      { details: { field: 'dataConverter.failureConverter' } },
    );
  }
}
