// Node side: the entry of `agent-runtime-core/worker`. Builds a Temporal Worker for agent runs.
import type { TracerProvider } from '@opentelemetry/api';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { Context as ActivityContext } from '@temporalio/activity';
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
import {
  ConsoleTraceSink,
  TraceDispatcher,
  type TraceDispatcherOptions,
  type TraceEvent,
  type TraceSink,
} from '../src/tracing/trace-sink';
import { langfuseSpanProcessor } from '../src/tracing/langfuse';
import type { AgentMetrics } from '../src/tracing/metrics';
import { runTraceSinks, tracingActivityInterceptor } from './tracing';

/**
 * OpenTelemetry for a worker: spans of the workflow (run), its activities and our GenAI spans
 * (model calls, tool calls, steps), linked to the client's span through Temporal headers.
 */
export interface AgentWorkerOpenTelemetryOptions {
  /**
   * Where workflow spans go (they are made inside the sandbox and exported through a workflow
   * sink): give the same processor your tracer provider has.
   */
  spanProcessor: SpanProcessor;
  /**
   * Makes the activity spans and our GenAI spans. @default the global tracer provider
   * (`trace.getTracerProvider()`, set by your OTel SDK's `register()`)
   */
  tracerProvider?: TracerProvider;
  /** Resource of the workflow spans. @default `service.name` = `agent-runtime-worker` */
  resource?: Resource;
}

/** Tracing settings of a worker (`createAgentWorker({ tracing })`). */
export interface AgentWorkerTracingOptions extends TraceDispatcherOptions {
  /**
   * Put prompts and answers on model-call spans (`gen_ai.input.messages`,
   * `gen_ai.output.messages`). Off by default: prompts often hold personal data. @default false
   */
  recordContent?: boolean;
}

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
  /**
   * Receive trace events (run start/end, model calls, tool calls, steps, errors), after those
   * given to `configure({ traceSinks })` and the `tracingBackend: 'console'` sink. A sink never
   * fails or slows a run. @default none
   */
  traceSinks?: readonly TraceSink[];
  /** Buffering and content settings of tracing. @default bufferSize 1000, sinkTimeoutMs 5000 */
  tracing?: AgentWorkerTracingOptions;
  /**
   * OpenTelemetry: spans for runs, model calls, tool calls and steps, linked across client,
   * workflow and activities (give clients `OpenTelemetryWorkflowClientInterceptor`, see
   * docs/observability.md). @default off
   */
  openTelemetry?: AgentWorkerOpenTelemetryOptions;
  /**
   * Counts runs, model calls, tokens, cost, tool calls and step retries into these Prometheus
   * metrics (serve them with `serveMetrics(metrics.registry)`). @default none
   */
  metrics?: AgentMetrics;
  /** Any other Temporal worker option. */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * Modules the workflow bundle should load once per worker thread rather than once per run
 * (`bundleWorkflowCode({ preloadModules })`): zod, set up before the SDK freezes what preloaded
 * modules share, and this library's sandbox modules that hold no per-run state. `createAgentWorker`
 * adds them when it bundles `workflowsPath`; pass them yourself when you prebuild a bundle:
 * `bundleWorkflowCode({ workflowsPath, preloadModules: [...AGENT_PRELOAD_MODULES] })`. Runs then
 * share zod's global configuration, so workflow code must not call `z.config()`. See
 * docs/performance.md.
 */
export const AGENT_PRELOAD_MODULES: readonly string[] = [
  require.resolve('../src/runtime/zod-preload'),
  // Evaluated once per worker thread instead of once per run: per run, their functions, classes
  // and zod message schemas cost CPU and stay in memory as long as the run is cached (a parked run
  // kept its own copy of each). The SDK shares a preloaded module and everything it imports, and
  // deep-freezes their exports, so a module belongs here only if it keeps no per-run state at
  // module level (the "current run" slots of current.ts, executor.ts and registry.ts live on
  // `globalThis`, which is per run) and imports neither `@temporalio/workflow` nor `workflows/`
  // code; test/unit/architecture/preload-modules.test.ts checks the imports.
  ...[
    '../src/core/types',
    '../src/core/errors',
    '../src/core/events',
    '../src/core/json',
    '../src/core/durations',
    '../src/core/failures',
    '../src/core/transcript',
    '../src/core/activity-contract',
    '../src/runtime/agent',
    '../src/runtime/current',
    '../src/runtime/registry',
    '../src/runtime/structured-output',
    '../src/runtime/step-executor',
    '../src/runtime/run-core',
    '../src/runtime/tool-calling-agent',
    '../src/tools/tool',
    '../src/tools/executor',
    '../src/tools/registry',
    '../workflows/patches',
    '../workflows/legacy-input',
    '../workflows/run-input-check',
  ].map((m) => require.resolve(m)),
];

