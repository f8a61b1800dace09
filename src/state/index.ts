// Node side only: run state stores (checkpoints and statuses across runs). Never import from workflow code.
export type { StateStore, RunStatusRecord } from './state-store';
export { InMemoryStateStore } from './memory';
export { PostgresStateStore, type PostgresStateStoreOptions } from './postgres';
export { RedisStateStore, type RedisStateStoreOptions } from './redis';
export { SQLiteStateStore, type SQLiteStateStoreOptions } from './sqlite';
