// Node side only: the in-memory KnowledgeStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describeKnowledgeStore` from `agent-runtime-core/testing`).
import { checkListFacts, checkSearch } from '../arguments';
import { z } from 'zod';
import { Partitions } from '../in-memory';
import { checkLimit, compareCodePoints, deepClone } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import { parseId, parseKey, parseModel, toScopeContext } from '../validation';
import { Embedding, Fact, Summary } from './models';
import type { EmbeddingInput, FactInput, FactType, SummaryInput } from './models';
import type { KnowledgeStore, SimilarEmbedding } from './store';

/** In-memory `KnowledgeStore`. */
export class InMemoryKnowledgeStore implements KnowledgeStore {
  private readonly facts: Partitions<Fact>;
  private readonly summaries: Partitions<Summary>;
  private readonly embeddings: Partitions<Embedding>;
  constructor(options: StoreScopeOptions = {}) {
    const ctx = toScopeContext(options);
    this.facts = new Partitions(ctx, Scope.PROJECT);
    this.summaries = new Partitions(ctx, Scope.PROJECT);
    this.embeddings = new Partitions(ctx, Scope.PROJECT);
  }
  async saveFact(input: FactInput, scope?: ScopeArg): Promise<Fact> {
    const fact = parseModel(Fact, input, 'fact');
    const facts = this.facts.of(scope);
    for (const [id, f] of facts) if (f.key === fact.key && id !== fact.id) facts.delete(id);
    const prev = facts.get(fact.id);
    const stored = {
      ...deepClone(fact),
      createdAt: prev?.createdAt ?? fact.createdAt,
      updatedAt: new Date(),
    };
    facts.set(fact.id, stored);
    return deepClone(stored);
  }
  async getFact(id: string, scope?: ScopeArg): Promise<Fact | null> {
    parseId(id, 'id');
    const f = this.facts.of(scope).get(id);
    return f && live(f) ? deepClone(f) : null;
  }
  async getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null> {
    parseId(key, 'key');
    const k = parseKey(key);
    const f = [...this.facts.of(scope).values()].find((x) => x.key === k);
    return f && live(f) ? deepClone(f) : null;
  }
  async listFacts(
    optionsIn?: { factType?: FactType; limit?: number },
    scope?: ScopeArg,
  ): Promise<Fact[]> {
    const options = checkListFacts(optionsIn);
    const limit = checkLimit(options.limit, 100, 'limit');
    return [...this.facts.of(scope).values()]
      .filter((f) => live(f) && (options.factType === undefined || f.factType === options.factType))
      .sort(
        (a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || compareCodePoints(a.id, b.id),
      )
      .slice(0, limit)
      .map((f) => deepClone(f));
  }
  async deleteFact(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.facts.of(scope).delete(id);
  }
  async purgeExpiredFacts(scope?: ScopeArg): Promise<number> {
    const facts = this.facts.of(scope);
    let n = 0;
    for (const [id, f] of facts) if (!live(f)) n += facts.delete(id) ? 1 : 0;
    return n;
  }
  async saveSummary(input: SummaryInput, scope?: ScopeArg): Promise<Summary> {
    const s = parseModel(Summary, input, 'summary');
    this.summaries.of(scope).set(s.id, deepClone(s));
    return deepClone(s);
  }
  async getSummary(id: string, scope?: ScopeArg): Promise<Summary | null> {
    parseId(id, 'id');
    const s = this.summaries.of(scope).get(id);
    return s ? deepClone(s) : null;
  }
  async getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]> {
    parseId(conversationId, 'conversationId');
    return [...this.summaries.of(scope).values()]
      .filter(
        (s) => s.conversationId === conversationId || s.conversationIds.includes(conversationId),
      )
      .sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || compareCodePoints(a.id, b.id),
      )
      .map((s) => deepClone(s));
  }
  async deleteSummary(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.summaries.of(scope).delete(id);
  }
  async saveEmbedding(input: EmbeddingInput, scope?: ScopeArg): Promise<Embedding> {
    const e = parseModel(Embedding, input, 'embedding');
    this.embeddings.of(scope).set(e.id, deepClone(e));
    return deepClone(e);
  }
  async getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null> {
    parseId(id, 'id');
    const e = this.embeddings.of(scope).get(id);
    return e ? deepClone(e) : null;
  }
  async searchSimilar(
    queryVector: number[],
    optionsIn?: { limit?: number; contentType?: string },
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]> {
    const options = checkSearch(queryVector, optionsIn);
    const q = parseModel(z.array(z.number()).min(1), queryVector, 'queryVector');
    const limit = checkLimit(options.limit, 10, 'limit');
    return [...this.embeddings.of(scope).values()]
      .filter(
        (e) =>
          e.dimensions === q.length &&
          (options.contentType === undefined || e.contentType === options.contentType),
      )
      .map((e) => ({ embedding: deepClone(e), score: cosineSimilarity(e.vector, q) }))
      .sort((a, b) => b.score - a.score || compareCodePoints(a.embedding.id, b.embedding.id))
      .slice(0, limit);
  }
  async deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.embeddings.of(scope).delete(id);
  }
  async close(): Promise<void> {}
}

function live(f: Fact): boolean {
  return f.expiresAt === undefined || f.expiresAt.getTime() > Date.now();
}

/** Cosine similarity; 0 when either vector is all zeros. */
function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
