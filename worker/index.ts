// Node side: the entry of `agent-runtime-core/worker`. Builds a Temporal Worker for agent runs.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { getConfig } from '../src/config';
import { AgentRuntimeError } from '../src/core/errors';
import { toExternalStorage, type PayloadStorageOptions } from '../src/payloads';
import {
  checkDataConverter,
  encryptedDataConverter,
  type EncryptionOptions,
} from '../src/encryption';

/** Options of `createAgentWorker`. */
export interface AgentWorkerOptions {
  /** Connection to Temporal; one is opened to `address` when absent. */
  connection?: NativeConnection;
  /** Temporal address when no connection is given. @default getConfig().temporalAddress */
  address?: string;
  /** Namespace. @default getConfig().temporalNamespace */
  namespace?: string;
  /** Task queue. @default getConfig().taskQueue */
  taskQueue?: string;
  /**
   * Path of your workflows module: it registers your agents (`registerRuntime`) and re-exports
   * `agentRunWorkflow` from `agent-runtime-core/workflows`. Give this or `workflowBundle`.
   */
  workflowsPath?: string;
  /** A prebuilt bundle (`bundleWorkflowCode`), for fast start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** What the activities need (the LLM client). */
  activities: ActivityDeps;
  /**
   * Payloads too large for history (model replies, tool arguments and results, step results above
   * `threshold`) go to `driver` by reference, through Temporal's External Storage. Clients reading
   * these runs need the same option (`AgentRunner({ payloadStorage })`). Without it, an activity
   * result above `activities.maxPayloadBytes` fails with a non-retryable `PAYLOAD_TOO_LARGE`.
   * See docs/payloads.md. @default none
   */
  payloadStorage?: PayloadStorageOptions;
  /**
   * Encrypts everything the worker sends to Temporal (AES-256-GCM payload codec and a failure
   * converter that encodes error messages and stack traces, see `encryptedDataConverter`). Clients
   * need the same keys: `new AgentRunner({ encryption })`. A prebuilt `workflowBundle` must be
   * built with `failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH`. See docs/encryption.md.
   * @default none (payloads in plaintext)
   */
  encryption?: EncryptionOptions;
  /** Any other Temporal worker option. */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * Modules the workflow bundle should load once per worker thread rather than once per run
 * (`bundleWorkflowCode({ preloadModules })`): zod, set up before the SDK freezes what preloaded
 * modules share. `createAgentWorker` adds them when it bundles `workflowsPath`; pass them yourself
 * when you prebuild a bundle: `bundleWorkflowCode({ workflowsPath, preloadModules:
 * [...AGENT_PRELOAD_MODULES] })`. Runs then share zod's global configuration, so workflow code must
 * not call `z.config()`. See docs/performance.md.
 */
export const AGENT_PRELOAD_MODULES: readonly string[] = [
  require.resolve('../src/runtime/zod-preload'),
];

/**
 * Creates a Temporal Worker that executes agent runs: the generic workflow and our activities.
 * Heartbeats are flushed at least every second so cancellation reaches a model call quickly.
 */
export async function createAgentWorker(options: AgentWorkerOptions): Promise<Worker> {
  const config = getConfig();
  const connection =
    options.connection ??
    (await NativeConnection.connect({ address: options.address ?? config.temporalAddress }));
  const given = options.workerOptions?.dataConverter;
  const bundlerOptions = options.workerOptions?.bundlerOptions;
  const source = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : {
        workflowsPath: options.workflowsPath,
        bundlerOptions: {
          ...bundlerOptions,
          preloadModules: [...AGENT_PRELOAD_MODULES, ...(bundlerOptions?.preloadModules ?? [])],
        },
      };
  if (!options.workflowBundle && !options.workflowsPath) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'createAgentWorker: give workflowsPath (your module registering agents) or workflowBundle',
    );
  }
  checkDataConverter(given, 'createAgentWorker');
  const encrypted = options.encryption ? encryptedDataConverter(options.encryption) : undefined;
  if (encrypted && (given?.payloadCodecs?.length || given?.failureConverterPath)) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      'createAgentWorker: give either encryption or workerOptions.dataConverter codecs/failureConverterPath, not both',
      { details: { field: 'encryption' } },
    );
  }
  const externalStorage = options.payloadStorage
    ? toExternalStorage(options.payloadStorage)
    : given?.externalStorage;
  // With payload storage nothing is too large to return: large results go by reference.
  const maxPayloadBytes =
    options.activities.maxPayloadBytes ?? (externalStorage ? Infinity : undefined);
  return Worker.create({
    connection,
    namespace: options.namespace ?? config.temporalNamespace,
    taskQueue: options.taskQueue ?? config.taskQueue,
    activities: createActivities({
      ...options.activities,
      ...(maxPayloadBytes !== undefined ? { maxPayloadBytes } : {}),
    }),
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '10s',
    ...options.workerOptions,
    ...source,
    ...(externalStorage || encrypted
      ? {
          dataConverter: {
            ...given,
            ...encrypted,
            ...(externalStorage ? { externalStorage } : {}),
          },
        }
      : {}),
  });
}

/**
 * Payload storage (`createAgentWorker({ payloadStorage })`): the drivers and their options. Give
 * the clients (`AgentRunner`) the same configuration.
 */
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PAYLOAD_THRESHOLD,
  MemoryPayloadDriver,
  PostgresPayloadDriver,
  type PayloadStorageOptions,
} from '../src/payloads';

/**
 * Encrypted history: the AES-256-GCM payload codec with key ids, the data converter that pairs it
 * with the failure converter (give the same options to `createAgentWorker({ encryption })` and
 * `AgentRunner({ encryption })`), and a codec endpoint for the Web UI. See docs/encryption.md.
 */
export {
  AesGcmPayloadCodec,
  ENCRYPTED_FAILURE_CONVERTER_PATH,
  codecServerHandler,
  encryptedDataConverter,
  type CodecServerOptions,
  type EncryptionKey,
  type EncryptionOptions,
} from '../src/encryption';

/**
 * Builds the stores a worker gives its runs from settings (conversations, and the event bus,
 * state store and audit store the settings ask for), as `worker/main.ts` does: pass `stores.deps` into
 * `createAgentWorker({ activities: { llm, ...stores.deps } })` and call `stores.close()` on
 * shutdown. See docs/persistence.md.
 */
export { createRunStores, type RunStores, type RunStoresOptions } from './run-stores';

/**
 * Declares the step functions a worker provides (`createAgentWorker({ activities: { steps } })`);
 * workflow code takes typed handles from their type with `proxySteps<typeof steps>()`.
 */
export { defineSteps, type StepRegistry } from '../src/steps';
