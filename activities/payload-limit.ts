// Node side: the size limit of activity results, shared by the activities that return user data.
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../src/payloads';

/** Dependencies of the result size check of `invokeModel`, `executeTool` and `runStep`. */
export interface PayloadLimitDeps {
  /**
   * Largest result (bytes of its JSON) the activities return; above it they fail with a
   * non-retryable `PAYLOAD_TOO_LARGE` instead of handing Temporal a payload it would reject and
   * retry (a second paid model call). `createAgentWorker` lifts it (`Infinity`) when the worker has
   * payload storage, which passes large results by reference.
   * @default DEFAULT_MAX_PAYLOAD_BYTES (1,900,000)
   */
  maxPayloadBytes?: number;
}

/** The limit the deps ask for. */
export function payloadLimit(deps: PayloadLimitDeps): number {
  return deps.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
}
