// Node side (clients): starts runs, watches their events, cancels them. A facade over @temporalio/client.
import { Client, Connection } from '@temporalio/client';
import { PostgresTranscriptStore } from '../transcripts/postgres';
import { RedisTranscriptStore } from '../transcripts/redis';
import type { TranscriptStore } from '../transcripts/transcript-store';
import { durationMs, rejectRenamedOptions } from '../core/durations';
import { AgentRuntimeError } from '../core/errors';
import type { Message, RunResult } from '../core/types';
import { getConfig, type RuntimeConfig } from '../config';
import type { EventBus } from '../events/event-bus';
import { InMemoryEventBus } from '../events/memory';
import { PostgresEventBus } from '../events/postgres';
import { RedisEventBus } from '../events/redis';
import {
  AGENT_RUN_WORKFLOW,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  AgentCostUsdSearchAttribute,
  AgentTokensSearchAttribute,
  checkBudget,
  checkModelCallOptions,
  inlinePayloadLimit,
  resolveContinueAsNew,
  mergeModelCall,
  resolveModelCall,
  runTimeoutMs,
  type AgentRunInput,
  type RunPersistenceOptions,
} from '../core/run-contract';
import { createPostgresPool } from '../persistence/postgres/pool';
import { migrate } from '../persistence/postgres/migrator';
import { PostgresPayloadDriver, toExternalStorage, type PayloadStorageOptions } from '../payloads';
import { AesGcmPayloadCodec, encryptedDataConverter, type EncryptionOptions } from '../encryption';
import type { ExternalStorage } from '@temporalio/common';
import type { Pool } from 'pg';
import { RunHandle, type RunHandleOptions } from './run-handle';
import { DEFAULT_WATCH_TIMEOUT } from './watch-retry';
import { checkId, checkRunnerConfig, mapStartRefusal } from './start-checks';
import {
  RENAMED_RUNNER_OPTIONS,
  defaultPersistence,
  mergePersistence,
  type AgentRunnerOptions,
  type ResolvedRunnerConfig,
  type StartRunOptions,
} from './runner-options';

export { RunHandle, type EventsOptions, type RunHandleOptions } from './run-handle';
export type {
  AgentRunnerOptions,
  ResolvedRunnerConfig,
  RunInputData,
  RunnerConfig,
  StartRunOptions,
} from './runner-options';

/** Starts agent runs on Temporal and gives handles to them. */
export class AgentRunner {
  /** The resolved settings. */
  readonly config: ResolvedRunnerConfig;
  private clientPromise: Promise<Client> | undefined;
  private ownedConnection: Connection | undefined;
  private readonly persistence: RunPersistenceOptions | undefined;
  private readonly eventBus: EventBus | undefined;
  /** The bus this runner built from the settings (closed by `close()`). */
  private readonly ownedEventBus: EventBus | undefined;
  private readonly externalStorage: ExternalStorage | undefined;
  /**
   * The runs' `inlinePayloadLimit`: none when this runner's client (its own or a given one)
   * stores large payloads outside history.
   */
  private readonly inlinePayloadLimit: number | undefined;
  private payloadPool: Promise<Pool> | undefined;
  private readonly encryption: EncryptionOptions | undefined;
  /** Where runs' `finalMessages` returned by reference are read back. */
  private readonly transcriptStore: TranscriptStore | undefined;
  /** The transcript store this runner built from the settings (closed by `close()`). */
  private readonly ownedTranscriptStore: TranscriptStore | undefined;

