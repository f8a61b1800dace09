// Node side (clients): a handle to one run: its result, events, status, checkpoint, approvals and
// cancellation.
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { durationMs, type Duration } from '../core/durations';
import { AgentRuntimeError, normalizeErrorInfo } from '../core/errors';
import { fromApplicationFailure } from '../core/failures';
import { isTerminalEventType } from '../core/events';
import type { ErrorInfo, RunEvent, RunResult, RunStatus } from '../core/types';
import { toRunResult } from '../core/types';
import type { EventBus, TransientEvent, TransientSubscription } from '../events/event-bus';
import { readRunEvents } from '../events/read-run-events';
import {
  AgentKeySearchAttribute,
  eventsQuery,
  statusQuery,
  checkpointQuery,
  toolApprovalsQuery,
  waitForEventsUpdate,
  approveToolCallUpdate,
  type ApproveToolCallResponse,
  type PendingToolApproval,
  type RunStatusInfo,
} from '../core/run-contract';

const warnedBuses = new WeakSet<EventBus>();

/**
 * Warns (once per bus, through `console.warn`) that `events()` follows the durable events only,
 * because the bus refused a transient subscription.
 */
function warnNoTransient(bus: EventBus, err: unknown): void {
  if (warnedBuses.has(bus)) return;
  warnedBuses.add(bus);
  const reason = err instanceof Error ? err.message : String(err);
  console.warn(
    `agent-runtime-core: RunHandle.events() yields durable events only (no token deltas): the event bus cannot subscribe to transient events: ${reason}`,
  );
}

/** Options of `RunHandle.events`. */
export interface EventsOptions {
  /** Deliver events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** Keep waiting for new events until the run ends. @default true */
  follow?: boolean;
  /** Longest wait of one long-poll (a duration; the run caps it at one minute). @default '30s' */
  pollTimeout?: Duration;
  /**
   * Interleave transient token-streaming events when the runner has an `eventBus` (following
   * only). @default true
   */
  transient?: boolean;
}

/** A handle to one run. */
export class RunHandle {
  constructor(
    /** The run id. */
    readonly runId: string,
    /** The underlying Temporal workflow handle. */
    readonly workflow: WorkflowHandle,
    /**
     * The runner's event bus (`AgentRunnerOptions.eventBus`), if any: the event store for
     * `storedEvents()` and the source of transient events (token deltas) for `events()`.
     */
    readonly eventBus?: EventBus,
  ) {}

