// Node side (clients): the loop behind `RunHandle.events()`. Durable events come from the run's
// paged `events` query (a query writes nothing to the run's history), or from the event store
// when no worker can answer; transient events from the event bus, put in causal order. Transient
// Temporal failures are retried with backoff until the watch deadline.
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { EventType, isTerminalEventType } from '../core/events';
import { AgentRuntimeError } from '../core/errors';
import { DEFAULT_EVENTS_PAGE, eventsQuery, type EventsPage } from '../core/run-contract';
import type { RunEvent } from '../core/types';
import type { EventBus, TransientSubscription } from '../events/event-bus';
import { CausalOrder } from './causal-order';
import {
  isNoPollerError,
  isTransientTemporalError,
  retryDelayMs,
  temporalUnavailable,
  workerUnavailable,
} from './watch-retry';

/** First wait between two polls after new events, in ms (it doubles up to the poll interval). */
const FIRST_POLL_MS = 100;
/**
 * Least time between two polls while a transient event waits for its durable context (the first
 * delta of each model call, the first live update of a step read before its `step.started`).
 */
const TRANSIENT_POLL_MS = 20;
/** Idle time after which a poll also asks Temporal whether the run closed (e.g. terminated). */
const CLOSE_CHECK_MS = 10_000;
/** Longest wait of the final probe that tells "Temporal is down" from "no worker answers". */
const PROBE_MS = 5000;

/** What one `RunWatch` needs from its handle. */
export interface RunWatchDeps {
  runId: string;
  workflow: WorkflowHandle;
  eventBus: EventBus | undefined;
  /** How long consecutive transient failures are retried before the typed error, in ms. */
  watchTimeoutMs: number;
}

/** Settings of one watch (validated `EventsOptions`). */
export interface RunWatchOptions {
  afterSeq: number;
  follow: boolean;
  /** Longest wait between two polls while nothing happens, in ms. */
  maxPollMs: number;
  /** A live subscription to the run's transient events, or none. */
  transient: TransientSubscription | undefined;
}

/** One read of the run's durable events. */
type Fetched =
  | {
      ok: true;
      events: RunEvent[];
      lastSeq: number;
      /** The run ended and `events` reach its last event. */
      done: boolean;
      /** The run's execution is closed (its log may lack a terminal event: terminated). */
      closed: boolean;
      /** Read by the query: a snapshot of the log after the read began (see `CausalOrder`). */
      snapshot: boolean;
    }
  | { ok: false; error: unknown; closed?: boolean };

/** What `describe()` tells about the run's current execution. */
interface RunInfo {
  closed: boolean;
  /** The execution's status name (`RUNNING`, `TERMINATED`, …). */
  status: string;
  /** When the execution closed. */
  closeTime: Date | undefined;
  startMs: number;
  taskQueue: string;
  /** The run id of the chain's first execution, when this one continued it (continue-as-new). */
  firstRunId?: string;
}

/** A run's current execution within the event store's log (a run id may have several). */
interface StoredView {
  events: RunEvent[];
  /** The execution's terminal event is stored: the view is complete. */
  complete: boolean;
}

/** The durable side of a watch: the `events` query, the event store when no worker answers. */
class DurableSource {
  /** Where the current execution's events start in the stored log (`seq` offset), once found. */
  private storeOffset: number | undefined;
  /** Timestamp of the execution's `run.started`, once seen: it identifies it in the store. */
  startedAt: string | undefined;
  private described = false;

  constructor(private readonly deps: RunWatchDeps) {}

  async describe(deadline?: number): Promise<RunInfo> {
    const d = await this.bounded(deadline, () => this.deps.workflow.describe());
    const firstRunId = d.raw.workflowExecutionInfo?.firstRunId ?? undefined;
    return {
      closed: d.status.name !== 'RUNNING',
      status: d.status.name,
      closeTime: d.closeTime,
      startMs: d.startTime.getTime(),
      taskQueue: d.taskQueue,
      ...(firstRunId && firstRunId !== d.runId ? { firstRunId } : {}),
    };
  }

  /** Runs `fn` with a gRPC deadline (the Temporal client's own retries stop at it too). */
  private bounded<T>(deadline: number | undefined, fn: () => Promise<T>): Promise<T> {
    if (deadline === undefined) return fn();
    return this.deps.workflow.client.connection.withDeadline(deadline, fn);
  }

