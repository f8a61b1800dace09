// Node side only (a worker's composition root): builds the stores runs write to from settings.
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { InvokeModelDeps } from '../activities/invoke-model';
import type { RunPersistenceDeps } from '../activities/run-persistence';
import type { RuntimeConfig } from '../src/config';
import { AgentRuntimeError } from '../src/core/errors';
import { PostgresEventBus, RedisEventBus } from '../src/events';
import { PersistenceManager } from '../src/persistence/manager';
import type { PgliteModules } from '../src/persistence/postgres/pool';
import { PostgresStateStore, RedisStateStore, SQLiteStateStore } from '../src/state';
import { PostgresPayloadDriver, type PayloadStorageOptions } from '../src/payloads';
import { PostgresTranscriptStore, RedisTranscriptStore } from '../src/transcripts';

/** Options of `createRunStores`. */
export interface RunStoresOptions {
  /** Which backends: `eventBusBackend`, `stateStoreBackend`, `databaseUrl`, `redisUrl`. */
  config: Pick<
    RuntimeConfig,
    'eventBusBackend' | 'stateStoreBackend' | 'databaseUrl' | 'redisUrl' | 'sqlitePath'
  >;
  /** PGlite files go under `<projectDir>/.data/pglite` when there is no `databaseUrl`. @default process.cwd() */
  projectDir?: string;
  /** A pool to use instead of `databaseUrl` / PGlite (not closed by `close()`). */
  pool?: Pool;
  /** Build the audit store (tool calls, errors, model latency/tokens of runs). @default false */
  audit?: boolean;
  /** Prefix of the Redis keys. @default 'agent_runtime:' */
  redisKeyPrefix?: string;
  /** Loads PGlite's modules (see `PersistenceConfig.loadPglite`). */
  loadPglite?: () => Promise<PgliteModules>;
  /**
   * Build `payloadStorage` (a `PostgresPayloadDriver`) when runs share a database (`databaseUrl`
   * or `pool`; PGlite is one process's, so its claims could not be read by clients).
   * @default true
   */
  payloads?: boolean;
}

/** The stores, ready for `createActivities`, and how to release them. */
export interface RunStores {
  /**
   * Activity dependencies: `conversationStore`, and the others the settings ask for (with a
   * Postgres or Redis state store, a `transcriptStore` of the same backend).
   */
  deps: RunPersistenceDeps & Pick<InvokeModelDeps, 'transcriptStore'>;
  /**
   * Payload storage for `createAgentWorker({ payloadStorage })`, when the settings give a shared
   * database: large payloads go to its `payload_blobs` table. Clients need the same (an
   * `AgentRunner` with the same `databaseUrl` builds it by default).
   */
  payloadStorage?: PayloadStorageOptions;
  /** The manager of the Postgres/PGlite stores. */
  manager: PersistenceManager;
  /** Closes the stores, the Redis connection and the pool this function opened. */
  close(): Promise<void>;
}

/**
 * Builds the stores a worker gives its runs. Conversations (and audit, when asked) live in
 * Postgres at `databaseUrl`, or in PGlite under the project directory without one. The event
 * bus and the state store follow `eventBusBackend` / `stateStoreBackend`: `postgres` (the same
 * database), `redis` (`redisUrl` required), `sqlite` (state store only: the file `sqlitePath`), or `memory`, which gives none: a worker's memory is
 * invisible to other processes, so runs then keep their events in Temporal only. The transcript
 * store (model-call transcripts shared by the workers) follows `stateStoreBackend` too; with
 * `memory` each worker keeps its own (the activities' default).
 */
export function createRunStores(options: RunStoresOptions): RunStores {
  const { config } = options;
  const manager = new PersistenceManager({
    projectDir: options.projectDir ?? process.cwd(),
    ...(options.pool ? { pool: options.pool } : {}),
    ...(config.databaseUrl && !options.pool ? { databaseUrl: config.databaseUrl } : {}),
    ...(options.audit ? { enableAudit: true } : {}),
    ...(options.loadPglite ? { loadPglite: options.loadPglite } : {}),
  });
  const needsRedis = config.eventBusBackend === 'redis' || config.stateStoreBackend === 'redis';
  if (needsRedis && !config.redisUrl) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'The redis event bus or state store needs a Redis URL: set REDIS_URL (or redisUrl).',
    );
  }
  const redis = needsRedis ? new Redis(config.redisUrl as string) : undefined;
  // A failing Redis connection must not crash the worker: calls fail with STORAGE_ERROR instead.
  redis?.on('error', () => undefined);
  const pool = () => manager.getPool();
  const keyPrefix = options.redisKeyPrefix ?? 'agent_runtime:';
  const deps: RunStores['deps'] = { conversationStore: manager.conversations };
  const audit = manager.audit;
  if (audit) deps.auditStore = audit;
  if (config.eventBusBackend === 'postgres') {
    // PGlite serves one connection at a time: its subscribers poll instead of holding a LISTEN.
    deps.eventBus = new PostgresEventBus({ pool, listen: manager.backend === 'postgres' });
  } else if (config.eventBusBackend === 'redis' && redis) {
    deps.eventBus = new RedisEventBus({ client: redis, keyPrefix });
  }
  if (config.stateStoreBackend === 'postgres') {
    deps.stateStore = new PostgresStateStore({ pool });
    // On an embedded PGlite only this process reads it (clients get finalMessages inline).
    deps.transcriptStore = new PostgresTranscriptStore({
      pool,
      shared: manager.backend === 'postgres',
    });
  } else if (config.stateStoreBackend === 'redis' && redis) {
    deps.stateStore = new RedisStateStore({ client: redis, keyPrefix });
    deps.transcriptStore = new RedisTranscriptStore({ client: redis, keyPrefix });
  } else if (config.stateStoreBackend === 'sqlite') {
    // One node's file: checkpoints survive a restart of this worker; transcripts stay per worker.
    deps.stateStore = new SQLiteStateStore({ dbPath: config.sqlitePath ?? './agent_state.db' });
  }
  const shared = options.pool !== undefined || config.databaseUrl !== undefined;
  const payloadStorage: PayloadStorageOptions | undefined =
    shared && options.payloads !== false
      ? { driver: new PostgresPayloadDriver({ pool }) }
      : undefined;
  return {
    deps,
    ...(payloadStorage ? { payloadStorage } : {}),
    manager,
    async close() {
      await deps.eventBus?.close();
      await deps.stateStore?.close();
      await deps.transcriptStore?.close();
      await manager.close();
      redis?.disconnect();
    },
  };
}
