// Node side (clients): the settings of an AgentRunner and of the runs it starts.
import type { Client } from '@temporalio/client';
import type { TranscriptStore } from '../transcripts/transcript-store';
import type { Duration } from '../core/durations';
import type { Message } from '../core/types';
import type { EventBus } from '../events/event-bus';
import type { PayloadStorageOptions } from '../payloads';
import type { EncryptionOptions } from '../encryption';
import type { AgentRuntime } from '../runtime/agent';
import type {
  ContinueAsNewOptions,
  ModelCallOptions,
  ResolvedModelCall,
  RunPersistenceOptions,
  RunBudget,
} from '../core/run-contract';

/** Settings of an `AgentRunner`. Unset fields come from `getConfig()`. */
export interface RunnerConfig {
  /**
   * Each run's time limit (a duration: `'300s'`, `'2h'`, or milliseconds); the run ends
   * `timed_out` after it. @default `getConfig().runTimeout` ('300s')
   */
  runTimeout?: Duration;
  /**
   * Timeouts and retry policy of each run's model calls: `{ startToCloseTimeout,
   * heartbeatTimeout, retry }`. Fields given here override `getConfig().modelCall` and the
   * defaults one by one (`retry` field by field).
   * @default `DEFAULT_MODEL_CALL`: `'300s'`, `'30s'`, `{ maximumAttempts: 4, initialInterval: '1s',
   *   backoffCoefficient: 2, maximumInterval: '60s' }`
   */
  modelCall?: ModelCallOptions;
  /** Task queue the workers poll. @default 'agent-runtime' */
  taskQueue?: string;
  /** Temporal namespace. @default 'default' */
  namespace?: string;
  /** Temporal frontend address (ignored when a `client` is given). @default '127.0.0.1:7233' */
  address?: string;
  /** Set the `AgentKey`/`AgentStatus` search attributes (they must be registered). @default true */
  searchAttributes?: boolean;
  /**
   * Also keep each run's cost and tokens in the `AgentCostUsd` (Double) and `AgentTokens` (Int)
   * search attributes (they must be registered), set when the run ends, so runs can be listed by
   * cost: `temporal workflow list --query 'AgentCostUsd > 0.5'`. @default `searchAttributes`
   */
  costSearchAttributes?: boolean;
  /**
   * Limits of each run's model calls, tokens and cost, checked in the workflow before every model
   * call (`BUDGET_EXCEEDED` past them). A run's own `budget` (`StartRunOptions.budget`) replaces
   * this one field by field. @default none
   */
  budget?: RunBudget;
  /**
   * How long `RunHandle.events()` and `result()` keep retrying while Temporal is unreachable or
   * no worker answers (a worker restarting, a server outage), with backoff, before they fail with
   * `TEMPORAL_UNAVAILABLE` / `WORKER_UNAVAILABLE` (a duration). @default '5m'
   */
  watchTimeout?: Duration;
  /**
   * When runs continue as new (a fresh Temporal history, same run id; `RunHandle` follows them):
   * `{ enabled, maxHistoryEvents, maxHistoryBytes, eventTail }`. Runs always continue when
   * Temporal suggests it. @default `DEFAULT_CONTINUE_AS_NEW` (8,000 events, 8 MiB, a tail of 256)
   */
  continueAsNew?: ContinueAsNewOptions;
}

/** `RunnerConfig` with every field resolved (what `AgentRunner.config` holds). */
export interface ResolvedRunnerConfig {
  /** The runs' time limit, as given (checked at construction). */
  runTimeout: Duration;
  /** The model-call options, complete (`transcript` only when given). */
  modelCall: ResolvedModelCall;
  taskQueue: string;
  namespace: string;
  address: string;
  searchAttributes: boolean;
  costSearchAttributes: boolean;
  /** The runs' default budget (checked at construction). */
  budget: RunBudget | undefined;
  /** The watch deadline of the runner's handles, as given (checked at construction). */
  watchTimeout: Duration;
  /** The continue-as-new options, as given (checked at construction); absent: the defaults. */
  continueAsNew?: ContinueAsNewOptions;
}

/** `RunnerConfig` names of earlier versions, with what replaced them. */
export const RENAMED_RUNNER_OPTIONS: Readonly<Record<string, string>> = {
  runTimeoutSeconds: 'runTimeout',
  maxRetries: 'modelCall.retry.maximumAttempts (attempts in all: maxRetries + 1)',
  activityOptions: 'modelCall { startToCloseTimeout, heartbeatTimeout, retry }',
};

/** Input of a run, as in the seed's `input_data`. */
export interface RunInputData {
  /** Input messages. */
  messages: Message[];
  /** Conversation the run belongs to. */
  conversationId?: string;
  /** Free-form parameters for the agent. */
  params?: Record<string, unknown>;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
}

