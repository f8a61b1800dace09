// Node side only: run state stores (checkpoints and statuses across runs). Never import from workflow code.
export { InMemoryStateStore, PostgresStateStore, RedisStateStore } from './state-stores';
export type {
  StateStore,
  RunStatusRecord,
  PostgresStateStoreOptions,
  RedisStateStoreOptions,
} from './state-stores';