  /**
   * Reads the events after `cursor`. With an event bus, a closed run whose events are stored is
   * read from the store (no worker needed); otherwise from the query, and from the store when
   * the query fails for a passing reason and the store has something new.
   */
  async fetch(cursor: number, checkClosed: boolean, deadline: number): Promise<Fetched> {
    let closed = false;
    try {
      const bus = this.deps.eventBus;
      if (checkClosed || (bus !== undefined && !this.described)) {
        this.described = true;
        const info = await this.describe(deadline);
        closed = info.closed;
        if (closed && bus) {
          const stored = await this.fromStore(cursor, info).catch(() => undefined);
          if (stored?.complete) return this.storedPage(stored, cursor, true);
        }
      }
      const answer = await this.bounded(deadline, () =>
        this.deps.workflow.query(eventsQuery, { afterSeq: cursor, limit: DEFAULT_EVENTS_PAGE }),
      );
      const page = toPage(answer, cursor);
      if (page.firstSeq !== undefined && page.firstSeq > cursor + 1) {
        // The run continued as new and its execution no longer holds the events after `cursor`:
        // they are in the event store (runs that persist their events), or gone for this watcher.
        const stored = bus ? await this.fromStore(cursor).catch(() => undefined) : undefined;
        if (stored && stored.events[0]?.seq === cursor + 1) {
          return this.storedPage(stored, cursor, stored.complete);
        }
        return { ok: false, error: eventsExpired(this.deps, cursor, page.firstSeq) };
      }
      return { ok: true, ...page, closed, snapshot: true };
    } catch (error) {
      if (!isTransientTemporalError(error)) return { ok: false, error };
      if (this.deps.eventBus) {
        const stored = await this.fromStore(cursor).catch(() => undefined);
        if (stored && (stored.complete || stored.events.length > 0)) {
          return this.storedPage(stored, cursor, stored.complete);
        }
      }
      // Temporal said no worker polls the queue: for a finished run that is final.
      if (isNoPollerError(error)) {
        const info = await this.describe(Date.now() + PROBE_MS).catch(() => undefined);
        return { ok: false, error, closed: info?.closed ?? false };
      }
      return { ok: false, error };
    }
  }

  private storedPage(stored: StoredView, cursor: number, closed: boolean): Fetched {
    const last = stored.events.at(-1);
    return {
      ok: true,
      events: stored.events,
      lastSeq: last?.seq ?? cursor,
      done: stored.complete,
      closed,
      snapshot: false,
    };
  }

  /**
   * The current execution's events after `cursor` in the event store, numbered as the
   * execution numbers them, or undefined when the store holds none of them.
   */
  private async fromStore(cursor: number, known?: RunInfo): Promise<StoredView | undefined> {
    const bus = this.deps.eventBus;
    if (!bus) return undefined;
    this.storeOffset ??= await this.findStoreOffset(bus, known);
    const offset = this.storeOffset;
    if (offset === undefined) return undefined;
    const events: RunEvent[] = [];
    let after = offset + cursor;
    for (;;) {
      const page = await bus.getEvents(this.deps.runId, { afterSeq: after, limit: 1000 });
      for (const e of page) {
        // A later execution of the run id starts here.
        if (e.type === EventType.RUN_STARTED && e.seq !== offset + 1) {
          return { events, complete: isTerminalEventType(events.at(-1)?.type ?? '') };
        }
        events.push({ ...e, seq: e.seq - offset });
      }
      const last = page.at(-1);
      if (page.length < 1000 || !last) break;
      after = last.seq;
    }
    return { events, complete: isTerminalEventType(events.at(-1)?.type ?? '') };
  }

  /**
   * Where the current execution starts in the stored log: at its `run.started` (known by its
   * timestamp once seen, else the first stored after the execution's start time).
   */
  private async findStoreOffset(bus: EventBus, known?: RunInfo): Promise<number | undefined> {
    let after = 0;
    const starts: RunEvent[] = [];
    for (;;) {
      const page = await bus.getEvents(this.deps.runId, { afterSeq: after, limit: 1000 });
      starts.push(...page.filter((e) => e.type === EventType.RUN_STARTED));
      const last = page.at(-1);
      if (page.length < 1000 || !last) break;
      after = last.seq;
    }
    if (starts.length === 0) return undefined;
    let start: RunEvent | undefined;
    if (this.startedAt !== undefined) {
      start = starts.find((e) => e.timestamp === this.startedAt);
    } else {
      const info = known ?? (await this.describe(Date.now() + PROBE_MS));
      // A run that continued as new: its events began with the chain's first execution.
      let startMs = info.startMs;
      if (info.firstRunId) {
        const { workflowId } = this.deps.workflow;
        const first = this.deps.workflow.client.getHandle(workflowId, info.firstRunId);
        startMs = (await first.describe()).startTime.getTime();
      }
      // The execution's first workflow task (run.started's time) comes after its start.
      start = starts.find((e) => Date.parse(e.timestamp) >= startMs);
    }
    return start ? start.seq - 1 : undefined;
  }
}

