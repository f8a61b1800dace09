// Node side only: transcript stores (a run's model-call transcripts, kept on the worker side).
// Never import from workflow code.
export type { TranscriptEntry, TranscriptStore } from './transcript-store';
export { InMemoryTranscriptStore, type InMemoryTranscriptStoreOptions } from './memory';
export { PostgresTranscriptStore, type PostgresTranscriptStoreOptions } from './postgres';
export { RedisTranscriptStore, type RedisTranscriptStoreOptions } from './redis';
