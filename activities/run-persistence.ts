// Node side: the activities that wire runs to the stores: the event bus (a run's event log for
// any process), the state store's run status, the audit store, and conversations.
import { createHash } from 'node:crypto';
import { AgentRuntimeError } from '../src/core/errors';
import { EventType } from '../src/core/events';
import type {
  JsonObject,
  JsonValue,
  Message,
  MessageToolCall,
  RunEvent,
  RunStatus,
} from '../src/core/types';
import type { EventBus } from '../src/events/event-bus';
import { readRunEvents } from '../src/events/read-run-events';
import type {
  AuditEntryInput,
  ConversationMessage,
  ConversationMessageInput,
  ErrorRecordInput,
  PerformanceMetricInput,
} from '../src/persistence/models';
import type { AuditStore, ConversationStore } from '../src/persistence/stores';
import type { StateStore } from '../src/state/state-store';
import { toApplicationFailure } from './failures';
import type {
  AppendConversationInput,
  AppendConversationResult,
  LoadConversationInput,
  LoadConversationResult,
  PublishRunEventsInput,
  PublishRunEventsResult,
  RunPersistenceActivityTypes,
} from '../src/core/persistence-contract';

/**
 * The stores runs may write to. Every one is optional: a run only schedules the activities when
 * its input asks for them (`AgentRunInput.persistence`, set by the runner), and an activity
 * asked for something the worker lacks fails with the non-retryable `CONFIG_MISSING`.
 */
export interface RunPersistenceDeps {
  /** Where every run event is published (`publishRunEvents`), for any process to read. */
  eventBus?: EventBus;
  /** Where runs' statuses are recorded (`updateRunStatus` on start and on the terminal event). */
  stateStore?: StateStore;
  /** Conversations runs read their history from and append their new messages to. */
  conversationStore?: ConversationStore;
  /** Where tool calls, errors and model latency/tokens of runs are recorded. */
  auditStore?: AuditStore;
}

/** The run-persistence activities. */
export type RunPersistenceActivities = RunPersistenceActivityTypes;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Namespace of the name-based ids below (a fixed random UUID). */
const NAMESPACE = Buffer.from('5f0c5d7e9a3b4c1e8d2f6a7b3c9e1d40', 'hex');

/**
 * A name-based UUID (RFC 9562 version 5): the same name always gives the same id, so a retried
 * activity writes the same records again instead of new ones.
 */
export function deterministicId(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The id the `index`-th new message of run `runId` (of its execution `executionId`, the
 * Temporal run id, when given) gets in its conversation.
 */
export function runMessageId(runId: string, index: number, executionId?: string): string {
  const execution = executionId === undefined ? '' : `${executionId}:`;
  return deterministicId(`agent-runtime-core:message:${runId}:${execution}${index}`);
}

function missing(what: string, dep: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'CONFIG_MISSING',
    `The run asked for ${what}, but this worker has no ${dep}: pass \`${dep}\` in the worker's activity dependencies, or start runs without it.`,
    { details: { dependency: dep } },
  );
}

/** Runs `fn`, turning our typed errors into Temporal failures (retryable or not, by code). */
async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (AgentRuntimeError.is(err)) throw toApplicationFailure(err);
    throw err;
  }
}

/** Builds the run-persistence activities. */
export function createRunPersistenceActivities(deps: RunPersistenceDeps): RunPersistenceActivities {
  return {
    async publishRunEvents(input: PublishRunEventsInput): Promise<PublishRunEventsResult> {
      return asActivity(() => publishRunEvents(deps, input));
    },
    async loadConversation(input: LoadConversationInput): Promise<LoadConversationResult> {
      return asActivity(async () => {
        const store = deps.conversationStore;
        if (!store) throw missing('conversation history', 'conversationStore');
        const conversation = await store.get(input.conversationId);
        if (!conversation) {
          throw new AgentRuntimeError(
            'NOT_FOUND',
            `Conversation ${input.conversationId} does not exist: create it (ConversationStore.save) before starting runs in it.`,
            { details: { conversationId: input.conversationId } },
          );
        }
        return {
          messages: conversation.messages.map(toChatMessage),
          branchId: conversation.activeBranchId ?? null,
        };
      });
    },
    async appendConversation(input: AppendConversationInput): Promise<AppendConversationResult> {
      return asActivity(() => appendConversation(deps, input));
    },
  };
}

