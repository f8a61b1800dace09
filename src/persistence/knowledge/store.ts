// Node side only: the KnowledgeStore interface (facts, summaries, embeddings).
import type { ScopeArg } from '../validation';
import type {
  Embedding,
  EmbeddingInput,
  Fact,
  FactInput,
  FactType,
  Summary,
  SummaryInput,
} from './models';

/** A search hit: the embedding and its cosine similarity to the query (-1…1). */
export interface SimilarEmbedding {
  embedding: Embedding;
  score: number;
}

/** Optional store of facts, summaries and embeddings. The default scope is PROJECT. */
export interface KnowledgeStore {
  /** Saves a fact; a fact with the same key and another id in the scope is replaced. */
  saveFact(fact: FactInput, scope?: ScopeArg): Promise<Fact>;
  /** The fact, unless missing or expired. */
  getFact(id: string, scope?: ScopeArg): Promise<Fact | null>;
  getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null>;
  /** Unexpired facts, newest first. @default limit 100 */
  listFacts(options?: { factType?: FactType; limit?: number }, scope?: ScopeArg): Promise<Fact[]>;
  deleteFact(id: string, scope?: ScopeArg): Promise<boolean>;
  /** Deletes expired facts; how many. */
  purgeExpiredFacts(scope?: ScopeArg): Promise<number>;
  saveSummary(summary: SummaryInput, scope?: ScopeArg): Promise<Summary>;
  getSummary(id: string, scope?: ScopeArg): Promise<Summary | null>;
  /** Summaries whose `conversationId` or `conversationIds` name the conversation, newest first. */
  getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]>;
  deleteSummary(id: string, scope?: ScopeArg): Promise<boolean>;
  saveEmbedding(embedding: EmbeddingInput, scope?: ScopeArg): Promise<Embedding>;
  getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null>;
  /**
   * The `limit` (default 10) embeddings most similar to `queryVector` by cosine similarity, best
   * first. Only embeddings with the query's dimensions are compared.
   */
  searchSimilar(
    queryVector: number[],
    options?: { limit?: number; contentType?: string },
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]>;
  deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean>;
  close(): Promise<void>;
}
