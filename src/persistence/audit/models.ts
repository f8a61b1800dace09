// Node side only: the zod models of the audit store (entries, error records, metrics).
import { z } from 'zod';
import { JsonRecord, SafeKey, Timestamp, Uuid, constEnum, newId, now } from '../models';

/** The kind of an audit entry. */
export const AuditEventType = constEnum({
  CONVERSATION_START: 'conversation_start',
  CONVERSATION_END: 'conversation_end',
  MESSAGE_SENT: 'message_sent',
  MESSAGE_RECEIVED: 'message_received',
  TOOL_CALL: 'tool_call',
  TOOL_RESULT: 'tool_result',
  TOOL_ERROR: 'tool_error',
  AGENT_START: 'agent_start',
  AGENT_END: 'agent_end',
  AGENT_ERROR: 'agent_error',
  CHECKPOINT_SAVED: 'checkpoint_saved',
  CHECKPOINT_RESTORED: 'checkpoint_restored',
  CUSTOM: 'custom',
});
/** The kind of an audit entry. */
export type AuditEventType = z.infer<typeof AuditEventType>;

/** How bad a recorded error is. */
export const ErrorSeverity = constEnum({
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warning',
  ERROR: 'error',
  CRITICAL: 'critical',
});
/** How bad a recorded error is. */
export type ErrorSeverity = z.infer<typeof ErrorSeverity>;

/** One audit log entry. */
export const AuditEntry = z.object({
  id: Uuid.default(newId),
  eventType: AuditEventType,
  timestamp: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  action: z.string().default(''),
  details: JsonRecord.default({}),
  actorType: z.string().default('agent'),
  actorId: z.string().optional(),
  requestId: z.string().optional(),
  parentEventId: Uuid.optional(),
  metadata: JsonRecord.default({}),
});
/** One audit log entry. */
export type AuditEntry = z.infer<typeof AuditEntry>;
/** What an audit entry may be built from. */
export type AuditEntryInput = z.input<typeof AuditEntry>;

/** A recorded error, with resolution tracking. */
export const ErrorRecord = z.object({
  id: Uuid.default(newId),
  timestamp: Timestamp.default(now),
  severity: ErrorSeverity.default('error'),
  errorType: z.string().default(''),
  message: z.string().default(''),
  stackTrace: z.string().optional(),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  context: JsonRecord.default({}),
  resolved: z.boolean().default(false),
  resolvedAt: Timestamp.optional(),
  resolutionNotes: z.string().optional(),
  metadata: JsonRecord.default({}),
});
/** A recorded error. */
export type ErrorRecord = z.infer<typeof ErrorRecord>;
/** What an error record may be built from. */
export type ErrorRecordInput = z.input<typeof ErrorRecord>;

/** One measurement (a latency, a token count…). */
export const PerformanceMetric = z.object({
  id: Uuid.default(newId),
  name: SafeKey,
  value: z.number(),
  unit: z.string().default(''),
  timestamp: Timestamp.default(now),
  conversationId: Uuid.optional(),
  runId: SafeKey.optional(),
  agentKey: SafeKey.optional(),
  /** Filterable labels; a query's tags must all match. */
  tags: z.record(SafeKey, SafeKey).default({}),
  metadata: JsonRecord.default({}),
});
/** One measurement. */
export type PerformanceMetric = z.infer<typeof PerformanceMetric>;
/** What a metric may be built from. */
export type PerformanceMetricInput = z.input<typeof PerformanceMetric>;

/** Aggregates of a metric over a query's rows. All fields but `count` are 0 when `count` is 0. */
export interface MetricSummary {
  count: number;
  min: number;
  max: number;
  avg: number;
  sum: number;
  /** Percentiles by linear interpolation (Postgres `percentile_cont`). */
  p50: number;
  p95: number;
  p99: number;
}
