// Node side only: the Postgres AuditStore. It speaks `pg` only, so it runs
// on a Postgres server and on PGlite; it never migrates (run `migrate(pool)` first).
import { checkAuditQuery, checkOptionalText } from '../arguments';
import { z } from 'zod';
import { checkLimit } from '../logic';
import { Scope } from '../models';
import { decodeJson, encodeJson } from '../postgres/sql';
import { PostgresStoreBase } from '../postgres/store-base';
import type { PostgresStoreOptions } from '../postgres/store-base';
import type { ResolvedScope, ScopeArg } from '../validation';
import { parseId, parseKey, parseModel } from '../validation';
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

interface AuditFilter {
  conditions: string[];
  params: unknown[];
}

function auditFilter(s: ResolvedScope, q: AuditQuery): AuditFilter {
  const f: AuditFilter = {
    conditions: ['scope = $1', 'scope_id = $2'],
    params: [s.scope, s.scopeId],
  };
  const add = (sql: (p: string) => string, value: unknown) => {
    f.params.push(value);
    f.conditions.push(sql(`$${f.params.length}`));
  };
  if (q.conversationId !== undefined) add((p) => `conversation_id = ${p}`, q.conversationId);
  if (q.runId !== undefined) add((p) => `run_id = ${p}`, q.runId);
  if (q.agentKey !== undefined) add((p) => `agent_key = ${p}`, q.agentKey);
  if (q.startTime !== undefined) add((p) => `ts >= ${p}`, q.startTime);
  if (q.endTime !== undefined) add((p) => `ts < ${p}`, q.endTime);
  return f;
}

/** Postgres `AuditStore`. */
export class PostgresAuditStore extends PostgresStoreBase implements AuditStore {
  constructor(options: PostgresStoreOptions) {
    super(options, Scope.PROJECT);
  }

  async logEvent(input: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry> {
    const e = parseModel(AuditEntry, input, 'entry');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO audit_entries (scope, scope_id, id, event_type, ts, conversation_id, run_id, agent_key, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        s.scope,
        s.scopeId,
        e.id,
        e.eventType,
        e.timestamp,
        e.conversationId ?? null,
        e.runId ?? null,
        e.agentKey ?? null,
        encodeJson(e),
      ],
    );
    return e;
  }

