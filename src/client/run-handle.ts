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
import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs, rejectRenamedOptions, type Duration } from '../core/durations';
import { AgentRuntimeError, normalizeErrorInfo } from '../core/errors';
import { fromApplicationFailure } from '../core/failures';
import type { ErrorInfo, Message, RunEvent, RunResult, RunStatus } from '../core/types';
import { toRunResult } from '../core/types';
import type { EventBus, TransientSubscription } from '../events/event-bus';
import { readRunEvents } from '../events/read-run-events';
import type { AgentRunOutput } from '../core/run-contract';
import { readStoredPrefix } from '../transcripts/chain';
import type { TranscriptStore } from '../transcripts/transcript-store';
import {
  AgentKeySearchAttribute,
  statusQuery,
  checkpointQuery,
  toolApprovalsQuery,
  approveToolCallUpdate,
  type AgentRunWorkflowFn,
  type ApproveToolCallResponse,
  type PendingToolApproval,
  type RunStatusInfo,
} from '../core/run-contract';
import { watchRun } from './run-watch';
import {
  DEFAULT_WATCH_TIMEOUT,
  isTransientTemporalError,
  retryDelayMs,
  temporalUnavailable,
} from './watch-retry';

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
    `agent-runtime-core: RunHandle.events() yields durable events only (no token deltas, no live step progress): the event bus cannot subscribe to transient events: ${reason}`,
  );
}

/** Options of `RunHandle.events`. */
export interface EventsOptions {
  /** Deliver events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** Keep waiting for new events until the run ends. @default true */
  follow?: boolean;
  /**
   * Longest wait between two polls of the run's `events` query while nothing happens (after new
   * events the next poll comes after 100 ms, the wait doubling up to this). Each poll is a query
   * a worker answers; none is written to the run's history. @default '1s'
   */
  pollInterval?: Duration;
  /**
   * Interleave transient events (token deltas, live step progress) when the runner has an
   * `eventBus` (following only). @default true
   */
  transient?: boolean;
}

/** Options of a `RunHandle` (an `AgentRunner` passes its `RunnerConfig.watchTimeout`). */
export interface RunHandleOptions {
  /**
   * How long `events()` and `result()` keep retrying while Temporal is unreachable or no worker
   * answers, before they fail with `TEMPORAL_UNAVAILABLE` / `WORKER_UNAVAILABLE`.
   * @default '5m'
   */
  watchTimeout?: Duration;
  /**
   * The workers' transcript store, to read `finalMessages` that a run returned by reference (see
   * `AgentRunnerOptions.transcriptStore`). @default none
   */
  transcriptStore?: TranscriptStore;
}

/** A handle to one run. */
export class RunHandle {
  /** `watchTimeout` in milliseconds. */
  private readonly watchTimeoutMs: number;
  private readonly transcriptStore: TranscriptStore | undefined;

