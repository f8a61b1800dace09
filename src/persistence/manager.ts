// Node side only: PersistenceManager, the one object an application asks for its stores.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { AgentRuntimeError } from '../core/errors';
import { InMemoryAuditStore } from './audit/memory';
import { PostgresAuditStore } from './audit/postgres';
import type { AuditStore } from './audit/store';
import { InMemoryConversationStore } from './conversations/memory';
import { PostgresConversationStore } from './conversations/postgres';
import type { ConversationStore } from './conversations/store';
import { InMemoryKnowledgeStore } from './knowledge/memory';
import { PostgresKnowledgeStore } from './knowledge/postgres';
import type { KnowledgeStore } from './knowledge/store';
import { InMemoryMemoryStore } from './memory-store/memory';
import { PostgresMemoryStore } from './memory-store/postgres';
import type { MemoryStore } from './memory-store/store';
import { migrate } from './postgres/migrator';
import { createPostgresPool, openPglite } from './postgres/pool';
import type { PgliteModules } from './postgres/pool';
import type { PostgresStoreOptions } from './postgres/store-base';
import { InMemoryPreferencesStore } from './preferences/memory';
import { PostgresPreferencesStore } from './preferences/postgres';
import type { PreferencesStore } from './preferences/store';
import { InMemoryTaskStore } from './tasks/memory';
import { PostgresTaskStore } from './tasks/postgres';
import type { TaskStore } from './tasks/store';

/** A store class; constructed with `<x>StoreArgs`, or with one `StoreContext` when none are given. */
export type StoreClass<T> = new (...args: never[]) => T;

/** What a store class gets when the config gives no constructor arguments. */
export interface StoreContext {
  /** The resolved project directory. */
  projectDir: string;
  /** The PROJECT scope id. */
  projectId: string;
  /** The SESSION scope id, if configured. */
  sessionId?: string;
}

/** Which built-in backend the default stores use. */
export type PersistenceBackend = 'postgres' | 'pglite' | 'memory';

/**
 * How the manager builds each store. For every store `x` (memory, conversation, task,
 * preferences, knowledge, audit) there are three ways to plug in your own, tried in this order:
 * `xStore` (an instance), `xStoreFactory` (called once, lazily), `xStoreClass` (constructed
 * once, lazily, with `xStoreArgs`). Otherwise memory, conversation, task and preferences get the
 * built-in store of `backend`; knowledge and audit stay unset unless `enableKnowledge` /
 * `enableAudit` ask for the built-in ones.
 */
export interface PersistenceConfig {
  /** Project directory: PGlite files go under `<projectDir>/.data/pglite`. @default process.cwd() */
  projectDir?: string;
  /** PROJECT scope id. @default a hash of the resolved `projectDir` */
  projectId?: string;
  /** SESSION scope id; without it, SESSION calls must name a session. */
  sessionId?: string;
  /**
   * Postgres connection string. Library code never reads the environment: pass
   * `process.env.DATABASE_URL` here from your composition root.
   */
  databaseUrl?: string;
  /** An existing pool to use instead of `databaseUrl` (not closed by `close()`). */
  pool?: Pool;
  /** @default 'postgres' with `databaseUrl` or `pool`, else 'pglite' */
  backend?: PersistenceBackend;
  /** PGlite data directory. @default `<projectDir>/.data/pglite` */
  pgliteDataDir?: string;
  /** Loads PGlite's modules (see `OpenPgliteOptions.load`). @default dynamic `import()` */
  loadPglite?: () => Promise<PgliteModules>;
  /** Run migrations when the built-in Postgres/PGlite stores first connect. @default true */
  migrate?: boolean;
  /** Build the built-in knowledge store when none is configured. @default false */
  enableKnowledge?: boolean;
  /** Build the built-in audit store when none is configured. @default false */
  enableAudit?: boolean;