/** An `events` query answer as a page (earlier workers answer the plain array). */
function toPage(
  answer: EventsPage | RunEvent[],
  cursor: number,
): Omit<EventsPage, 'events'> & { events: RunEvent[] } {
  if (Array.isArray(answer)) {
    const events = answer.filter((e) => e.seq > cursor);
    const last = answer.at(-1);
    return {
      events,
      lastSeq: last?.seq ?? cursor,
      done: last !== undefined && isTerminalEventType(last.type),
    };
  }
  return {
    events: answer.events ?? [],
    lastSeq: answer.lastSeq ?? cursor,
    done: !!answer.done,
    ...(answer.firstSeq !== undefined ? { firstSeq: answer.firstSeq } : {}),
  };
}

/** A watcher further behind than a continued run's execution holds, with no event store. */
function eventsExpired(deps: RunWatchDeps, cursor: number, firstSeq: number): AgentRuntimeError {
  return new AgentRuntimeError(
    'EVENTS_EXPIRED',
    `Run ${deps.runId} continued as new and no longer holds events ${cursor + 1}-${firstSeq - 1}` +
      (deps.eventBus
        ? ' and the event store lacks them (start runs with persistence: { runEvents: true })'
        : ': give the runner an eventBus (with runs persisting their events) to read them from the event store') +
      `; events from ${firstSeq} on are available (events({ afterSeq: ${firstSeq - 1} })).`,
    { details: { runId: deps.runId, afterSeq: cursor, firstSeq } },
  );
}

/**
 * A wake-up that timers, settled reads and arriving transient events share. A `notify()` while
 * nobody waits (the watcher is handing out an event) is kept: the next `wait()` returns at once.
 */
class Wakeup {
  private resolve: (() => void) | undefined;
  private pending = false;

  notify(): void {
    if (this.resolve) this.resolve();
    else this.pending = true;
  }

  /** Resolves on a `notify()` (or one pending) or after `ms` (never when `ms` is Infinity). */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), Math.max(0, ms)) : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.resolve = undefined;
        resolve();
      };
      this.resolve = done;
    });
  }
}

/**
 * Watches one run: yields its durable events in order, each once, interleaved with its
 * transient events (when a subscription is given) in causal order; ends after the terminal
 * event (or, without `follow`, once caught up).
 */
