// Node side only: what a run's events leave in the audit store: entries, error records and metrics
// (the mapping is documented in docs/persistence.md). Pure: the same events give the same records.
import { EventType, runStatusOfEventType } from '../../core/events';
import { jsonCopy } from '../../core/json';
import type { PublishRunEventsInput } from '../../core/persistence-contract';
import type { JsonObject, RunEvent } from '../../core/types';
import { deterministicId } from '../deterministic-id';
import type { AuditEntryInput, ErrorRecordInput, PerformanceMetricInput } from './models';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A tag value must be a non-empty key without NUL or lone surrogates, at most 4096 chars. */
function tagValue(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v);
  return s.length > 0 && s.length <= 4096 && !LONE_SURROGATE.test(s) && !s.includes('\u0000')
    ? s
    : undefined;
}

/** The audit records derived from a batch of run events. */
export interface AuditRecords {
  entries: AuditEntryInput[];
  errors: ErrorRecordInput[];
  metrics: PerformanceMetricInput[];
}

/**
 * Derives audit entries, error records and metrics from events. Every record's id is derived
 * from (run id, seq, kind), so a retried batch writes the same records again.
 */
export function auditRecordsFor(
  input: Omit<PublishRunEventsInput, 'events'>,
  events: RunEvent[],
): AuditRecords {
  const out: AuditRecords = { entries: [], errors: [], metrics: [] };
  const execution = input.executionId === undefined ? '' : `${input.executionId}:`;
  const base = {
    runId: input.runId,
    agentKey: input.agentKey,
    ...(input.conversationId && UUID_RE.test(input.conversationId)
      ? { conversationId: input.conversationId }
      : {}),
  };
  for (const e of events) {
    const id = (kind: string) =>
      deterministicId(`agent-runtime-core:audit:${e.runId}:${execution}${e.seq}:${kind}`);
    const timestamp = new Date(e.timestamp);
    const p = e.payload;
    const entry = (eventType: AuditEntryInput['eventType'], action: string, details: object) =>
      out.entries.push({
        ...base,
        id: id('entry'),
        eventType,
        timestamp,
        action,
        details: jsonCopy({ ...details, seq: e.seq }),
      });
    const error = (
      severity: ErrorRecordInput['severity'],
      errorType: string,
      message: string,
      stack?: string,
    ) =>
      out.errors.push({
        ...base,
        id: id('error'),
        timestamp,
        severity,
        errorType,
        message,
        ...(stack ? { stackTrace: stack } : {}),
        context: jsonCopy({ eventType: e.type, seq: e.seq, payload: p }) as JsonObject,
      });
    switch (e.type) {
      case EventType.RUN_STARTED:
        entry('agent_start', `Run started (${input.agentKey})`, p);
        break;
      case EventType.RUN_SUCCEEDED:
      case EventType.RUN_CANCELLED:
      case EventType.RUN_TIMED_OUT:
        entry('agent_end', `Run ${runStatusOfEventType(e.type) ?? e.type}`, {
          status: runStatusOfEventType(e.type),
          ...p,
        });
        if (e.type === EventType.RUN_TIMED_OUT) {
          error('error', 'RUN_TIMED_OUT', `Run timed out after ${Number(p.timeoutMs) / 1000}s`);
        }
        break;
      case EventType.RUN_FAILED: {
        const info = (p.error ?? {}) as { type?: unknown; message?: unknown; stack?: unknown };
        entry('agent_error', `Run failed: ${str(info.message) ?? ''}`, p);
        error('error', str(info.type) ?? 'RUN_FAILED', str(info.message) ?? '', str(info.stack));
        break;
      }
      case EventType.ERROR: {
        const info = (typeof p.error === 'object' && p.error !== null ? p.error : p) as {
          type?: unknown;
          message?: unknown;
          stack?: unknown;
        };
        const sev = str(p.severity);
        const severity = (['debug', 'info', 'warning', 'error', 'critical'] as const).find(
          (s) => s === sev,
        );
        error(
          severity ?? 'error',
          str(info.type) ?? 'error',
          str(info.message) ?? str(p.error) ?? '',
          str(info.stack),
        );
        break;
      }
      case EventType.TOOL_CALL: {
        // `{ toolCall: ToolCall }`; the audit record keeps the arguments parsed when they parse.
        const call = (p.toolCall ?? {}) as { id?: unknown; name?: unknown; arguments?: unknown };
        let args: unknown = call.arguments;
        if (typeof args === 'string') {
          try {
            args = JSON.parse(args);
          } catch {
            // Malformed model output: keep the text.
          }
        }
        entry('tool_call', `Called tool ${str(call.name) ?? '?'}`, {
          toolCallId: call.id,
          name: call.name,
          arguments: args,
        });
        break;
      }
      case EventType.TOOL_RESULT:
        if (p.isError === true) {
          entry('tool_error', `Tool ${str(p.name) ?? '?'} failed`, p);
          // The error goes back to the model and the run goes on: a warning, not a run error.
          error(
            'warning',
            'TOOL_ERROR',
            str(p.error) ?? JSON.stringify(p.error ?? null),
            undefined,
          );
        } else {
          entry('tool_result', `Tool ${str(p.name) ?? '?'} returned`, p);
        }
        break;
      case EventType.STATE_CHECKPOINT:
        entry('checkpoint_saved', 'Checkpoint saved', {});
        break;
      case EventType.ASSISTANT_MESSAGE: {
        const tags: Record<string, string> = {};
        const model = tagValue(p.model);
        if (model) tags.model = model;
        const turn = tagValue(p.turn);
        if (turn) tags.turn = turn;
        const metric = (name: string, value: number | undefined, unit: string) => {
          if (value === undefined) return;
          out.metrics.push({
            ...base,
            id: id(`metric:${name}`),
            name,
            value,
            unit,
            timestamp,
            tags,
          });
        };
        const usage = (p.usage ?? {}) as Record<string, unknown>;
        metric('llm_latency', num(p.latencyMs), 'ms');
        metric('llm_prompt_tokens', num(usage.promptTokens), 'tokens');
        metric('llm_completion_tokens', num(usage.completionTokens), 'tokens');
        metric('llm_total_tokens', num(usage.totalTokens), 'tokens');
        entry('message_received', `Model answered${model ? ` (${model})` : ''}`, {
          turn: p.turn,
          model: p.model,
          finishReason: p.finishReason,
          usage: p.usage,
          latencyMs: p.latencyMs,
          toolCalls: Array.isArray(p.toolCalls) ? p.toolCalls.length : 0,
        });
        break;
      }
      default:
        break;
    }
  }
  return out;
}
