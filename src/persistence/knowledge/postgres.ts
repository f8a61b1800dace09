// Node side only: the Postgres KnowledgeStore. It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import { checkListFacts, checkSearch } from '../arguments';
import { z } from 'zod';
import { checkLimit } from '../logic';
import { Scope } from '../models';
import { decodeJson, encodeJson } from '../postgres/sql';
import { PostgresStoreBase } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ScopeArg } from '../validation';
import { parseId, parseKey, parseModel } from '../validation';
import { Embedding, Fact, Summary } from './models';
import type { EmbeddingInput, FactInput, FactType, SummaryInput } from './models';
import type { KnowledgeStore, SimilarEmbedding } from './store';

/**
 * Postgres `KnowledgeStore`. Similarity search uses pgvector's cosine distance where migration 2
 * could install the extension, and otherwise computes cosine similarity over `float8[]` in SQL.
 */
export class PostgresKnowledgeStore extends PostgresStoreBase implements KnowledgeStore {
  private hasVec: Promise<boolean> | undefined;
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  /** Whether the `embeddings.vec` (pgvector) column exists; checked once. */
  private vectorColumn(): Promise<boolean> {
    this.hasVec ??= this.q<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'embeddings' AND column_name = 'vec') AS ok`,
      [],
    ).then((r) => r[0]?.ok === true);
    return this.hasVec;
  }

  async saveFact(input: FactInput, scope?: ScopeArg): Promise<Fact> {
    const fact = parseModel(Fact, input, 'fact');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      await c.query(
        'DELETE FROM facts WHERE scope = $1 AND scope_id = $2 AND key = $3 AND id <> $4',
        [s.scope, s.scopeId, fact.key, fact.id],
      );
      const prev = await c.query<{ doc: string }>(
        'SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, fact.id],
      );
      const prevFact = prev.rows[0]
        ? parseModel(Fact, decodeJson(prev.rows[0].doc), 'storedFact')
        : undefined;
      const stored: Fact = {
        ...fact,
        createdAt: prevFact?.createdAt ?? fact.createdAt,
        updatedAt: new Date(),
      };
      await c.query(
        `INSERT INTO facts (scope, scope_id, id, key, fact_type, expires_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (scope, scope_id, id) DO UPDATE SET key = EXCLUDED.key, fact_type = EXCLUDED.fact_type, expires_at = EXCLUDED.expires_at,
           updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc`,
        [
          s.scope,
          s.scopeId,
          stored.id,
          stored.key,
          stored.factType,
          stored.expiresAt ?? null,
          stored.updatedAt,
          encodeJson(stored),
        ],
      );
      // what was stored, as a read returns it (JSON: -0 is 0, as in every backend)
      return { ...stored, value: decodeJson(encodeJson(stored.value)) as Fact['value'] };
    });
  }

  private async oneFact(
    where: string,
    value: string,
    scope: ScopeArg | undefined,
  ): Promise<Fact | null> {
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND ${where} = $3 AND (expires_at IS NULL OR expires_at > now())`,
      [s.scope, s.scopeId, value],
    );
    return rows[0] ? parseModel(Fact, decodeJson(rows[0].doc), 'storedFact') : null;
  }

  async getFact(id: string, scope?: ScopeArg): Promise<Fact | null> {
    parseId(id, 'id');
    return this.oneFact('id', id, scope);
  }

  async getFactByKey(key: string, scope?: ScopeArg): Promise<Fact | null> {
    parseId(key, 'key');
    return this.oneFact('key', parseKey(key), scope);
  }

  async listFacts(
    optionsIn?: { factType?: FactType; limit?: number },
    scope?: ScopeArg,
  ): Promise<Fact[]> {
    const options = checkListFacts(optionsIn);
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM facts WHERE scope = $1 AND scope_id = $2 AND ($3::text IS NULL OR fact_type = $3) AND (expires_at IS NULL OR expires_at > now())
       ORDER BY updated_at DESC, id COLLATE "C" LIMIT $4`,
      [s.scope, s.scopeId, options.factType ?? null, checkLimit(options.limit, 100, 'limit')],
    );
    return rows.map((r) => parseModel(Fact, decodeJson(r.doc), 'storedFact'));
  }

  async deleteFact(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.deleteFrom('facts', id, scope);
  }

  async purgeExpiredFacts(scope?: ScopeArg): Promise<number> {
    const s = this.scope(scope);
    const rows = await this.q(
      'DELETE FROM facts WHERE scope = $1 AND scope_id = $2 AND expires_at <= now() RETURNING 1',
      [s.scope, s.scopeId],
    );
    return rows.length;
  }

  private async deleteFrom(
    table: 'facts' | 'summaries' | 'embeddings',
    id: string,
    scope: ScopeArg | undefined,
  ): Promise<boolean> {
    const s = this.scope(scope);
    const rows = await this.q(
      `DELETE FROM ${table} WHERE scope = $1 AND scope_id = $2 AND id = $3 RETURNING 1`,
      [s.scope, s.scopeId, id],
    );
    return rows.length > 0;
  }

  async saveSummary(input: SummaryInput, scope?: ScopeArg): Promise<Summary> {
    const summary = parseModel(Summary, input, 'summary');
    const s = this.scope(scope);
    const ids = [
      ...new Set([
        ...(summary.conversationId === undefined ? [] : [summary.conversationId]),
        ...summary.conversationIds,
      ]),
    ];
    await this.q(
      `INSERT INTO summaries (scope, scope_id, id, conversation_ids, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET conversation_ids = EXCLUDED.conversation_ids, created_at = EXCLUDED.created_at, doc = EXCLUDED.doc`,
      [s.scope, s.scopeId, summary.id, ids, summary.createdAt, encodeJson(summary)],
    );
    return summary;
  }

  async getSummary(id: string, scope?: ScopeArg): Promise<Summary | null> {
    parseId(id, 'id');
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM summaries WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? parseModel(Summary, decodeJson(rows[0].doc), 'storedSummary') : null;
  }

  async getSummariesForConversation(conversationId: string, scope?: ScopeArg): Promise<Summary[]> {
    parseId(conversationId, 'conversationId');
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string }>(
      'SELECT doc FROM summaries WHERE scope = $1 AND scope_id = $2 AND $3 = ANY(conversation_ids) ORDER BY created_at DESC, id COLLATE "C"',
      [s.scope, s.scopeId, conversationId],
    );
    return rows.map((r) => parseModel(Summary, decodeJson(r.doc), 'storedSummary'));
  }

  async deleteSummary(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.deleteFrom('summaries', id, scope);
  }

  async saveEmbedding(input: EmbeddingInput, scope?: ScopeArg): Promise<Embedding> {
    const e = parseModel(Embedding, input, 'embedding');
    const s = this.scope(scope);
    const norm = Math.sqrt(e.vector.reduce((acc, x) => acc + x * x, 0));
    const { vector: _v, ...docFields } = e;
    const params = [
      s.scope,
      s.scopeId,
      e.id,
      e.contentType,
      e.dimensions,
      e.vector,
      norm,
      e.createdAt,
      encodeJson(docFields),
    ];
    const vec = await this.vectorColumn();
    await this.q(
      `INSERT INTO embeddings (scope, scope_id, id, content_type, dimensions, vector, norm, created_at, doc${vec ? ', vec' : ''})
       VALUES ($1, $2, $3, $4, $5, $6::float8[], $7, $8, $9${vec ? ', $6::float8[]::real[]::vector' : ''})
       ON CONFLICT (scope, scope_id, id) DO UPDATE SET content_type = EXCLUDED.content_type, dimensions = EXCLUDED.dimensions,
         vector = EXCLUDED.vector, norm = EXCLUDED.norm, created_at = EXCLUDED.created_at, doc = EXCLUDED.doc${vec ? ', vec = EXCLUDED.vec' : ''}`,
      params,
    );
    return e;
  }

  async getEmbedding(id: string, scope?: ScopeArg): Promise<Embedding | null> {
    parseId(id, 'id');
    const s = this.scope(scope);
    const rows = await this.q<{ doc: string; vector: number[] }>(
      'SELECT doc, vector FROM embeddings WHERE scope = $1 AND scope_id = $2 AND id = $3',
      [s.scope, s.scopeId, id],
    );
    return rows[0] ? decodeEmbedding(rows[0]) : null;
  }

  async searchSimilar(
    queryVector: number[],
    optionsIn?: { limit?: number; contentType?: string },
    scope?: ScopeArg,
  ): Promise<SimilarEmbedding[]> {
    const options = checkSearch(queryVector, optionsIn);
    const q = parseModel(z.array(z.number()).min(1), queryVector, 'queryVector');
    const s = this.scope(scope);
    const limit = checkLimit(options.limit, 10, 'limit');
    const qnorm = Math.sqrt(q.reduce((acc, x) => acc + x * x, 0));
    const vec = await this.vectorColumn();
    const score = vec
      ? `CASE WHEN norm = 0 OR $6::float8 = 0 THEN 0 ELSE 1 - (vec <=> $3::float8[]::real[]::vector) END`
      : `CASE WHEN norm = 0 OR $6::float8 = 0 THEN 0 ELSE (SELECT sum(a * b) FROM unnest(vector, $3::float8[]) AS p(a, b)) / (norm * $6::float8) END`;
    const rows = await this.q<{ doc: string; vector: number[]; score: number }>(
      `SELECT doc, vector, ${score} AS score FROM embeddings
       WHERE scope = $1 AND scope_id = $2 AND dimensions = $4 AND ($5::text IS NULL OR content_type = $5)
       ORDER BY score DESC, id COLLATE "C" LIMIT $7`,
      [s.scope, s.scopeId, q, q.length, options.contentType ?? null, qnorm, limit],
    );
    return rows.map((r) => ({ embedding: decodeEmbedding(r), score: Number(r.score) }));
  }

  async deleteEmbedding(id: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    return this.deleteFrom('embeddings', id, scope);
  }
}

function decodeEmbedding(row: { doc: string; vector: number[] }): Embedding {
  const doc = decodeJson(row.doc) as Record<string, unknown>;
  return parseModel(Embedding, { ...doc, vector: row.vector.map(Number) }, 'storedEmbedding');
}