  /**
   * The run's events as the event store holds them (runs started with `persistence: {
   * runEvents: true }`): readable from any process long after the run, when Temporal no longer
   * answers for it. A run id started more than once holds every execution's events, in order,
   * numbered on (see docs/persistence.md). Throws `CONFIG_MISSING` when the runner has no
   * `eventBus`.
   */
  async storedEvents(options: { afterSeq?: number } = {}): Promise<RunEvent[]> {
    if (!this.eventBus) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        'storedEvents() needs the event store: pass `eventBus` to the AgentRunner',
      );
    }
    return readRunEvents(this.eventBus, this.runId, options);
  }

  /**
   * Waits for the run to end and returns its result. A failed, cancelled or timed-out run
   * resolves too, with `error` set (`RUN_CANCELLED`, `RUN_TIMED_OUT`, or the failure's code).
   */
  async result(): Promise<RunResult> {
    try {
      return (await this.workflow.result()) as RunResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) return resultFromFailure(err);
      throw err;
    }
  }

  /**
   * The run's events in order, each once. With `follow` (the default) it waits for new events
   * (a long-poll Update) and ends after the terminal event; without, it returns what exists now.
   *
   * When the runner has an `eventBus`, following also yields the transient streaming events
   * (`assistant.delta` `{ turn, attempt, index, delta }`, `assistant.retry` `{ turn, attempt }`)
   * as they arrive, interleaved with the durable ones. They are not in the durable log: their
   * `seq` repeats the seq of the last durable event yielded before them (so resuming with
   * `afterSeq` still works), and deltas published before this call started are not replayed.
   * `isTransientEventType(e.type)` tells them apart; `StreamedText` assembles their text. The
   * durable `assistant.message` event always carries the complete answer. A bus that cannot
   * subscribe to transient events (a `PostgresEventBus` without LISTEN, as on PGlite) gives the
   * durable events alone, with one `console.warn` per bus.
   */
  async *events(options: EventsOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const bus = this.eventBus;
    if (!bus?.subscribeTransient || options.follow === false || options.transient === false) {
      yield* this.durableEvents(options);
      return;
    }
    let sub: TransientSubscription;
    try {
      sub = await bus.subscribeTransient(this.runId);
    } catch (err) {
      // A bus that cannot carry transient events here (a PostgresEventBus without LISTEN, as
      // on PGlite; LISTEN failing): the durable events alone, and a warning once per bus.
      warnNoTransient(bus, err);
      yield* this.durableEvents(options);
      return;
    }
    type Item = { durable: RunEvent } | { transient: TransientEvent } | { end: true };
    const items: Item[] = [];
    let wake: (() => void) | undefined;
    let failure: { error: unknown } | undefined;
    let stopped = false;
    const push = (item: Item) => {
      items.push(item);
      wake?.();
    };
    const durable = (async () => {
      try {
        for await (const e of this.durableEvents(options)) {
          if (stopped) return;
          push({ durable: e });
        }
      } catch (error) {
        failure = { error };
      } finally {
        push({ end: true });
      }
    })();
    const transient = (async () => {
      for await (const t of sub) push({ transient: t });
    })();
    let seq = options.afterSeq ?? 0;
    try {
      for (;;) {
        const item = items.shift();
        if (!item) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if ('end' in item) {
          if (failure) throw failure.error;
          return;
        }
        if ('durable' in item) {
          seq = item.durable.seq;
          yield item.durable;
        } else {
          const t = item.transient;
          yield {
            seq,
            runId: this.runId,
            type: t.type,
            payload: t.payload,
            timestamp: t.timestamp,
          };
        }
      }
    } finally {
      stopped = true;
      await sub.close();
      await transient;
      // The durable loop stops at its next event or poll answer; do not wait for it here.
      void durable;
    }
  }

  /** The durable events only (the long-poll loop). */
  private async *durableEvents(
    options: EventsOptions = {},
  ): AsyncGenerator<RunEvent, void, undefined> {
    let seq = options.afterSeq ?? 0;
    const follow = options.follow ?? true;
    const pollMs = durationMs(options.pollTimeout ?? '30s', 'pollTimeout', 'INVALID_INPUT');
    let failures = 0;
    for (;;) {
      let batch: { events: RunEvent[]; done: boolean };
      if (!follow) {
        batch = { events: await this.workflow.query(eventsQuery, seq), done: true };
      } else {
        try {
          batch = await this.workflow.executeUpdate(waitForEventsUpdate, {
            args: [{ afterSeq: seq, timeout: pollMs }],
          });
          failures = 0;
        } catch (err) {
          // The run closed (Temporal then refuses or aborts updates, reporting "not found") or
          // the update was cancelled with the run: read the rest with a query, which closed runs
          // still answer. describe() tells a closed run from one that never existed.
          const closed = await this.isClosed();
          const events = await this.workflow.query(eventsQuery, seq);
          batch = { events, done: closed || events.some((e) => isTerminalEventType(e.type)) };
          // Anything else while the run is still going is retried a few times, then reported.
          if (!batch.done && ++failures > 3) throw err;
        }
      }
      for (const event of batch.events) {
        if (event.seq <= seq) continue;
        seq = event.seq;
        yield event;
      }
      if (batch.done) return;
    }
  }

  private async isClosed(): Promise<boolean> {
    try {
      return (await this.workflow.describe()).status.name !== 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(this.runId, err);
      throw err;
    }
  }

  /** The run's status. Works while running and after the end (then from Temporal's record if no worker answers). */
  async status(): Promise<RunStatusInfo> {
    try {
      const s = await this.workflow.query(statusQuery);
      return s.error ? { ...s, error: normalizeErrorInfo(s.error) } : s;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(this.runId, err);
      const d = await this.workflow.describe();
      const map: Record<string, RunStatus> = {
        RUNNING: 'running',
        COMPLETED: 'succeeded',
        FAILED: 'failed',
        CANCELLED: 'cancelled',
        TERMINATED: 'failed',
        TIMED_OUT: 'timed_out',
        CONTINUED_AS_NEW: 'running',
      };
      const key = d.typedSearchAttributes.get(AgentKeySearchAttribute);
      return {
        runId: this.runId,
        agentKey: key ?? '',
        status: map[d.status.name] ?? 'running',
        lastSeq: -1,
      };
    }
  }

  /** The last state the agent saved with `ctx.checkpoint`, or null. */
  async checkpoint(): Promise<Record<string, unknown> | null> {
    return this.workflow.query(checkpointQuery);
  }

  /**
   * The tool calls of this run waiting for a human decision now, oldest first (the `toolApprovals`
   * query); empty when none waits, including after the run ended.
   */
  async pendingApprovals(): Promise<PendingToolApproval[]> {
    const pending = await this.workflow.query(toolApprovalsQuery);
    return Array.isArray(pending) ? pending : [];
  }

  /**
   * Approves or rejects a tool call waiting for human approval (announced by a
   * `tool.approval_requested` event carrying its `toolCallId`). A rejection, with its `reason`,
   * goes back to the model as the tool's result. Throws `AgentRuntimeError` `NOT_FOUND` when no
   * such call awaits approval, `CONFLICT` when it was decided already (or timed out) or the run
   * has ended, `INVALID_INPUT` for a malformed decision, `RUN_NOT_FOUND` for an unknown run.
   */
  async approveToolCall(
    toolCallId: string,
    decision: { approved: boolean; reason?: string },
  ): Promise<ApproveToolCallResponse> {
    if (typeof toolCallId !== 'string' || toolCallId === '') {
      throw new AgentRuntimeError('INVALID_INPUT', 'toolCallId must be a non-empty string');
    }
    if (!decision || typeof decision.approved !== 'boolean') {
      throw new AgentRuntimeError('INVALID_INPUT', 'decision.approved must be a boolean');
    }
    try {
      return await this.workflow.executeUpdate(approveToolCallUpdate, {
        args: [
          {
            toolCallId,
            approved: decision.approved,
            ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
          },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw fromApplicationFailure(err.cause, 'INVALID_INPUT', {
          details: { runId: this.runId, toolCallId },
          cause: err,
        });
      }
      if (err instanceof WorkflowNotFoundError) {
        // Temporal says "not found" for a run that has ended, too; tell the two apart.
        if (await this.isClosed()) {
          throw new AgentRuntimeError(
            'CONFLICT',
            `Run "${this.runId}" has ended: its tool calls can no longer be approved or rejected.`,
            { details: { runId: this.runId, toolCallId }, cause: err },
          );
        }
        throw notFound(this.runId, err);
      }
      throw err;
    }
  }

  /** Asks the run to stop. The run ends `cancelled`; in-flight model calls are aborted. */
  async cancel(): Promise<void> {
    await this.workflow.cancel();
  }
}

function notFound(runId: string, cause: unknown): AgentRuntimeError {
  return new AgentRuntimeError('RUN_NOT_FOUND', `No run with id "${runId}".`, {
    details: { runId },
    cause,
  });
}

function resultFromFailure(err: WorkflowFailedError): RunResult {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    return toRunResult({ error: info('RUN_CANCELLED', 'Run cancelled') });
  }
  if (cause instanceof TerminatedFailure) {
    return toRunResult({ error: info('RUN_FAILED', `Run terminated: ${cause.message}`) });
  }
  if (cause instanceof TimeoutFailure) {
    return toRunResult({ error: info('RUN_TIMED_OUT', `Run timed out (${cause.timeoutType})`) });
  }
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { error?: unknown; result?: RunResult } | undefined;
    // Runs of earlier versions wrote `retriable`: read either spelling.
    const error = detail?.error
      ? normalizeErrorInfo(detail.error)
      : info(cause.type ?? 'RUN_FAILED', cause.message);
    return { ...toRunResult(detail?.result), error };
  }
  return toRunResult({ error: info('RUN_FAILED', cause?.message ?? err.message) });
}

function info(type: string, message: string): ErrorInfo {
  return { type, message, stack: '', retryable: false, details: {} };
}
