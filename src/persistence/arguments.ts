// Node side only: the argument schemas of store methods other than the conversation store's
// (which has its own `conversations/arguments.ts`), shared by every backend so each refuses the
// same inputs with the same `VALIDATION_ERROR` naming the field, before any lookup. `null` is
// refused where a filter is optional: read as "no filter" by one backend and "match nothing" by
// another, it cannot mean the same everywhere.
import { z } from 'zod';
import { AuditEventType, ErrorSeverity } from './audit/models';
import { FactType, VectorComponent } from './knowledge/models';
import { JsonRecord, SafeKey, StoredText, Timestamp } from './models';
import { TaskState } from './tasks/models';
import { parseModel, parseOptions } from './validation';

/** A limit or offset: an integer from 0 (Postgres `integer` range). */
export const Count = z.number().int().min(0).max(2_147_483_647);

const TaskQuerySchema = z.object({
  taskListId: SafeKey.optional(),
  conversationId: SafeKey.optional(),
  state: TaskState.optional(),
  limit: Count.optional(),
});
/** Checks a `TaskStore.list`/`getReady` query. */
export function checkTaskQuery<T extends object>(q: T | undefined): T {
  return parseModel(TaskQuerySchema, parseOptions(q, 'query'), 'query') as T;
}

const TaskUpdateSchema = z.looseObject({
  state: TaskState.optional(),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  priority: z.number().int().optional(),
  dueAt: Timestamp.nullable().optional(),
  dependencies: z.array(SafeKey).optional(),
  metadata: JsonRecord.optional(),
  lastError: z.string().nullable().optional(),
});
/** Checks `TaskStore.update` changes. */
export function checkTaskUpdate<T extends object>(changes: T): T {
  if (changes === undefined) return parseModel(z.object({}), changes, 'changes') as T;
  return parseModel(TaskUpdateSchema, parseOptions(changes, 'changes'), 'changes') as T;
}

/** Checks a task checkpoint's data: a JSON object. */
export function checkCheckpointData<T>(data: T): T {
  return parseModel(JsonRecord, data, 'data') as T;
}

/** Checks an optional error text (`recordAttempt`) or resolution note (`resolveError`). */
export function checkOptionalText(value: unknown, field: string): string | undefined {
  return parseModel(z.string().optional(), value, field);
}

const ListFactsSchema = z.object({ factType: FactType.optional(), limit: Count.optional() });
/** Checks `KnowledgeStore.listFacts` options. */
export function checkListFacts<T extends object>(o: T | undefined): T {
  return parseModel(ListFactsSchema, parseOptions(o), 'options') as T;
}

/** A query vector: 1 to 100,000 `VectorComponent`s. */
export const Vector = z.array(VectorComponent).min(1).max(100_000);

const SearchSchema = z.object({ limit: Count.optional(), contentType: StoredText.optional() });
/** Checks `KnowledgeStore.searchSimilar` arguments. */
export function checkSearch<T extends object>(queryVector: unknown, o: T | undefined): T {
  parseModel(Vector, queryVector, 'queryVector');
  return parseModel(SearchSchema, parseOptions(o), 'options') as T;
}

const AuditQuerySchema = z.object({
  conversationId: SafeKey.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  startTime: Timestamp.optional(),
  endTime: Timestamp.optional(),
  limit: Count.optional(),
});
const AuditSchemas = {
  events: AuditQuerySchema.extend({ eventTypes: z.array(AuditEventType).optional() }),
  errors: AuditQuerySchema.extend({
    severity: ErrorSeverity.optional(),
    resolved: z.boolean().optional(),
  }),
  metrics: AuditQuerySchema.extend({
    name: SafeKey.optional(),
    tags: z.record(SafeKey, SafeKey).optional(),
  }),
  summary: AuditQuerySchema.omit({ limit: true }),
};
/** Checks an `AuditStore` query (`getEvents`, `getErrors`, `getMetrics`, `getMetricSummary`). */
export function checkAuditQuery<T extends object>(
  kind: keyof typeof AuditSchemas,
  q: T | undefined,
): T {
  return parseModel(AuditSchemas[kind], parseOptions(q, 'query'), 'query') as T;
}

const ListKeysSchema = z.object({ prefix: StoredText.max(4096).optional() });
/** Checks `MemoryStore.listKeys` options. */
export function checkListKeys(o: { prefix?: string } | undefined): { prefix?: string } {
  return parseModel(ListKeysSchema, parseOptions(o), 'options');
}