async function publishRunEvents(
  deps: RunPersistenceDeps,
  input: PublishRunEventsInput,
): Promise<PublishRunEventsResult> {
  const { eventBus, stateStore, auditStore } = deps;
  if (!eventBus && !stateStore && !auditStore) {
    throw missing('its events to be persisted', 'eventBus, stateStore or auditStore');
  }
  const own = [...input.events].sort((a, b) => a.seq - b.seq);
  // The bus first: it is the record other processes read; publishing is idempotent per seq.
  const offset = eventBus ? await seqOffsetOf(eventBus, input, own) : 0;
  // In the stored log's numbering: after the earlier executions' events of this run id.
  const events = offset === 0 ? own : own.map((e) => ({ ...e, seq: e.seq + offset }));
  if (eventBus) {
    for (const e of events) {
      try {
        await eventBus.publish(e);
      } catch (err) {
        if (!(AgentRuntimeError.is(err) && err.code === 'EVENT_OUT_OF_ORDER')) throw err;
        const last = Number(err.details.lastSeq);
        if (!Number.isInteger(last) || last >= e.seq) throw err;
        // The bus lost earlier events: tell the workflow where it stands, so it resends them.
        return {
          lastSeq: Math.max(0, last - offset),
          missingAfter: Math.max(0, last - offset),
          seqOffset: offset,
          wrote: { eventBus: true, runStatus: false, audit: false },
        };
      }
    }
  }
  if (stateStore) {
    const status = lastStatus(events);
    if (status && !(await staleRunning(stateStore, input, status.status))) {
      await stateStore.updateRunStatus(input.runId, status.status, {
        agentKey: input.agentKey,
        lastSeq: status.event.seq,
        ...(input.executionId !== undefined ? { executionId: input.executionId } : {}),
        ...(status.event.payload.error !== undefined
          ? { error: json(status.event.payload.error) as JsonValue }
          : {}),
      });
    }
  }
  if (auditStore) await recordAudit(auditStore, input, events);
  return {
    lastSeq: own.at(-1)?.seq ?? 0,
    seqOffset: offset,
    wrote: { eventBus: !!eventBus, runStatus: !!stateStore, audit: !!auditStore },
  };
}

/**
 * Where this execution's events go in the run id's stored log: after the events of earlier
 * executions of the same run id (a run id started again, e.g. to resume from a checkpoint), so
 * the log keeps every execution, in order. Decided on the execution's first batch (seq 1) and
 * then passed back by the workflow. Stable across retries: when an earlier attempt already
 * stored this execution's first event, the offset is the one that attempt used.
 */
async function seqOffsetOf(
  bus: EventBus,
  input: PublishRunEventsInput,
  events: RunEvent[],
): Promise<number> {
  if (input.seqOffset !== undefined) return input.seqOffset;
  const first = events[0];
  if (first?.seq !== 1) return 0;
  // An execution's first event (run.started) is identified by its type and workflow time.
  const same = (e: RunEvent) => e.type === first.type && e.timestamp === first.timestamp;
  const [head] = await bus.getEvents(input.runId, { afterSeq: 0, limit: 1 });
  if (!head || same(head)) return 0;
  const stored = await readRunEvents(bus, input.runId);
  const mine = stored.find(same);
  return mine ? mine.seq - 1 : (stored.at(-1)?.seq ?? 0);
}

/**
 * Whether writing `running` would overwrite this execution's own terminal status: a late attempt
 * of an intermediate flush that the run cancelled (the activity does not learn of it) may finish
 * after the final flush. Another execution of the run id (a re-run) may overwrite it.
 */
async function staleRunning(
  stateStore: StateStore,
  input: PublishRunEventsInput,
  status: RunStatus,
): Promise<boolean> {
  if (status !== 'running' || input.executionId === undefined) return false;
  const current = await stateStore.getRunStatus(input.runId);
  return (
    current !== null &&
    current.status !== 'running' &&
    current.details.executionId === input.executionId
  );
}

const STATUS_OF: Record<string, RunStatus> = {
  [EventType.RUN_STARTED]: 'running',
  [EventType.RUN_SUCCEEDED]: 'succeeded',
  [EventType.RUN_FAILED]: 'failed',
  [EventType.RUN_CANCELLED]: 'cancelled',
  [EventType.RUN_TIMED_OUT]: 'timed_out',
};

function lastStatus(events: RunEvent[]): { status: RunStatus; event: RunEvent } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as RunEvent;
    const status = STATUS_OF[event.type];
    if (status) return { status, event };
  }
  return undefined;
}

// ---- audit -------------------------------------------------------------------------------

/** A plain JSON copy (drops `undefined`), which is what the audit models accept. */
function json<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

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

