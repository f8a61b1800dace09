// Sandbox-safe (loaded into the workflow bundle by path): the failure converter of encrypted runs.
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Moves every failure's message and stack trace into its encoded attributes (a payload), so the
 * payload codec encrypts them too; history then shows only "Encoded failure". Temporal loads it by
 * path (`failureConverterPath`) in the worker, its workflow bundle and the client.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
