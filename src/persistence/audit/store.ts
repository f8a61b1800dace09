// Node side only: the AuditStore interface (interaction logs, errors, metrics) and its query type.
import type { ScopeArg } from '../validation';
import type {
  AuditEntry,
  AuditEntryInput,
  AuditEventType,
  ErrorRecord,
  ErrorRecordInput,
  ErrorSeverity,
  MetricSummary,
  PerformanceMetric,
  PerformanceMetricInput,
} from './models';

/** Common filters of audit queries. */
export interface AuditQuery {
  conversationId?: string;
  runId?: string;
  agentKey?: string;
  /** Inclusive. */
  startTime?: Date;
  /** Exclusive. */
  endTime?: Date;
  /** @default 100 (1000 for metrics) */
  limit?: number;
}

/** Optional store of interaction logs, errors and metrics. The default scope is PROJECT. */
export interface AuditStore {
  logEvent(entry: AuditEntryInput, scope?: ScopeArg): Promise<AuditEntry>;
  /** Entries newest first. */
  getEvents(
    query?: AuditQuery & { eventTypes?: AuditEventType[] },
    scope?: ScopeArg,
  ): Promise<AuditEntry[]>;
  logError(error: ErrorRecordInput, scope?: ScopeArg): Promise<ErrorRecord>;
  /** Errors newest first. */
  getErrors(
    query?: AuditQuery & { severity?: ErrorSeverity; resolved?: boolean },
    scope?: ScopeArg,
  ): Promise<ErrorRecord[]>;
  /** Marks an error resolved; whether it existed. */
  resolveError(id: string, resolutionNotes?: string, scope?: ScopeArg): Promise<boolean>;
  recordMetric(metric: PerformanceMetricInput, scope?: ScopeArg): Promise<PerformanceMetric>;
  /** Metrics of `name` (every name when omitted), newest first; all `tags` must match. */
  getMetrics(
    query?: AuditQuery & { name?: string; tags?: Record<string, string> },
    scope?: ScopeArg,
  ): Promise<PerformanceMetric[]>;
  /** count, min, max, avg, sum and percentiles of the metric `name` over the query. */
  getMetricSummary(
    name: string,
    query?: Omit<AuditQuery, 'limit'>,
    scope?: ScopeArg,
  ): Promise<MetricSummary>;
  close(): Promise<void>;
}