/** Audit records derived from one event (the mapping is documented in docs/persistence.md). */
interface AuditRecords {
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
        details: json({ ...details, seq: e.seq }),
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
        context: json({ eventType: e.type, seq: e.seq, payload: p }) as JsonObject,
      });
    switch (e.type) {
      case EventType.RUN_STARTED:
        entry('agent_start', `Run started (${input.agentKey})`, p);
        break;
      case EventType.RUN_SUCCEEDED:
      case EventType.RUN_CANCELLED:
      case EventType.RUN_TIMED_OUT:
        entry('agent_end', `Run ${STATUS_OF[e.type] ?? e.type}`, {
          status: STATUS_OF[e.type],
          ...p,
        });
        if (e.type === EventType.RUN_TIMED_OUT) {
          error('error', 'RUN_TIMED_OUT', `Run timed out after ${String(p.timeoutSeconds)}s`);
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
      case EventType.TOOL_CALL:
        entry('tool_call', `Called tool ${str(p.name) ?? '?'}`, {
          toolCallId: p.toolCallId,
          name: p.name,
          arguments: p.arguments,
        });
        break;
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

/** Writes a record whose id may be stored already (a retried batch): a duplicate is success. */
async function once(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (AgentRuntimeError.is(err) && err.code === 'CONFLICT') return;
    throw err;
  }
}

async function recordAudit(
  store: AuditStore,
  input: PublishRunEventsInput,
  events: RunEvent[],
): Promise<void> {
  const r = auditRecordsFor(input, events);
  for (const e of r.entries) await once(() => store.logEvent(e));
  for (const e of r.errors) await once(() => store.logError(e));
  for (const m of r.metrics) await once(() => store.recordMetric(m));
}

// ---- conversations -----------------------------------------------------------------------

/** Metadata keys holding what a stored message has no field for, so chat messages round-trip. */
const NAME_KEY = 'agentRuntime.name';
const RAW_ARGS_KEY = 'agentRuntime.rawToolArguments';

/** A stored message as a chat message (the shape agents and model calls use). */
export function toChatMessage(m: ConversationMessage): Message {
  const metadata: Record<string, unknown> = { ...m.metadata };
  const name = metadata[NAME_KEY];
  const raw = (metadata[RAW_ARGS_KEY] ?? {}) as Record<string, string>;
  delete metadata[NAME_KEY];
  delete metadata[RAW_ARGS_KEY];
  const content = m.content;
  const out: Message = {
    role: m.role,
    content:
      content === null || typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? (content as Record<string, unknown>[])
          : JSON.stringify(content),
  };
  if (typeof name === 'string') out.name = name;
  if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  if (m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c): MessageToolCall => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: raw[c.id] ?? JSON.stringify(c.arguments) },
    }));
  }
  if (Object.keys(metadata).length > 0) out.metadata = metadata;
  return out;
}

/** A chat message as a stored message with the given id. */
export function toStoredMessage(m: Message, id: string): ConversationMessageInput {
  const metadata: Record<string, unknown> = { ...(m.metadata ?? {}) };
  if (m.name !== undefined) metadata[NAME_KEY] = m.name;
  const raw: Record<string, string> = {};
  const toolCalls = (m.tool_calls ?? []).map((c) => {
    let args: unknown;
    try {
      args = JSON.parse(c.function.arguments);
    } catch {
      args = undefined;
    }
    const isObject = typeof args === 'object' && args !== null && !Array.isArray(args);
    // Malformed or non-object arguments (model output is hostile) are kept verbatim.
    if (!isObject) raw[c.id] = c.function.arguments;
    return {
      id: c.id,
      name: c.function.name,
      arguments: (isObject ? args : {}) as JsonObject,
    };
  });
  if (Object.keys(raw).length > 0) metadata[RAW_ARGS_KEY] = raw;
  return {
    id,
    role: m.role,
    content: (m.content ?? null) as ConversationMessageInput['content'],
    toolCalls,
    ...(m.tool_call_id !== undefined ? { toolCallId: m.tool_call_id } : {}),
    metadata: json(metadata) as JsonObject,
  };
}

async function appendConversation(
  deps: RunPersistenceDeps,
  input: AppendConversationInput,
): Promise<AppendConversationResult> {
  const store = deps.conversationStore;
  if (!store) throw missing('its messages appended to a conversation', 'conversationStore');
  const ids = input.messages.map((_, i) => runMessageId(input.runId, i, input.executionId));
  const write = async (): Promise<number> => {
    // An earlier attempt may have stored them (its answer was lost): look for our ids first.
    const stored = new Set(
      (await store.getMessages(input.conversationId, { allBranches: true })).map((m) => m.id),
    );
    const todo = input.messages
      .map((m, i) => ({ m, id: ids[i] as string }))
      .filter((x) => !stored.has(x.id));
    if (todo.length === 0) return 0;
    // One addMessages call is one transaction: all of them are stored, or none.
    await store.addMessages(
      input.conversationId,
      todo.map((x) => toStoredMessage(x.m, x.id)),
    );
    return todo.length;
  };
  let appended: number;
  try {
    appended = await write();
  } catch (err) {
    // Two attempts at once (a timed-out attempt still running): the other stored them.
    if (!(AgentRuntimeError.is(err) && err.code === 'CONFLICT')) throw err;
    appended = await write();
  }
  return { messageIds: ids, appended };
}