export async function* watchRun(
  deps: RunWatchDeps,
  options: RunWatchOptions,
): AsyncGenerator<RunEvent, void, undefined> {
  const source = new DurableSource(deps);
  const order = new CausalOrder(deps.runId, options.afterSeq);
  const wake = new Wakeup();
  const sub = options.transient;
  const pump = sub
    ? (async () => {
        for await (const t of sub) {
          order.add(t);
          wake.notify();
        }
      })().catch(() => undefined)
    : undefined;

  let inflight: { mark: number; started: number; result?: Fetched } | undefined;
  let nextPollAt = 0;
  let lastPollStart = 0;
  let delay = FIRST_POLL_MS;
  let failingSince: number | undefined;
  let failures = 0;
  let lastNews = Date.now();
  let lastCloseCheck = Date.now();

  const startRead = () => {
    const now = Date.now();
    const checkClosed = now - lastNews >= CLOSE_CHECK_MS && now - lastCloseCheck >= CLOSE_CHECK_MS;
    if (checkClosed) lastCloseCheck = now;
    // Each try ends by the watch deadline, so the typed error comes on time.
    const deadline = (failingSince ?? now) + deps.watchTimeoutMs;
    const read: { mark: number; started: number; result?: Fetched } = {
      mark: order.mark,
      started: now,
    };
    lastPollStart = now;
    inflight = read;
    void source.fetch(order.cursor, checkClosed, deadline).then((r) => {
      read.result = r;
      wake.notify();
    });
  };

  try {
    for (;;) {
      for (const e of order.ready()) yield e;

      const read = inflight;
      if (read?.result) {
        inflight = undefined;
        const r = read.result;
        if (!r.ok) {
          if (!isTransientTemporalError(r.error)) throw permanent(deps.runId, r.error);
          failingSince ??= read.started;
          failures++;
          const waited = Date.now() - failingSince;
          if (r.closed) {
            // A finished run, no worker, nothing stored: waiting does not help.
            throw workerUnavailable(deps.runId, {
              closed: true,
              waitedMs: waited,
              lastSeq: order.cursor,
              hasEventStore: deps.eventBus !== undefined,
              cause: r.error,
            });
          }
          if (waited >= deps.watchTimeoutMs)
            throw await deadlineError(deps, source, order, r, waited);
          nextPollAt = Date.now() + retryDelayMs(failures);
          continue;
        }
        failingSince = undefined;
        failures = 0;
        for (const e of r.events) {
          if (e.seq === 1 && e.type === EventType.RUN_STARTED) source.startedAt = e.timestamp;
          for (const out of order.durable(e)) yield out;
          if (order.ended) return;
        }
        for (const e of order.endOfPage()) yield e;
        const caughtUp = order.cursor >= r.lastSeq;
        if (caughtUp && r.snapshot) for (const e of order.covered(read.mark)) yield e;
        if (caughtUp && (r.done || r.closed || !options.follow)) {
          // A run closed from outside recorded no end: say how it ended.
          if (!r.done) {
            const end = await closedWithoutEnd(deps, source, order.cursor);
            if (end) for (const out of order.durable(end)) yield out;
          }
          return;
        }
        // More pages now (a page always holds at least one event when more exist).
        if (!caughtUp && r.events.length > 0) {
          nextPollAt = 0;
          continue;
        }
        if (r.events.length > 0) {
          lastNews = Date.now();
          delay = FIRST_POLL_MS;
        } else {
          delay = Math.min(delay * 2, options.maxPollMs);
        }
        nextPollAt = Date.now() + delay;
        continue;
      }

      if (!inflight) {
        // Transient events waiting for their durable context make the next poll come sooner.
        const due =
          failures === 0 && order.waiting
            ? Math.min(nextPollAt, lastPollStart + TRANSIENT_POLL_MS)
            : nextPollAt;
        const now = Date.now();
        if (now >= due) {
          startRead();
          continue;
        }
        await wake.wait(due - now);
        continue;
      }
      await wake.wait(Infinity);
    }
  } finally {
    await sub?.close();
    await pump;
  }
}

/**
 * The terminal event of a run whose execution closed without recording one: `run.terminated`
 * (terminated from outside) or `run.timed_out` (Temporal's own execution timeout), synthesized
 * with `payload.synthesized: true`. Undefined while the run runs or when Temporal cannot say.
 */
async function closedWithoutEnd(
  deps: RunWatchDeps,
  source: DurableSource,
  cursor: number,
): Promise<RunEvent | undefined> {
  const info = await source.describe(Date.now() + PROBE_MS).catch(() => undefined);
  if (!info?.closed) return undefined;
  const type =
    info.status === 'TERMINATED'
      ? EventType.RUN_TERMINATED
      : info.status === 'TIMED_OUT'
        ? EventType.RUN_TIMED_OUT
        : undefined;
  if (!type) return undefined;
  return {
    seq: cursor + 1,
    runId: deps.runId,
    type,
    payload: { synthesized: true, executionStatus: info.status },
    timestamp: (info.closeTime ?? new Date()).toISOString(),
  };
}

/** The typed error once the watch deadline passed: Temporal down, or no worker answering. */
async function deadlineError(
  deps: RunWatchDeps,
  source: DurableSource,
  order: CausalOrder,
  failure: { error: unknown },
  waitedMs: number,
): Promise<AgentRuntimeError> {
  const info = await source.describe(Date.now() + PROBE_MS).catch(() => undefined);
  if (!info)
    return temporalUnavailable(deps.runId, 'events()', waitedMs, failure.error, order.cursor);
  return workerUnavailable(deps.runId, {
    taskQueue: info.taskQueue,
    closed: info.closed,
    waitedMs,
    lastSeq: order.cursor,
    hasEventStore: deps.eventBus !== undefined,
    cause: failure.error,
  });
}

/** A failure that retrying does not fix, as the caller should see it. */
function permanent(runId: string, err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) {
    return new AgentRuntimeError('RUN_NOT_FOUND', `No run with id "${runId}".`, {
      details: { runId },
      cause: err,
    });
  }
  return err;
}