  constructor(options: AgentRunnerOptions = {}) {
    const c = options.config ?? {};
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      throw new AgentRuntimeError('CONFIG_INVALID', 'AgentRunner: config must be an object');
    }
    rejectRenamedOptions(c, RENAMED_RUNNER_OPTIONS, 'RunnerConfig', 'CONFIG_INVALID');
    checkRunnerConfig(c);
    const g = getConfig();
    const runTimeout = c.runTimeout ?? g.runTimeout;
    runTimeoutMs(runTimeout, 'config.runTimeout', 'CONFIG_INVALID');
    checkModelCallOptions(c.modelCall, 'config.modelCall', 'CONFIG_INVALID');
    // The merged options must hold together too (e.g. an initial interval above the default
    // maximum): a bad combination throws here, not in every run this runner starts.
    const modelCall = resolveModelCall(mergeModelCall(g.modelCall, c.modelCall));
    checkModelCallOptions(modelCall, 'config.modelCall (with the defaults)', 'CONFIG_INVALID');
    checkBudget(c.budget, 'config.budget', 'CONFIG_INVALID');
    const watchTimeout = c.watchTimeout ?? DEFAULT_WATCH_TIMEOUT;
    durationMs(watchTimeout, 'config.watchTimeout', 'CONFIG_INVALID');
    this.config = {
      runTimeout,
      modelCall,
      taskQueue: c.taskQueue ?? g.taskQueue,
      namespace: c.namespace ?? options.client?.options.namespace ?? g.temporalNamespace,
      address: c.address ?? g.temporalAddress,
      searchAttributes: c.searchAttributes ?? true,
      costSearchAttributes: c.costSearchAttributes ?? c.searchAttributes ?? true,
      budget: c.budget,
      watchTimeout,
      ...(c.continueAsNew !== undefined ? { continueAsNew: { ...c.continueAsNew } } : {}),
    };
    resolveContinueAsNew(c.continueAsNew, 'config.continueAsNew', 'CONFIG_INVALID');
    if (options.client) this.clientPromise = Promise.resolve(options.client);
    this.persistence = mergePersistence(
      defaultPersistence(g.eventBusBackend, g.stateStoreBackend),
      options.persistence,
    );
    this.ownedEventBus = options.eventBus ? undefined : eventBusFromSettings(g);
    this.eventBus = options.eventBus ?? this.ownedEventBus;
    if (options.eventBus) warnOnMismatch(options.eventBus, g.eventBusBackend, this.persistence);
    this.ownedTranscriptStore = options.transcriptStore
      ? undefined
      : transcriptStoreFromSettings(g);
    this.transcriptStore = options.transcriptStore ?? this.ownedTranscriptStore;
    if (
      options.client &&
      options.payloadStorage &&
      !options.client.options.loadedDataConverter.externalStorage
    ) {
      // Silently reading claims as values (or storing nothing) would split worker and client.
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        'AgentRunner: payloadStorage cannot be added to a given client. Create the client with ' +
          '`dataConverter: { externalStorage: toExternalStorage(payloadStorage) }` instead.',
      );
    }
    const payloadStorage =
      options.payloadStorage === false || options.client
        ? undefined
        : (options.payloadStorage ?? this.defaultPayloadStorage(g.databaseUrl));
    this.externalStorage = payloadStorage ? toExternalStorage(payloadStorage) : undefined;
    const storesLargePayloads =
      this.externalStorage !== undefined ||
      options.client?.options.loadedDataConverter.externalStorage !== undefined;
    const encrypted =
      options.encryption !== undefined ||
      (options.client?.options.loadedDataConverter.payloadCodecs ?? []).some(
        (c) => c instanceof AesGcmPayloadCodec,
      );
    this.inlinePayloadLimit = storesLargePayloads ? undefined : inlinePayloadLimit(encrypted);
    if (options.encryption) {
      // Built now, so a bad key throws here, not at the first start.
      encryptedDataConverter(options.encryption);
      const codecs = options.client?.options.loadedDataConverter.payloadCodecs;
      if (options.client && !codecs?.some((c) => c instanceof AesGcmPayloadCodec)) {
        throw new AgentRuntimeError(
          'CONFIG_INVALID',
          'AgentRunner: encryption cannot be added to a given client. Create the client with ' +
            '`dataConverter: encryptedDataConverter(options)` instead.',
          { details: { field: 'encryption' } },
        );
      }
    }
    this.encryption = options.client ? undefined : options.encryption;
  }

  /**
   * What `worker/main.ts` has with a database configured: payloads by reference in its
   * `payload_blobs` table. The pool opens (and migrates) only when a payload is large enough.
   */
  private defaultPayloadStorage(
    databaseUrl: string | undefined,
  ): PayloadStorageOptions | undefined {
    if (!databaseUrl) return undefined;
    const pool = (): Promise<Pool> => {
      this.payloadPool ??= (async () => {
        const p = createPostgresPool({ connectionString: databaseUrl, max: 4 });
        await migrate(p);
        return p;
      })().catch((err: unknown) => {
        this.payloadPool = undefined;
        throw err;
      });
      return this.payloadPool;
    };
    return { driver: new PostgresPayloadDriver({ pool }) };
  }

  /** The Temporal client (connecting on first use). */
  async client(): Promise<Client> {
    this.clientPromise ??= (async () => {
      this.ownedConnection = await Connection.connect({ address: this.config.address });
      return new Client({
        connection: this.ownedConnection,
        namespace: this.config.namespace,
        ...(this.externalStorage || this.encryption
          ? {
              dataConverter: {
                ...(this.encryption ? encryptedDataConverter(this.encryption) : {}),
                ...(this.externalStorage ? { externalStorage: this.externalStorage } : {}),
              },
            }
          : {}),
      });
    })();
    return this.clientPromise;
  }

  /** Starts a run and returns its handle; if a run with this id is running, a handle to it. */
  async start(options: StartRunOptions): Promise<RunHandle> {
    const agentKey = typeof options.agent === 'string' ? options.agent : options.agent.key;
    checkId(options.runId, 'runId');
    if (!agentKey) throw new AgentRuntimeError('INVALID_INPUT', 'agent (or its key) is required');
    checkId(agentKey, 'agent', 255);
    const data = options.inputData;
    if (!data || !Array.isArray(data.messages)) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'inputData.messages must be an array of messages',
      );
    }
    if (data.conversationId !== undefined) checkId(data.conversationId, 'inputData.conversationId');
    checkBudget(options.budget, 'budget', 'INVALID_INPUT');
    const budget = stripUndefinedFields({ ...this.config.budget, ...options.budget });
    const input: AgentRunInput = {
      agentKey,
      runId: options.runId,
      messages: data.messages,
      runTimeout: this.config.runTimeout,
      modelCall: this.config.modelCall,
      ...(data.conversationId !== undefined ? { conversationId: data.conversationId } : {}),
      ...(data.params !== undefined ? { params: data.params } : {}),
      ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
      ...(this.persistence ? { persistence: this.persistence } : {}),
      ...(this.config.continueAsNew ? { continueAsNew: this.config.continueAsNew } : {}),
      // This runner can read finalMessages returned by reference (see `transcriptStore`).
      ...(this.transcriptStore ? { resultByReference: true } : {}),
      // Without payload storage the run keeps its own payloads under Temporal's limit.
      ...(this.inlinePayloadLimit !== undefined
        ? { inlinePayloadLimit: this.inlinePayloadLimit }
        : {}),
      ...(Object.keys(budget).length ? { budget } : {}),
    };
    const client = await this.client();
    try {
      await client.workflow.start(AGENT_RUN_WORKFLOW, {
        workflowId: options.runId,
        taskQueue: this.config.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        ...(options.memo ? { memo: options.memo } : {}),
        staticSummary: summarize(agentKey, data.messages),
        staticDetails: `Agent **${agentKey}**, run \`${options.runId}\`${data.conversationId ? `, conversation \`${data.conversationId}\`` : ''}.`,
        ...(this.config.searchAttributes
          ? {
              typedSearchAttributes: [
                { key: AgentKeySearchAttribute, value: agentKey },
                { key: AgentStatusSearchAttribute, value: 'running' },
                // Set at the start so the workflow knows they are registered (it updates them).
                ...(this.config.costSearchAttributes
                  ? [
                      { key: AgentCostUsdSearchAttribute, value: 0 },
                      { key: AgentTokensSearchAttribute, value: 0 },
                    ]
                  : []),
              ],
            }
          : {}),
      });
      // Not the started handle: after a continue-as-new, USE_EXISTING answers with the current
      // execution's run id, which cancel/terminate would check against the chain's first run.
      return new RunHandle(
        options.runId,
        client.workflow.getHandle(options.runId),
        this.eventBus,
        this.handleOptions(),
      );
    } catch (err) {
      const message = (err as Error)?.message ?? '';
      if (/search attribute/i.test(message)) {
        throw new AgentRuntimeError(
          'CONFIG_MISSING',
          'The Temporal namespace lacks the AgentKey/AgentStatus (Keyword) or AgentCostUsd (Double) / ' +
            'AgentTokens (Int) search attributes. Register them with ' +
            '`temporal operator search-attribute create --name AgentKey --type Keyword` (and the others), ' +
            'or pass { searchAttributes: false } (or { costSearchAttributes: false }) in RunnerConfig.',
          { cause: err },
        );
      }
      throw mapStartRefusal(err);
    }
  }

  /** Starts a run and waits for its result (see `RunHandle.result`). */
  async execute(options: StartRunOptions): Promise<RunResult> {
    return (await this.start(options)).result();
  }

  /** A handle to an existing run. */
  async getHandle(runId: string): Promise<RunHandle> {
    const client = await this.client();
    return new RunHandle(
      runId,
      client.workflow.getHandle(runId),
      this.eventBus,
      this.handleOptions(),
    );
  }

  private handleOptions(): RunHandleOptions {
    return {
      watchTimeout: this.config.watchTimeout,
      ...(this.transcriptStore ? { transcriptStore: this.transcriptStore } : {}),
    };
  }

  /** Closes the connection the runner opened (not one it was given). */
  async close(): Promise<void> {
    await this.ownedEventBus?.close();
    await this.ownedTranscriptStore?.close();
    await this.ownedConnection?.close();
    this.ownedConnection = undefined;
    const pool = this.payloadPool;
    this.payloadPool = undefined;
    await pool?.then((p) => p.end()).catch(() => undefined);
  }
}

/**
 * The event bus the settings give the workers (`createRunStores` builds the same one for
 * `worker/main.ts`): Redis at `redisUrl`, or Postgres at `databaseUrl`, with the workers' default
 * key prefix. `memory`, or `postgres` without a `databaseUrl` (the worker's own PGlite), gives none.
 */
function eventBusFromSettings(
  g: Pick<RuntimeConfig, 'eventBusBackend' | 'redisUrl' | 'databaseUrl'>,
): EventBus | undefined {
  if (g.eventBusBackend === 'redis') {
    if (!g.redisUrl) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        'eventBusBackend is redis (AGENT_RUNTIME_EVENT_BUS_BACKEND) but no Redis URL is set: set ' +
          'REDIS_URL (or redisUrl), the same as the worker has.',
      );
    }
    return new RedisEventBus({ redisUrl: g.redisUrl });
  }
  if (g.eventBusBackend === 'postgres') {
    if (!g.databaseUrl) {
      warnOnce(
        'eventBusBackend is postgres but no databaseUrl (DATABASE_URL) is set: a worker with these ' +
          'settings keeps its events in its own embedded PGlite, which this runner cannot read; ' +
          'set DATABASE_URL on both sides to stream across processes.',
      );
      return undefined;
    }
    return new PostgresEventBus({ databaseUrl: g.databaseUrl });
  }
  return undefined;
}

/**
 * The transcript store the settings give the workers (`createRunStores` builds the same one):
 * Postgres at `databaseUrl` or Redis at `redisUrl`, per `stateStoreBackend`; none otherwise (a
 * worker's memory, or its own PGlite, which clients cannot read: its runs return
 * `finalMessages` inline). Connects on first use.
 */
function transcriptStoreFromSettings(
  g: Pick<RuntimeConfig, 'stateStoreBackend' | 'redisUrl' | 'databaseUrl'>,
): TranscriptStore | undefined {
  if (g.stateStoreBackend === 'postgres' && g.databaseUrl) {
    return new PostgresTranscriptStore({ databaseUrl: g.databaseUrl });
  }
  if (g.stateStoreBackend === 'redis' && g.redisUrl) {
    return new RedisTranscriptStore({ redisUrl: g.redisUrl });
  }
  return undefined;
}

const warned = new Set<string>();
/** Prints a configuration warning once per process. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`[agent-runtime] ${message}`);
}

/** Warns (once) when a given bus cannot be the one the settings give the workers. */
function warnOnMismatch(
  bus: EventBus,
  backend: RuntimeConfig['eventBusBackend'],
  persistence: RunPersistenceOptions | undefined,
): void {
  if (bus instanceof InMemoryEventBus) return; // shared in one process with an in-process worker
  const kind =
    bus instanceof RedisEventBus
      ? 'redis'
      : bus instanceof PostgresEventBus
        ? 'postgres'
        : undefined;
  if (kind !== undefined && backend !== 'memory' && kind !== backend) {
    warnOnce(
      `AgentRunner was given a ${kind} eventBus but the settings say eventBusBackend=${backend} ` +
        '(AGENT_RUNTIME_EVENT_BUS_BACKEND): a worker with these settings publishes elsewhere, so ' +
        'this runner would see no token deltas. Use the same backend on both sides.',
    );
  } else if (backend === 'memory' && persistence?.runEvents !== true) {
    warnOnce(
      'AgentRunner was given an eventBus but the settings say eventBusBackend=memory: a worker ' +
        'with these settings publishes no events to a shared bus, so this runner would see no ' +
        'token deltas. Set AGENT_RUNTIME_EVENT_BUS_BACKEND (and its URL) the same on both sides.',
    );
  }
}

/** A one-line UI summary (Temporal allows 200 bytes). */
function summarize(agentKey: string, messages: Message[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const text =
    typeof lastUser?.content === 'string' ? lastUser.content.replace(/\s+/g, ' ').trim() : '';
  const line = text ? `${agentKey}: ${text}` : agentKey;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** A copy of `o` without its `undefined` fields. */
function stripUndefinedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
