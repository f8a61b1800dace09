// Node side only (worker, client, scripts): the persistence layer's public entry. Never import from workflow code.
export {
  Scope,
  TaskState,
  FactType,
  AuditEventType,
  ErrorSeverity,
  SafeKey,
  ToolCall,
  ToolResult,
  ConversationMessage,
  Conversation,
  Task,
  TaskList,
  Fact,
  Summary,
  Embedding,
  AuditEntry,
  ErrorRecord,
  PerformanceMetric,
} from './models';
export type {
  ConversationMessageInput,
  ConversationInput,
  ConversationBranch,
  TaskInput,
  TaskListInput,
  FactInput,
  SummaryInput,
  EmbeddingInput,
  AuditEntryInput,
  ErrorRecordInput,
  PerformanceMetricInput,
  MetricSummary,
} from './models';
export type {
  MemoryStore,
  PreferencesStore,
  ConversationStore,
  ListConversationsOptions,
  GetMessagesOptions,
  BranchResult,
  TaskStore,
  TaskUpdate,
  TaskQuery,
  KnowledgeStore,
  SimilarEmbedding,
  AuditStore,
  AuditQuery,
} from './stores';
export type { ScopeArg, ScopeContext, ResolvedScope, StoreScopeOptions } from './validation';
export { resolveScope } from './validation';
export {
  InMemoryMemoryStore,
  InMemoryPreferencesStore,
  InMemoryConversationStore,
  InMemoryTaskStore,
  InMemoryKnowledgeStore,
  InMemoryAuditStore,
} from './memory/memory-stores';
export {
  PostgresMemoryStore,
  PostgresPreferencesStore,
  PostgresConversationStore,
  PostgresTaskStore,
  PostgresKnowledgeStore,
  PostgresAuditStore,
} from './postgres/postgres-stores';
export type { PostgresStoreOptions } from './postgres/postgres-stores';
export type { PoolSource } from './postgres/sql';
export { escapeLike } from './postgres/sql';
export { createPostgresPool, guardPool, openPglite } from './postgres/pool';
export type {
  PostgresPoolOptions,
  PgliteHandle,
  PgliteModules,
  OpenPgliteOptions,
} from './postgres/pool';
export { migrate, getSchemaVersion, latestSchemaVersion } from './postgres/migrator';
export type { MigrateOptions, MigrateResult } from './postgres/migrator';
export { MIGRATIONS } from './postgres/migrations';
export type { Migration } from './postgres/migrations';
export {
  PersistenceManager,
  configurePersistence,
  getPersistenceManager,
  projectIdFor,
} from './manager';
export type { PersistenceConfig, PersistenceBackend, StoreClass, StoreContext } from './manager';