  async getEvents(
    qIn?: AuditQuery & { eventTypes?: AuditEventType[] },
    scope?: ScopeArg,
  ): Promise<AuditEntry[]> {
    const q = checkAuditQuery('events', qIn);
    const f = auditFilter(this.scope(scope), q);
    if (q.eventTypes !== undefined) {
      f.params.push(q.eventTypes);
      f.conditions.push(`event_type = ANY($${f.params.length}::text[])`);
    }
    f.params.push(checkLimit(q.limit, 100, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM audit_entries WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(AuditEntry, decodeJson(r.doc), 'storedEntry'));
  }

  async logError(input: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord> {
    const e = parseModel(ErrorRecord, input, 'error');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO error_records (scope, scope_id, id, severity, resolved, ts, conversation_id, run_id, agent_key, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        s.scope,
        s.scopeId,
        e.id,
        e.severity,
        e.resolved,
        e.timestamp,
        e.conversationId ?? null,
        e.runId ?? null,
        e.agentKey ?? null,
        encodeJson(e),
      ],
    );
    return e;
  }

  async getErrors(
    qIn?: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean },
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]> {
    const q = checkAuditQuery('errors', qIn);
    const f = auditFilter(this.scope(scope), q);
    if (q.severity !== undefined) {
      f.params.push(q.severity);
      f.conditions.push(`severity = $${f.params.length}`);
    }
    if (q.resolved !== undefined) {
      f.params.push(q.resolved);
      f.conditions.push(`resolved = $${f.params.length}`);
    }
    f.params.push(checkLimit(q.limit, 100, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM error_records WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(ErrorRecord, decodeJson(r.doc), 'storedError'));
  }

  async resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean> {
    parseId(id, 'id');
    checkOptionalText(resolutionNotes, 'resolutionNotes');
    const s = this.scope(scope);
    return this.tx(async (c) => {
      const res = await c.query<{ doc: string }>(
        'SELECT doc FROM error_records WHERE scope = $1 AND scope_id = $2 AND id = $3 FOR UPDATE',
        [s.scope, s.scopeId, id],
      );
      const row = res.rows[0];
      if (!row) return false;
      const prev = parseModel(ErrorRecord, decodeJson(row.doc), 'storedError');
      const next: ErrorRecord = {
        ...prev,
        resolved: true,
        resolvedAt: new Date(),
        ...(resolutionNotes === undefined ? {} : { resolutionNotes }),
      };
      await c.query(
        'UPDATE error_records SET resolved = true, doc = $4 WHERE scope = $1 AND scope_id = $2 AND id = $3',
        [s.scope, s.scopeId, id, encodeJson(next)],
      );
      return true;
    });
  }

  async recordMetric(input: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric> {
    const m = parseModel(PerformanceMetric, input, 'metric');
    const s = this.scope(scope);
    await this.q(
      `INSERT INTO metrics (scope, scope_id, id, name, value, ts, conversation_id, run_id, agent_key, tags, doc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
      [
        s.scope,
        s.scopeId,
        m.id,
        m.name,
        m.value,
        m.timestamp,
        m.conversationId ?? null,
        m.runId ?? null,
        m.agentKey ?? null,
        JSON.stringify(m.tags),
        encodeJson(m),
      ],
    );
    return m;
  }

  private metricFilter(
    scope: ScopeArg | undefined,
    q: AuditQuery & { name?: string; tags?: Record<string, string> },
  ): AuditFilter {
    const f = auditFilter(this.scope(scope), q);
    if (q.name !== undefined) {
      f.params.push(q.name);
      f.conditions.push(`name = $${f.params.length}`);
    }
    if (q.tags !== undefined) {
      f.params.push(JSON.stringify(parseModel(z.record(z.string(), z.string()), q.tags, 'tags')));
      f.conditions.push(`tags @> $${f.params.length}::jsonb`);
    }
    return f;
  }

  async getMetrics(
    qIn?: AuditQuery & { name?: string; tags?: Record<string, string> },
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]> {
    const q = checkAuditQuery('metrics', qIn);
    const f = this.metricFilter(scope, q);
    f.params.push(checkLimit(q.limit, 1000, 'limit'));
    const rows = await this.q<{ doc: string }>(
      `SELECT doc FROM metrics WHERE ${f.conditions.join(' AND ')} ORDER BY ts DESC, pos DESC LIMIT $${f.params.length}`,
      f.params,
    );
    return rows.map((r) => parseModel(PerformanceMetric, decodeJson(r.doc), 'storedMetric'));
  }

  async getMetricSummary(
    name: string,
    qIn?: Omit<AuditQuery, 'limit'>,
    scope?: ScopeArg,
  ): Promise<MetricSummary> {
    parseKey(name, 'name');
    const q = checkAuditQuery('summary', qIn);
    const f = this.metricFilter(scope, { ...q, name });
    const rows = await this.q<Record<keyof MetricSummary, number | string | null>>(
      `SELECT count(*)::int AS count, min(value) AS min, max(value) AS max, avg(value) AS avg, sum(value) AS sum,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99
       FROM metrics WHERE ${f.conditions.join(' AND ')}`,
      f.params,
    );
    const r = rows[0];
    const n = (v: number | string | null | undefined) =>
      v === null || v === undefined ? 0 : Number(v);
    return {
      count: n(r?.count),
      min: n(r?.min),
      max: n(r?.max),
      avg: n(r?.avg),
      sum: n(r?.sum),
      p50: n(r?.p50),
      p95: n(r?.p95),
      p99: n(r?.p99),
    };
  }
}
