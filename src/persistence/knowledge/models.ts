// Node side only: the zod models of the knowledge store (facts, summaries, embeddings).
import { z } from 'zod';
import { JsonRecord, JsonValue, SafeKey, Timestamp, Uuid, constEnum, newId, now } from '../models';

/** What a fact is about. */
export const FactType = constEnum({
  USER: 'user',
  PROJECT: 'project',
  PREFERENCE: 'preference',
  CONTEXT: 'context',
  CUSTOM: 'custom',
});
/** What a fact is about. */
export type FactType = z.infer<typeof FactType>;

/** A learned fact about the user or project, looked up by `key`. */
export const Fact = z.object({
  id: Uuid.default(newId),
  key: SafeKey,
  value: JsonValue,
  factType: FactType.default('custom'),
  confidence: z.number().min(0).max(1).default(1),
  source: z.string().optional(),
  createdAt: Timestamp.default(now),
  updatedAt: Timestamp.default(now),
  /** After this time the fact is no longer returned. */
  expiresAt: Timestamp.optional(),
  metadata: JsonRecord.default({}),
});
/** A learned fact. */
export type Fact = z.infer<typeof Fact>;
/** What a fact may be built from. */
export type FactInput = z.input<typeof Fact>;

/** A summary of one or more conversations. */
export const Summary = z.object({
  id: Uuid.default(newId),
  content: z.string(),
  conversationId: Uuid.optional(),
  conversationIds: z.array(Uuid).default([]),
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  createdAt: Timestamp.default(now),
  metadata: JsonRecord.default({}),
});
/** A summary of one or more conversations. */
export type Summary = z.infer<typeof Summary>;
/** What a summary may be built from. */
export type SummaryInput = z.input<typeof Summary>;

/**
 * One component of a stored or queried vector: a finite number, 0 or between 1e-30 and 1e30 in
 * magnitude (others under- or overflow Postgres `float8` in similarity products: an error there, a
 * silent 0 in memory). -0 becomes 0, as Postgres and JSON would disagree about it.
 */
export const VectorComponent = z
  .number()
  .finite()
  .refine(
    (x) => x === 0 || (Math.abs(x) >= 1e-30 && Math.abs(x) <= 1e30),
    'must be 0 or between 1e-30 and 1e30 in magnitude',
  )
  .transform((x) => (x === 0 ? 0 : x));

/** A vector embedding of some content, for similarity search. */
export const Embedding = z
  .object({
    id: Uuid.default(newId),
    /** Each component a `VectorComponent`. */
    vector: z.array(VectorComponent).min(1),
    content: z.string().default(''),
    contentType: SafeKey.default('text'),
    sourceId: SafeKey.optional(),
    model: z.string().optional(),
    /** Set from `vector.length` when 0. */
    dimensions: z.number().int().min(0).default(0),
    createdAt: Timestamp.default(now),
    metadata: JsonRecord.default({}),
  })
  .transform((e) => ({ ...e, dimensions: e.dimensions || e.vector.length }))
  .refine((e) => e.dimensions === e.vector.length, {
    message: 'dimensions must equal vector.length',
    path: ['dimensions'],
  });
/** A vector embedding. */
export type Embedding = z.infer<typeof Embedding>;
/** What an embedding may be built from. */
export type EmbeddingInput = z.input<typeof Embedding>;
