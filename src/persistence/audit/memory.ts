// Node side only: the in-memory AuditStore, for unit tests and quick scripts. It follows
// the same rules as the Postgres one: both run the same conformance suite
// (`describeAuditStore` from `agent-runtime-core/testing`).
import { AgentRuntimeError } from '../../core/errors';
import { checkAuditQuery, checkOptionalText } from '../arguments';
import { Partitions } from '../in-memory';
import { checkLimit, deepClone } from '../logic';
import { Scope } from '../models';
import type { ScopeArg, StoreScopeOptions } from '../validation';
import { parseId, parseKey, parseModel, toScopeContext } from '../validation';
import { AuditEntry, ErrorRecord, PerformanceMetric } from './models';
import type {
  AuditEntryInput,
  AuditEventType,
  ErrorRecordInput,
  ErrorSeverity,
  MetricSummary,
  PerformanceMetricInput,
} from './models';
import type { AuditQuery, AuditStore } from './store';

interface Seqd<T> {
  pos: number;
  value: T;
}

/** In-memory `AuditStore`. */
/** Records are written once: a second write with the same id is refused, as Postgres's key does. */
function duplicateId(id: string): AgentRuntimeError {
  return new AgentRuntimeError('CONFLICT', `A record with id ${id} exists already`, {
    details: { id },
  });
}

export class InMemoryAuditStore implements AuditStore {
  private readonly events: Partitions<Seqd<AuditEntry>>;
  private readonly errors: Partitions<Seqd<ErrorRecord>>;
  private readonly metrics: Partitions<Seqd<PerformanceMetric>>;
  private pos = 0;
  constructor(options: StoreScopeOptions = {}) {
    const ctx = toScopeContext(options);
    this.events = new Partitions(ctx, Scope.PROJECT);
    this.errors = new Partitions(ctx, Scope.PROJECT);
    this.metrics = new Partitions(ctx, Scope.PROJECT);
  }
  async logEvent(input: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry> {
    const e = parseModel(AuditEntry, input, 'entry');
    const part = this.events.of(scope);
    if (part.has(e.id)) throw duplicateId(e.id);
    part.set(e.id, { pos: ++this.pos, value: deepClone(e) });
    return deepClone(e);
  }
  async getEvents(
    queryIn?: AuditQuery & { eventTypes?: AuditEventType[] },
    scope?: ScopeArg,
  ): Promise<AuditEntry[]> {
    const query = checkAuditQuery('events', queryIn);
    const types = query.eventTypes;
    return select(
      this.events.of(scope),
      query,
      100,
      (e) => types === undefined || types.includes(e.eventType),
    );
  }
  async logError(input: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord> {
    const e = parseModel(ErrorRecord, input, 'error');
    const part = this.errors.of(scope);
    if (part.has(e.id)) throw duplicateId(e.id);
    part.set(e.id, { pos: ++this.pos, value: deepClone(e) });
    return deepClone(e);
  }
  async getErrors(
    queryIn?: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean },
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]> {
    const query = checkAuditQuery('errors', queryIn);
    return select(
      this.errors.of(scope),
      query,
      100,
      (e) =>
        (query.severity === undefined || e.severity === query.severity) &&
        (query.resolved === undefined || e.resolved === query.resolved),
    );
  }
  async resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    checkOptionalText(resolutionNotes, 'resolutionNotes');
    const rec = this.errors.of(scope).get(id);
    if (!rec) return false;
    rec.value = {
      ...rec.value,
      resolved: true,
      resolvedAt: new Date(),
      ...(resolutionNotes === undefined ? {} : { resolutionNotes }),
    };
    return true;
  }
  async recordMetric(input: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric> {
    const m = parseModel(PerformanceMetric, input, 'metric');
    const part = this.metrics.of(scope);
    if (part.has(m.id)) throw duplicateId(m.id);
    part.set(m.id, { pos: ++this.pos, value: deepClone(m) });
    return deepClone(m);
  }
  async getMetrics(
    queryIn?: AuditQuery & { name?: string; tags?: Record<string, string> },
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]> {
    const query = checkAuditQuery('metrics', queryIn);
    return select(
      this.metrics.of(scope),
      query,
      1000,
      (m) => (query.name === undefined || m.name === query.name) && tagsMatch(m.tags, query.tags),
    );
  }
  async getMetricSummary(
    name: string,
    queryIn?: Omit<AuditQuery, 'limit'>,
    scope?: ScopeArg,
  ): Promise<MetricSummary> {
    parseKey(name, 'name');
    const query = checkAuditQuery('summary', queryIn);
    const rows = select(
      this.metrics.of(scope),
      { ...query, limit: Number.MAX_SAFE_INTEGER },
      0,
      (m) => m.name === name,
    );
    return summarize(rows.map((m) => m.value));
  }
  async close(): Promise<void> {}
}

function tagsMatch(
  tags: Record<string, string>,
  want: Record<string, string> | undefined,
): boolean {
  return want === undefined || Object.entries(want).every(([k, v]) => tags[k] === v);
}

interface AuditRow {
  timestamp: Date;
  conversationId?: string | undefined;
  runId?: string | undefined;
  agentKey?: string | undefined;
}

function select<T extends AuditRow>(
  rows: Map<string, Seqd<T>>,
  q: AuditQuery,
  defaultLimit: number,
  extra: (row: T) => boolean,
): T[] {
  const limit = checkLimit(q.limit, defaultLimit, 'limit');
  return [...rows.values()]
    .filter(({ value: r }) => {
      if (q.conversationId !== undefined && r.conversationId !== q.conversationId) return false;
      if (q.runId !== undefined && r.runId !== q.runId) return false;
      if (q.agentKey !== undefined && r.agentKey !== q.agentKey) return false;
      if (q.startTime && r.timestamp.getTime() < q.startTime.getTime()) return false;
      if (q.endTime && r.timestamp.getTime() >= q.endTime.getTime()) return false;
      return extra(r);
    })
    .sort((a, b) => b.value.timestamp.getTime() - a.value.timestamp.getTime() || b.pos - a.pos)
    .slice(0, limit)
    .map((r) => deepClone(r.value));
}

/** Percentile with linear interpolation, as Postgres `percentile_cont` computes it. */
function percentileCont(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}

/** Aggregates of a list of values. */
function summarize(values: readonly number[]): MetricSummary {
  if (values.length === 0)
    return { count: 0, min: 0, max: 0, avg: 0, sum: 0, p50: 0, p95: 0, p99: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    avg: sum / sorted.length,
    sum,
    p50: percentileCont(sorted, 0.5),
    p95: percentileCont(sorted, 0.95),
    p99: percentileCont(sorted, 0.99),
  };
}