/**
 * The worker's own OpenTelemetry setup for `langfuseEnabled`: a tracer provider exporting to
 * Langfuse, with the async-context manager and W3C propagator that link spans installed globally
 * when none is (an application's own OTel SDK setup keeps its own).
 */
function langfuseTelemetry(options: AgentWorkerOptions): AgentWorkerOpenTelemetryOptions {
  if (options.openTelemetry) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      'langfuseEnabled and createAgentWorker({ openTelemetry }) together: add langfuseSpanProcessor(…) ' +
        'to your own tracer provider (and pass it as openTelemetry.spanProcessor) instead',
    );
  }
  const config = getConfig();
  const spanProcessor = langfuseSpanProcessor({
    publicKey: config.langfusePublicKey ?? '',
    secretKey: config.langfuseSecretKey ?? '',
    host: config.langfuseHost,
  });
  // Each returns false (and changes nothing) when the application set its own.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    spanProcessor,
    tracerProvider: new BasicTracerProvider({ spanProcessors: [spanProcessor] }),
  };
}

/** The trace sinks a worker feeds: configured ones, then the worker's own. */
function workerTraceSinks(options: AgentWorkerOptions): TraceSink[] {
  const config = getConfig();
  return [
    ...(config.tracingBackend === 'console' ? [new ConsoleTraceSink()] : []),
    ...config.traceSinks,
    ...(options.traceSinks ?? []),
  ];
}

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
  const dispatcher = new TraceDispatcher(workerTraceSinks(options), options.tracing);
  const langfuse = config.langfuseEnabled || config.tracingBackend === 'langfuse';
  const otel = langfuse ? langfuseTelemetry(options) : options.openTelemetry;
  // Prompts and outputs go to Langfuse unless masked; to other backends only when asked for.
  const recordContent = options.tracing?.recordContent ?? (langfuse && !config.langfuseMask);
  const metrics = options.metrics;
  const observers = metrics ? [(e: TraceEvent) => metrics.observe(e)] : [];
  const tracer = otel
    ? (otel.tracerProvider ?? trace.getTracerProvider()).getTracer('agent-runtime-core')
    : undefined;
  const givenInterceptors = options.workerOptions?.interceptors;
  const activityInterceptors = [
    // Temporal's activity span first (outermost), so our GenAI span is its child.
    ...(otel && tracer
      ? [
          (ctx: ActivityContext) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ]
      : []),
    tracingActivityInterceptor({
      dispatcher,
      tracer,
      recordContent,
      observers,
    }),
    ...(givenInterceptors?.activity ?? []),
  ];
  const interceptors: WorkerOptions['interceptors'] = {
    ...givenInterceptors,
    activity: activityInterceptors,
    workflowModules: [
      ...(otel
        ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')]
        : []),
      ...(givenInterceptors?.workflowModules ?? []),
    ],
    ...(otel
      ? {
          client: {
            ...givenInterceptors?.client,
            workflow: [
              new OpenTelemetryWorkflowClientInterceptor(tracer ? { tracer } : {}),
              ...(Array.isArray(givenInterceptors?.client?.workflow)
                ? givenInterceptors.client.workflow
                : []),
            ],
          },
        }
      : {}),
  };
  const sinks: WorkerOptions['sinks'] = {
    ...options.workerOptions?.sinks,
    ...runTraceSinks(dispatcher, observers),
    ...(otel
      ? {
          exporter: makeWorkflowExporter(
            otel.spanProcessor,
            otel.resource ?? new Resource({ 'service.name': 'agent-runtime-worker' }),
          ),
        }
      : {}),
  };
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
    interceptors,
    sinks,
  });
}

/**
 * Workflow sink and activity interceptor of the worker's tracing, for a Worker built without
 * `createAgentWorker`: add `runTraceSinks(dispatcher)` to its `sinks` and
 * `tracingActivityInterceptor({ dispatcher })` to its activity interceptors.
 */
export { runTraceSinks, tracingActivityInterceptor, type TracingDeps } from './tracing';

/** Prometheus metrics of agent runs (`createAgentWorker({ metrics })`) and their endpoint. */
export {
  AgentMetrics,
  serveMetrics,
  type AgentMetricsOptions,
  type MetricsServer,
  type ServeMetricsOptions,
} from '../src/tracing/metrics';

/**
 * Langfuse through its OpenTelemetry endpoint, for a worker with its own OTel SDK setup (the
 * worker builds this itself from `configure({ langfuseEnabled: true, … })` otherwise).
 */
export {
  langfuseSpanProcessor,
  langfuseTracesUrl,
  type LangfuseExportOptions,
} from '../src/tracing/langfuse';

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
