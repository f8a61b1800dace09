// Node side (tests only): the KnowledgeStore conformance suite. Every implementation, ours (memory,
// Postgres, PGlite) and yours, runs these same tests; see docs/persistence.md.
import { randomUUID } from 'node:crypto';
import { FactType } from '../../persistence/knowledge/models';
import { Scope } from '../../persistence/models';
import type { KnowledgeStore } from '../../persistence/knowledge/store';
import type { StoreFactory } from './helpers';
import { expectCode, HOSTILE_TEXTS, scopeOptions, testRunner } from './helpers';

/**
 * The `KnowledgeStore` contract: facts by key and type with expiry, summaries by conversation,
 * and embeddings ranked by cosine similarity.
 *
 * Call it at the top level of a test file (or inside a `describe`). It uses the test runner's
 * globals (`describe`, `it`, `beforeEach`, `afterEach`, `expect`): run it under Jest, or Vitest
 * with `globals: true`. It imports no test-runner package.
 *
 * @param name Names the implementation in the test titles.
 * @param factory Builds a fresh store for each test (see `StoreFactory`).
 */
export function describeKnowledgeStore(name: string, factory: StoreFactory<KnowledgeStore>): void {
  const { describe, it, beforeEach, afterEach, expect } = testRunner();
  describe(`KnowledgeStore conformance: ${name}`, () => {
    let store: KnowledgeStore;
    beforeEach(async () => {
      store = await factory(scopeOptions());
    });
    afterEach(async () => store.close());

    it('saves facts by key and type, replaces by key, and hides expired ones', async () => {
      const f = await store.saveFact({
        key: 'user.preferred_language',
        value: 'Python',
        factType: FactType.PREFERENCE,
      });
      expect((await store.getFact(f.id))?.value).toBe('Python');
      expect((await store.getFactByKey('user.preferred_language'))?.id).toBe(f.id);
      const g = await store.saveFact({
        key: 'user.preferred_language',
        value: 'TypeScript',
        factType: FactType.PREFERENCE,
      });
      expect(await store.getFact(f.id)).toBeNull();
      expect((await store.getFactByKey('user.preferred_language'))?.value).toBe('TypeScript');
      await store.saveFact({
        key: 'project.name',
        value: { n: HOSTILE_TEXTS.nul! },
        factType: FactType.PROJECT,
      });
      await store.saveFact({ key: 'old', value: 1, expiresAt: new Date(Date.now() - 1000) });
      expect(await store.getFactByKey('old')).toBeNull();
      expect((await store.listFacts()).map((x) => x.key).sort()).toEqual([
        'project.name',
        'user.preferred_language',
      ]);
      expect((await store.listFacts({ factType: FactType.PROJECT })).map((x) => x.value)).toEqual([
        { n: HOSTILE_TEXTS.nul },
      ]);
      expect(await store.listFacts({ limit: 1 })).toHaveLength(1);
      expect(await store.purgeExpiredFacts()).toBe(1);
      expect(await store.deleteFact(g.id)).toBe(true);
      expect(await store.deleteFact(g.id)).toBe(false);
      expect(await store.getFactByKey('project.name', Scope.GLOBAL)).toBeNull();
      await expectCode(
        store.saveFact({ key: 'k', value: 1, confidence: 2 }),
        'VALIDATION_ERROR',
        'fact.confidence',
      );
    });

    it('saves summaries and finds them by conversation', async () => {
      const c1 = randomUUID();
      const c2 = randomUUID();
      const s1 = await store.saveSummary({
        content: 'one',
        conversationId: c1,
        createdAt: new Date('2024-01-01T00:00:00Z'),
      });
      const s2 = await store.saveSummary({
        content: 'both',
        conversationIds: [c1, c2],
        createdAt: new Date('2024-02-01T00:00:00Z'),
      });
      expect((await store.getSummary(s1.id))?.content).toBe('one');
      expect((await store.getSummariesForConversation(c1)).map((s) => s.id)).toEqual([
        s2.id,
        s1.id,
      ]);
      expect((await store.getSummariesForConversation(c2)).map((s) => s.id)).toEqual([s2.id]);
      expect(await store.deleteSummary(s1.id)).toBe(true);
      expect(await store.getSummary(s1.id)).toBeNull();
      expect(await store.deleteSummary(s1.id)).toBe(false);
    });

    it('orders ties (equal times, equal scores) by id in code point order', async () => {
      const conv = randomUUID();
      const at = new Date('2024-01-01T00:00:00Z');
      // ids differing only in their first character's case, saved in neither order: code point
      // order puts upper case first, which a linguistic collation would not
      const u = randomUUID().slice(1);
      for (const x of ['b', 'A', 'c', 'B', 'a']) {
        const id = `${x}${u}`;
        await store.saveSummary({ id, content: id, conversationId: conv, createdAt: at });
        await store.saveEmbedding({ id, vector: [0.5, 0.25, 0], content: id });
      }
      const order = ['A', 'B', 'a', 'b', 'c'];
      expect((await store.getSummariesForConversation(conv)).map((s) => s.id[0])).toEqual(order);
      const hits = await store.searchSimilar([2, 1, 0], { limit: 5 });
      expect(hits.map((h) => h.embedding.id[0])).toEqual(order);
    });

    it('finds nearest embeddings by cosine similarity', async () => {
      const x = await store.saveEmbedding({ vector: [1, 0, 0], content: 'x' });
      const xy = await store.saveEmbedding({
        vector: [1, 1, 0],
        content: 'xy',
        contentType: 'note',
      });
      const y = await store.saveEmbedding({ vector: [0, 2, 0], content: 'y' });
      await store.saveEmbedding({ vector: [1, 0], content: 'other dims' });
      await store.saveEmbedding({ vector: [0, 0, 0], content: 'zero' });
      expect(x.dimensions).toBe(3);
      expect((await store.getEmbedding(xy.id))?.vector).toEqual([1, 1, 0]);
      const hits = await store.searchSimilar([2, 0.1, 0], { limit: 3 });
      expect(hits.map((h) => h.embedding.content)).toEqual(['x', 'xy', 'y']);
      expect(hits[0]?.score).toBeCloseTo(2 / Math.sqrt(4.01), 6);
      expect(hits[1]?.score).toBeCloseTo(2.1 / (Math.sqrt(2) * Math.sqrt(4.01)), 6);
      expect(hits[2]?.score).toBeCloseTo(0.1 / Math.sqrt(4.01), 6);
      expect(
        (await store.searchSimilar([0, 1, 0], { contentType: 'note' })).map((h) => h.embedding.id),
      ).toEqual([xy.id]);
      expect(await store.deleteEmbedding(y.id)).toBe(true);
      expect((await store.searchSimilar([0.1, 1, 0])).map((h) => h.embedding.content)).toEqual([
        'xy',
        'x',
        'zero',
      ]);
      expect(await store.searchSimilar([0, 1, 0], {}, Scope.SESSION)).toEqual([]);
      await expectCode(
        store.saveEmbedding({ vector: [1, 2], dimensions: 3 }),
        'VALIDATION_ERROR',
        'embedding.dimensions',
      );
      await expectCode(store.searchSimilar([]), 'VALIDATION_ERROR', 'queryVector');
      // a content type is compared as stored: NUL and lone surrogates are refused everywhere
      await expectCode(
        store.searchSimilar([0, 1, 0], { contentType: 'note\uD800' }),
        'VALIDATION_ERROR',
        'options.contentType',
      );
      await expectCode(
        store.saveEmbedding({ vector: [1, 0, 0], contentType: '\uDC00' }),
        'VALIDATION_ERROR',
        'embedding.contentType',
      );
    });
  });
}
