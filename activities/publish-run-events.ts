// Node side: the publishRunEvents activity. A batch of a run's events goes to the event bus (the
// log any process reads), its start/end to the state store's run status, and its audit records
// to the audit store, each written idempotently so a retried batch changes nothing.
import { AgentRuntimeError } from '../src/core/errors';
import { runStatusOfEventType } from '../src/core/events';
import { jsonCopy } from '../src/core/json';
import type {
  PublishRunEventsInput,
  PublishRunEventsResult,
} from '../src/core/persistence-contract';
import type { JsonValue, RunEvent, RunStatus } from '../src/core/types';
import type { EventBus } from '../src/events/event-bus';
import { readRunEvents } from '../src/events/read-run-events';
import { auditRecordsFor } from '../src/persistence/audit/run-audit-mapping';
import type { AuditStore } from '../src/persistence';
import type { StateStore } from '../src/state/state-store';
import { asActivity, missingDependency } from './failures';
import { expandEventRefs } from './event-refs';
import type { TranscriptStore } from '../src/transcripts/transcript-store';

/** What `publishRunEvents` writes to; a run asks only for what its worker has (see `RunPersistenceDeps`). */
export interface PublishRunEventsDeps {
  /** Where every run event is published (`publishRunEvents`), for any process to read. */
  eventBus?: EventBus;
  /** Where runs' statuses are recorded (`updateRunStatus` on start and on the terminal event). */
  stateStore?: StateStore;
  /** Where tool calls, errors and model latency/tokens of runs are recorded. */
  auditStore?: AuditStore;
  /**
   * The workers' transcript store (the one `invokeModel` uses): event fields the run sends by
   * reference (a model reply's text and tool calls, a tool result) are read from it.
   */
  transcriptStore?: TranscriptStore;
}

/** Builds the `publishRunEvents` activity. */
export function createPublishRunEvents(
  deps: PublishRunEventsDeps,
): (input: PublishRunEventsInput) => Promise<PublishRunEventsResult> {
  return async function publishRunEventsActivity(input) {
    return asActivity(() => publishRunEvents(deps, input));
  };
}

async function publishRunEvents(
  deps: PublishRunEventsDeps,
  input: PublishRunEventsInput,
): Promise<PublishRunEventsResult> {
  const { eventBus, stateStore, auditStore } = deps;
  if (!eventBus && !stateStore && !auditStore) {
    throw missingDependency('its events to be persisted', 'eventBus, stateStore or auditStore');
  }
  // Fields sent by reference, filled in first: every store gets whole events.
  const given = input.events.map((e) => ('runId' in e ? e : { ...e, runId: input.runId }));
  const own = (await expandEventRefs(deps.transcriptStore, given as RunEvent[], input.refs)).sort(
    (a, b) => a.seq - b.seq,
  );
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
          ? { error: jsonCopy(status.event.payload.error) as JsonValue }
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

function lastStatus(events: RunEvent[]): { status: RunStatus; event: RunEvent } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as RunEvent;
    const status = runStatusOfEventType(event.type);
    if (status) return { status, event };
  }
  return undefined;
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