  memoryStore?: MemoryStore;
  memoryStoreFactory?: () => MemoryStore;
  memoryStoreClass?: StoreClass<MemoryStore>;
  memoryStoreArgs?: readonly unknown[];
  conversationStore?: ConversationStore;
  conversationStoreFactory?: () => ConversationStore;
  conversationStoreClass?: StoreClass<ConversationStore>;
  conversationStoreArgs?: readonly unknown[];
  taskStore?: TaskStore;
  taskStoreFactory?: () => TaskStore;
  taskStoreClass?: StoreClass<TaskStore>;
  taskStoreArgs?: readonly unknown[];
  preferencesStore?: PreferencesStore;
  preferencesStoreFactory?: () => PreferencesStore;
  preferencesStoreClass?: StoreClass<PreferencesStore>;
  preferencesStoreArgs?: readonly unknown[];
  knowledgeStore?: KnowledgeStore;
  knowledgeStoreFactory?: () => KnowledgeStore;
  knowledgeStoreClass?: StoreClass<KnowledgeStore>;
  knowledgeStoreArgs?: readonly unknown[];
  auditStore?: AuditStore;
  auditStoreFactory?: () => AuditStore;
  auditStoreClass?: StoreClass<AuditStore>;
  auditStoreArgs?: readonly unknown[];
}

type StoreName = 'memory' | 'conversation' | 'task' | 'preferences' | 'knowledge' | 'audit';
interface AnyStore {
  close(): Promise<void>;
}

/** The default PROJECT id of a directory: stable, and free of path characters. */
export function projectIdFor(projectDir: string): string {
  return createHash('sha256').update(resolve(projectDir)).digest('hex').slice(0, 16);
}

/**
 * Gives access to the configured stores. Stores are built lazily, on first access, and cached.
 * With no custom stores and no `databaseUrl`, it uses PGlite under `<projectDir>/.data/pglite`
 * and migrates it on first use, so a newcomer needs no setup at all.
 */
export class PersistenceManager {
  /** The resolved project directory. */
  readonly projectDir: string;
  /** The PROJECT scope id the built-in stores use. */
  readonly projectId: string;
  /** The backend of the built-in stores. */
  readonly backend: PersistenceBackend;
  private readonly config: PersistenceConfig;
  private readonly stores = new Map<StoreName, AnyStore | null>();
  private poolPromise: Promise<Pool> | undefined;
  private closePool: (() => Promise<void>) | undefined;