/** Arguments of `AgentRunner.start` / `execute`. */
export interface StartRunOptions {
  /** The agent, or its key. */
  agent: AgentRuntime | string;
  /** The run id (the workflow id). Starting an id that is running returns a handle to that run. */
  runId: string;
  /** What the run works on. */
  inputData: RunInputData;
  /**
   * Temporal memo of the run (visible in `describe()` and visibility listings, not searchable;
   * carried across continue-as-new). `agent-runtime-core/server` records the run's owner here.
   * Never put secrets in it.
   */
  memo?: Record<string, string>;
  /** This run's limits, over `RunnerConfig.budget` field by field. @default the runner's */
  budget?: RunBudget;
}

/** Options of `AgentRunner`. */
export interface AgentRunnerOptions {
  /** Run settings. */
  config?: RunnerConfig;
  /** A Temporal client to use (the runner then does not own the connection). */
  client?: Client;
  /**
   * Which stores the workers write runs to (they must have them: see docs/persistence.md).
   * Every run this runner starts carries it. Fields given here override the defaults one by one
   * (a field left out or `undefined` keeps its default). @default from the settings: `runEvents`
   * when `eventBusBackend` is not `memory`, `checkpoints` when `stateStoreBackend` is not
   * `memory`; otherwise none (runs schedule no store activity)
   */
  persistence?: RunPersistenceOptions;
  /**
   * The event bus the workers use (the same backend: memory in one process, Postgres or Redis
   * across processes). `RunHandle.storedEvents()` reads the event store from it;
   * `RunHandle.events()` reads stored events from it when no worker answers (a finished run's
   * then need no worker) and interleaves the transient events (`assistant.delta`,
   * `assistant.retry`, live step progress) with the durable ones. @default none
   */
  eventBus?: EventBus;
  /**
   * Payload storage, as the workers have it (`createAgentWorker({ payloadStorage })`): results,
   * events and inputs larger than the threshold are passed by reference, and reading them needs the
   * same driver. With a given `client`, set `dataConverter: { externalStorage:
   * toExternalStorage(options) }` on that client instead (giving both throws `CONFIG_INVALID`
   * unless the client has external storage). `false` turns the default off.
   * @default a `PostgresPayloadDriver` on `getConfig().databaseUrl` when one is set (as
   *   `createRunStores` builds for `worker/main.ts`), otherwise none
   */
  payloadStorage?: PayloadStorageOptions | false;
  /**
   * The workers' transcript store, when clients can read it (`TranscriptStore.shared`: Postgres on
   * a database server, Redis). With one, the runs this runner starts on such workers return
   * `finalMessages` by reference, so the conversation is not written to history again;
   * `RunHandle.result()` reads it back from here. Without one they return them whole.
   * @default built from the settings as `createRunStores` builds the workers' one: a
   *   `PostgresTranscriptStore` on `databaseUrl` when `stateStoreBackend` is `postgres`, a
   *   `RedisTranscriptStore` on `redisUrl` when it is `redis`; otherwise none
   */
  transcriptStore?: TranscriptStore;
  /**
   * The workers' encryption (`createAgentWorker({ encryption })`, the same keys): the runner's
   * client encrypts inputs and decrypts results, events and errors. With a given `client`, create
   * it with `dataConverter: encryptedDataConverter(options)` instead (giving `encryption` with a
   * client that lacks the codec throws `CONFIG_INVALID`). @default none
   */
  encryption?: EncryptionOptions;
}

/**
 * The persistence a runner asks for when none is given: what the shared settings say the workers
 * have (`eventBusBackend` / `stateStoreBackend` other than `memory`, as `worker/main.ts` builds them).
 */
export function defaultPersistence(
  eventBusBackend: string,
  stateStoreBackend: string,
): RunPersistenceOptions | undefined {
  const runEvents = eventBusBackend !== 'memory';
  const checkpoints = stateStoreBackend !== 'memory';
  return runEvents || checkpoints ? { runEvents, checkpoints } : undefined;
}

/**
 * The runner's persistence: the settings-derived defaults, with each field the caller set
 * (not `undefined`) overriding its default, e.g. `{ conversations: true }` keeps the default
 * `runEvents`/`checkpoints`, and `{ runEvents: false }` turns only `runEvents` off.
 */
export function mergePersistence(
  defaults: RunPersistenceOptions | undefined,
  given: RunPersistenceOptions | undefined,
): RunPersistenceOptions | undefined {
  if (!given) return defaults;
  const merged: RunPersistenceOptions = { ...defaults };
  for (const key of ['runEvents', 'conversations', 'checkpoints'] as const) {
    const value = given[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