  constructor(
    /** The run id. */
    readonly runId: string,
    /** The underlying Temporal workflow handle. */
    readonly workflow: WorkflowHandle<AgentRunWorkflowFn>,
    /**
     * The runner's event bus (`AgentRunnerOptions.eventBus`), if any: the event store for
     * `storedEvents()` and `events()` (a finished run's stored events need no worker), and the
     * source of transient events (token deltas, live step progress) for `events()`.
     */
    readonly eventBus?: EventBus,
    options: RunHandleOptions = {},
  ) {
    this.watchTimeoutMs = durationMs(
      options.watchTimeout ?? DEFAULT_WATCH_TIMEOUT,
      'watchTimeout',
      'INVALID_INPUT',
    );
    this.transcriptStore = options.transcriptStore;
  }

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
   * Waits for the run to end and returns its result (following it across continue-as-new). A
   * failed, cancelled or timed-out run
   * resolves too, with `error` set (`RUN_CANCELLED`, `RUN_TIMED_OUT`, or the failure's code).
   * Waiting needs no worker, and survives Temporal being unreachable for up to `watchTimeout`
   * (retrying with backoff; the Temporal client first retries a failing call itself for about
   * 20 s); after that it throws `TEMPORAL_UNAVAILABLE`, and calling `result()` again resumes.
   */
  async result(): Promise<RunResult> {
    let failingSince: number | undefined;
    let failures = 0;
    for (;;) {
      let output: AgentRunOutput;
      try {
        output = await this.workflow.result();
      } catch (err) {
        if (err instanceof WorkflowFailedError) return resultFromFailure(err);
        if (!isTransientTemporalError(err)) throw err;
        const since = (failingSince ??= Date.now());
        // Wait for Temporal to answer again (a cheap call, bounded by the deadline), then go
        // back to waiting for the result with no deadline: the run may take hours.
        for (;;) {
          const waited = Date.now() - since;
          if (waited >= this.watchTimeoutMs) {
            throw temporalUnavailable(this.runId, 'result()', waited, err);
          }
          failures++;
          await sleep(Math.min(retryDelayMs(failures), this.watchTimeoutMs - waited));
          const deadline = since + this.watchTimeoutMs;
          try {
            await this.workflow.client.connection.withDeadline(deadline, () =>
              this.workflow.describe(),
            );
            // Temporal answers again: a later outage gets its own full watchTimeout.
            failingSince = undefined;
            failures = 0;
            break;
          } catch (probe) {
            if (probe instanceof WorkflowNotFoundError) throw notFound(this.runId, probe);
            if (!isTransientTemporalError(probe)) throw probe;
          }
        }
        continue;
      }
      return this.withStoredMessages(output);
    }
  }

  /**
   * The run's `RunResult` from what the workflow returned: `finalMessages` returned by reference
   * (`finalMessagesPrefix`) are read back from the transcript store.
   */
  private async withStoredMessages(output: AgentRunOutput): Promise<RunResult> {
    const { finalMessagesPrefix: prefix, ...result } = output;
    if (!prefix) return result;
    const store = this.transcriptStore;
    if (!store) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        `Run ${this.runId} returned its finalMessages by reference to the workers' transcript ` +
          'store, and this runner has none: give AgentRunner the same `transcriptStore` as the ' +
          'workers (or the same stateStoreBackend/databaseUrl/redisUrl settings).',
        { details: { transcriptId: prefix.id, length: prefix.length } },
      );
    }
    let stored: Message[] | null;
    try {
      stored = await readStoredPrefix(store, prefix);
    } catch (err) {
      throw new AgentRuntimeError(
        'STORAGE_ERROR',
        `Could not read the finalMessages of run ${this.runId} from the transcript store`,
        { cause: err, details: { transcriptId: prefix.id } },
      );
    }
    if (!stored) {
      throw new AgentRuntimeError(
        'TRANSCRIPT_MISSING',
        `The transcript store no longer holds the finalMessages of run ${this.runId} ` +
          `(${prefix.length} messages of ${prefix.id}): it was pruned or expired ` +
          '(RedisTranscriptStore ttlSeconds, PostgresTranscriptStore.prune).',
        { details: { transcriptId: prefix.id, length: prefix.length } },
      );
    }
    return {
      ...result,
      finalMessages: [...stored, ...result.finalMessages],
    };
  }

  /**
   * The run's events in order, each once. With `follow` (the default) it waits for new events
   * and ends after the terminal event; without, it returns what exists now.
   *
   * Watching writes nothing to the run's history: it polls the run's `events` query (paged; a
   * worker answers it), every 100 ms after news and backing off to `pollInterval` while nothing
   * happens. It survives a worker restart and a Temporal outage: failures that pass are retried
   * with backoff for up to the runner's `watchTimeout` (default five minutes), then it throws
   * `WORKER_UNAVAILABLE` (no worker answered) or `TEMPORAL_UNAVAILABLE`; both say what to do, and
   * `afterSeq` resumes where it stopped. A run that continued as new is followed across its
   * executions with one gap-free numbering; a watcher further behind than the current execution's
   * carried tail reads the older events from the event store, or without one gets
   * `EVENTS_EXPIRED` (see the README's "Long runs"). With an `eventBus` on the runner, events the run stored
   * (`persistence: { runEvents: true }`) are read from the event store when no worker answers: a
   * finished run's events then need no worker. Without one, a finished run's events need a
   * worker of its task queue (Temporal answers queries through workers); with none, `events()`
   * throws `WORKER_UNAVAILABLE`.
   *
   * When the runner has an `eventBus`, following also yields the transient events: streaming
   * (`assistant.delta` `{ turn, attempt, index, delta }`, `assistant.retry` `{ turn, attempt }`)
   * and live step progress (`progress.update` with `transient: true`). They are not in the
   * durable log: their `seq` repeats the seq of the last durable event yielded before them (so
   * resuming with `afterSeq` still works), and those published before this call started are not
   * replayed. They come in causal order: after the durable events that led to them (a step's
   * `step.started`, the events before a model call) and before the one that ends what they
   * belong to (`step.completed`, the call's `assistant.message`); late ones are dropped. A step
   * attempt whose live progress was shown has its durable in-step `progress.update` events
   * skipped, so each update shows once. `isTransientEventType(e.type)` tells deltas apart;
   * `StreamedText` assembles their text. A bus that cannot subscribe to transient events (a
   * `PostgresEventBus` without LISTEN, as on PGlite; LISTEN failing) gives the durable events
   * alone, with one `console.warn` per bus.
   */
  async *events(options: EventsOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const afterSeq = options.afterSeq ?? 0;
    if (!Number.isInteger(afterSeq) || afterSeq < 0) {
      throw new AgentRuntimeError('INVALID_INPUT', 'afterSeq must be a non-negative integer', {
        details: { field: 'afterSeq' },
      });
    }
    // Watching no longer long-polls: a wait per poll has no meaning, only the interval.
    rejectRenamedOptions(
      options,
      { pollTimeout: 'pollInterval', pollTimeoutMs: 'pollInterval' },
      'events()',
      'INVALID_INPUT',
    );
    const follow = options.follow ?? true;
    const maxPollMs = durationMs(options.pollInterval ?? '1s', 'pollInterval', 'INVALID_INPUT');
    // Subscribed before the first read, so nothing published after this call is missed.
    const transient =
      follow && options.transient !== false ? await this.subscribeTransient() : undefined;
    yield* watchRun(
      {
        runId: this.runId,
        workflow: this.workflow,
        eventBus: this.eventBus,
        watchTimeoutMs: this.watchTimeoutMs,
      },
      { afterSeq, follow, maxPollMs, transient },
    );
  }

  /** A live subscription to the run's transient events, or none (no bus, or it refused). */
  private async subscribeTransient(): Promise<TransientSubscription | undefined> {
    const bus = this.eventBus;
    if (!bus?.subscribeTransient) return undefined;
    try {
      return await bus.subscribeTransient(this.runId);
    } catch (err) {
      // A bus that cannot carry transient events here (a PostgresEventBus without LISTEN, as
      // on PGlite; LISTEN failing): the durable events alone, and a warning once per bus.
      warnNoTransient(bus, err);
      return undefined;
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
      const out = s.error ? { ...s, error: normalizeErrorInfo(s.error) } : s;
      if (out.status !== 'running') return out;
      // A terminated (or Temporal-timed-out) execution ran no more code: its own status still
      // says running, and its AgentStatus search attribute too. Temporal's record says how it ended.
      const closed = CLOSED_WITHOUT_END[(await this.workflow.describe()).status.name];
      return closed ? { ...out, status: closed } : out;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(this.runId, err);
      const d = await this.workflow.describe();
      const map: Record<string, RunStatus> = {
        RUNNING: 'running',
        COMPLETED: 'succeeded',
        FAILED: 'failed',
        CANCELLED: 'cancelled',
        TERMINATED: 'terminated',
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

/** Execution statuses the run's own status cannot show (it never recorded them). */
const CLOSED_WITHOUT_END: Readonly<Record<string, RunStatus | undefined>> = {
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

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