  constructor(config: PersistenceConfig = {}) {
    this.config = { ...config };
    this.projectDir = resolve(config.projectDir ?? process.cwd());
    this.projectId = config.projectId ?? projectIdFor(this.projectDir);
    this.backend =
      config.backend ??
      (config.databaseUrl !== undefined || config.pool !== undefined ? 'postgres' : 'pglite');
    if (
      this.backend === 'postgres' &&
      config.databaseUrl === undefined &&
      config.pool === undefined
    ) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        "backend 'postgres' needs `databaseUrl` or `pool`",
      );
    }
  }

  /** Key/value memory. */
  get memory(): MemoryStore {
    return this.resolve(
      'memory',
      true,
      (o) => new PostgresMemoryStore(o),
      () => new InMemoryMemoryStore(this.scopeOptions()),
    ) as MemoryStore;
  }
  /** Conversations. */
  get conversations(): ConversationStore {
    return this.resolve(
      'conversation',
      true,
      (o) => new PostgresConversationStore(o),
      () => new InMemoryConversationStore(this.scopeOptions()),
    ) as ConversationStore;
  }
  /** Tasks and task lists. */
  get tasks(): TaskStore {
    return this.resolve(
      'task',
      true,
      (o) => new PostgresTaskStore(o),
      () => new InMemoryTaskStore(this.scopeOptions()),
    ) as TaskStore;
  }
  /** Preferences. */
  get preferences(): PreferencesStore {
    return this.resolve(
      'preferences',
      true,
      (o) => new PostgresPreferencesStore(o),
      () => new InMemoryPreferencesStore(this.scopeOptions()),
    ) as PreferencesStore;
  }
  /** The knowledge store, or `null` when none is configured (see `hasKnowledge`). */
  get knowledge(): KnowledgeStore | null {
    return this.resolve(
      'knowledge',
      this.config.enableKnowledge === true,
      (o) => new PostgresKnowledgeStore(o),
      () => new InMemoryKnowledgeStore(this.scopeOptions()),
    ) as KnowledgeStore | null;
  }
  /** The audit store, or `null` when none is configured (see `hasAudit`). */
  get audit(): AuditStore | null {
    return this.resolve(
      'audit',
      this.config.enableAudit === true,
      (o) => new PostgresAuditStore(o),
      () => new InMemoryAuditStore(this.scopeOptions()),
    ) as AuditStore | null;
  }
  /** Whether a knowledge store is configured; narrows `knowledge` to non-null. */
  hasKnowledge(): this is this & { readonly knowledge: KnowledgeStore } {
    return this.knowledge !== null;
  }
  /** Whether an audit store is configured; narrows `audit` to non-null. */
  hasAudit(): this is this & { readonly audit: AuditStore } {
    return this.audit !== null;
  }

  /**
   * The pool of the built-in stores, opened (and migrated, unless `migrate: false`) on first
   * call. Throws `CONFIG_INVALID` for the memory backend.
   */
  getPool(): Promise<Pool> {
    if (this.backend === 'memory')
      return Promise.reject(
        new AgentRuntimeError('CONFIG_INVALID', 'The memory backend has no pool'),
      );
    this.poolPromise ??= this.openPool().catch((err: unknown) => {
      // Let a later call try again (the server may come up) instead of caching the failure.
      this.poolPromise = undefined;
      throw err;
    });
    return this.poolPromise;
  }

  /** Closes every store built so far and the pool the manager opened. */
  async close(): Promise<void> {
    const built = [...this.stores.values()].filter((s): s is AnyStore => s !== null);
    this.stores.clear();
    await Promise.all(built.map((s) => s.close()));
    if (this.poolPromise) {
      await this.poolPromise.catch(() => undefined);
      this.poolPromise = undefined;
    }
    const closePool = this.closePool;
    this.closePool = undefined;
    await closePool?.();
  }

  private async openPool(): Promise<Pool> {
    let pool: Pool;
    if (this.backend === 'postgres') {
      if (this.config.pool) {
        pool = this.config.pool;
      } else {
        const owned = createPostgresPool({ connectionString: this.config.databaseUrl });
        this.closePool = () => owned.end();
        pool = owned;
      }
    } else {
      const handle = await openPglite(
        this.config.pgliteDataDir ?? join(this.projectDir, '.data', 'pglite'),
        this.config.loadPglite ? { load: this.config.loadPglite } : {},
      );
      this.closePool = () => handle.close();
      pool = handle.pool;
    }
    if (this.config.migrate !== false) await migrate(pool);
    return pool;
  }

  private scopeOptions(): { projectId: string; sessionId?: string } {
    return this.config.sessionId === undefined
      ? { projectId: this.projectId }
      : { projectId: this.projectId, sessionId: this.config.sessionId };
  }

  private resolve(
    name: StoreName,
    builtIn: boolean,
    pg: (o: PostgresStoreOptions) => AnyStore,
    memory: () => AnyStore,
  ): AnyStore | null {
    if (this.stores.has(name)) return this.stores.get(name) ?? null;
    const c = this.config as unknown as Record<string, unknown>;
    const instance = c[`${name}Store`] as AnyStore | undefined;
    const factory = c[`${name}StoreFactory`] as (() => AnyStore) | undefined;
    const cls = c[`${name}StoreClass`] as (new (...args: unknown[]) => AnyStore) | undefined;
    const args = c[`${name}StoreArgs`] as readonly unknown[] | undefined;
    let store: AnyStore | null = null;
    if (instance) store = instance;
    else if (factory) store = factory();
    else if (cls) {
      const context: StoreContext = { projectDir: this.projectDir, ...this.scopeOptions() };
      store = new cls(...(args ?? [context]));
    } else if (builtIn) {
      store =
        this.backend === 'memory'
          ? memory()
          : pg({ pool: () => this.getPool(), ...this.scopeOptions() });
    }
    this.stores.set(name, store);
    return store;
  }
}

let globalConfig: PersistenceConfig = {};
let globalManager: PersistenceManager | undefined;

/**
 * Sets the configuration of the global manager and drops the cached one (without closing it:
 * code may still hold its stores; close it yourself if you own it).
 */
export function configurePersistence(config: PersistenceConfig = {}): void {
  globalConfig = { ...config };
  globalManager = undefined;
}

/** The global manager, created on first call from the last `configurePersistence` config. */
export function getPersistenceManager(): PersistenceManager {
  globalManager ??= new PersistenceManager(globalConfig);
  return globalManager;
}
