// Node side only (worker, client, scripts): the persistence layer's public entry. Never import
// from workflow code. One folder per store (conversations/, tasks/, memory-store/, preferences/,
// knowledge/, audit/), each with its interface (store.ts), models, in-memory (memory.ts) and
// Postgres (postgres.ts) implementation.
export { Scope } from './models';
export { ToolCall, ToolResult, ConversationMessage, Conversation } from './conversations/models';
export type {
  ConversationMessageInput,
  ConversationInput,
  ConversationBranch,
} from './conversations/models';
export { TaskState, Task, TaskList } from './tasks/models';
export type { TaskInput, TaskListInput } from './tasks/models';
export { FactType, Fact, Summary, Embedding } from './knowledge/models';
export type { FactInput, SummaryInput, EmbeddingInput } from './knowledge/models';
export {
  AuditEventType,
  ErrorSeverity,
  AuditEntry,
  ErrorRecord,
  PerformanceMetric,
} from './audit/models';
export type {
  AuditEntryInput,
  ErrorRecordInput,
  PerformanceMetricInput,
  MetricSummary,
} from './audit/models';
export type { MemoryStore } from './memory-store/store';
export type { PreferencesStore } from './preferences/store';
export type {
  ConversationStore,
  ListConversationsOptions,
  GetMessagesOptions,
  BranchResult,
} from './conversations/store';
export type { TaskStore, TaskUpdate, TaskQuery } from './tasks/store';
export type { KnowledgeStore, SimilarEmbedding } from './knowledge/store';
export type { AuditStore, AuditQuery } from './audit/store';
export type { ScopeArg, ScopeContext, StoreScopeOptions } from './validation';
export { InMemoryMemoryStore } from './memory-store/memory';
export { InMemoryPreferencesStore } from './preferences/memory';
export { InMemoryConversationStore } from './conversations/memory';
export { InMemoryTaskStore } from './tasks/memory';
export { InMemoryKnowledgeStore } from './knowledge/memory';
export { InMemoryAuditStore } from './audit/memory';
export { PostgresMemoryStore } from './memory-store/postgres';
export { PostgresPreferencesStore } from './preferences/postgres';
export { PostgresConversationStore } from './conversations/postgres';
export { PostgresTaskStore } from './tasks/postgres';
export { PostgresKnowledgeStore } from './knowledge/postgres';
export { PostgresAuditStore } from './audit/postgres';
export type { PostgresStoreOptions } from './postgres/store-base';
export type { PoolSource } from './postgres/sql';
export { createPostgresPool, openPglite } from './postgres/pool';
export type {
  PostgresPoolOptions,
  PgliteHandle,
  PgliteModules,
  OpenPgliteOptions,
} from './postgres/pool';
export { migrate, getSchemaVersion, latestSchemaVersion } from './postgres/migrator';
export type { MigrateOptions, MigrateResult } from './postgres/migrator';
export type { Migration } from './postgres/migrations';
export { PersistenceManager, configurePersistence, getPersistenceManager } from './manager';
export type { PersistenceConfig, PersistenceBackend, StoreClass, StoreContext } from './manager';

// Run event buses (the runner's `eventBus`, the worker's event store) and run state stores.
export {
  InMemoryEventBus,
  PostgresEventBus,
  RedisEventBus,
  readRunEvents,
  type EventBus,
  type GetEventsOptions,
  type PostgresEventBusOptions,
  type ReadRunEventsOptions,
  type RedisEventBusOptions,
  type SubscribeOptions,
  type TransientEvent,
  type TransientSubscription,
} from '../events';
export {
  InMemoryStateStore,
  PostgresStateStore,
  RedisStateStore,
  SQLiteStateStore,
  type PostgresStateStoreOptions,
  type RedisStateStoreOptions,
  type RunStatusRecord,
  type SQLiteStateStoreOptions,
  type StateStore,
} from '../state';
export {
  InMemoryTranscriptStore,
  PostgresTranscriptStore,
  RedisTranscriptStore,
  type InMemoryTranscriptStoreOptions,
  type PostgresTranscriptStoreOptions,
  type RedisTranscriptStoreOptions,
  type TranscriptEntry,
  type TranscriptStore,
} from '../transcripts';
