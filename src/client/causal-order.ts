// Node side (clients): puts a run's transient events (token deltas, live step progress) into
// causal order with its durable events, for `RunHandle.events()`. Pure bookkeeping, no I/O.
import { EventType, isTerminalEventType } from '../core/events';
import type { RunEvent } from '../core/types';
import type { TransientEvent } from '../events/event-bus';

/** Most transient events held back at once; the oldest are dropped past it (a stalled log). */
const MAX_HELD = 10_000;

interface Held {
  event: TransientEvent;
  /** Arrival number: a durable snapshot read after arrival `n` covers the events before it. */
  n: number;
  /** What the event belongs to (see `keyOf`). */
  key: string;
}

/** What a watcher showed of one step attempt's progress. */
interface StepProgress {
  /** A transient update of this attempt was yielded: its durable in-step updates are skipped. */
  transientSeen: boolean;
  lastPercent?: number;
  lastDescription?: unknown;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The key of a step attempt, from a step event's or a progress update's payload. */
function stepKey(p: Record<string, unknown>): string | undefined {
  const index = num(p.stepIndex);
  const attempt = num(p.attempt) ?? num(p.attempts);
  if (typeof p.stepName !== 'string' || index === undefined || attempt === undefined) {
    return undefined;
  }
  return `step:${p.stepName}\u0000${index}\u0000${attempt}`;
}

/**
 * What a transient event belongs to: a step attempt (live progress), a model call (deltas and
 * retry markers of `turn`), or, for other types, the type itself.
 */
function keyOf(t: TransientEvent): string {
  if (t.type === EventType.PROGRESS_UPDATE) {
    const k = stepKey(t.payload);
    if (k) return k;
  }
  if (t.type === EventType.ASSISTANT_DELTA || t.type === EventType.ASSISTANT_RETRY) {
    const turn = num(t.payload.turn);
    if (turn !== undefined) return `turn:${turn}`;
  }
  return `type:${t.type}`;
}

function turnOfKey(key: string): number | undefined {
  return key.startsWith('turn:') ? Number(key.slice(5)) : undefined;
}

/** A model call's own `assistant.message` (the run core's payload), which ends that call. */
function modelCallTurn(e: RunEvent): number | undefined {
  if (e.type !== EventType.ASSISTANT_MESSAGE || !('finishReason' in e.payload)) return undefined;
  return num(e.payload.turn);
}

/**
 * Orders one watcher's events. A transient event is produced by an activity, which runs after
 * the durable events that scheduled it (a step's `step.started`, the events before a model
 * call); the watcher reads durable events by polling, so transient ones often arrive first.
 * The rules:
 *
 * - A transient event waits until its *anchor* has been yielded: for step progress, that step
 *   attempt's `step.started` (and the executor's announcement `progress.update` right after it);
 *   for anything else, the whole of a durable snapshot read after the event arrived (the
 *   scheduling events were in the log before the activity ran, so such a snapshot holds them).
 *   Once a key is anchored, its later transient events pass at once.
 * - Transient events come before the durable event that ends what they belong to: a step's
 *   `step.completed` / `step.failed` / `step.retrying`, a model call's `assistant.message`, the
 *   run's terminal event. Ones that arrive after it are stale and dropped.
 * - Each progress update once: a step attempt whose live (transient) progress was shown has its
 *   durable in-step `progress.update` events skipped (they carry the same reports, coarser),
 *   and a transient update that repeats or goes behind the last shown one is dropped.
 */
export class CausalOrder {
  private held: Held[] = [];
  private received = 0;
  private readonly anchored = new Set<string>();
  private readonly closed = new Set<string>();
  /** Model calls up to this turn have their `assistant.message`. */
  private closedTurn = 0;
  private readonly steps = new Map<string, StepProgress>();
  /** A step attempt just started: its held events wait for the executor's announcement. */
  private announcing: { key: string; stepName: unknown; stepIndex: unknown } | undefined;
  private finished = false;
  /** The `seq` of the last durable event handled (yielded or skipped). */
  cursor: number;

  constructor(
    private readonly runId: string,
    afterSeq: number,
  ) {
    this.cursor = afterSeq;
  }

  /** Transient events received so far: a durable read started now covers those below it. */
  get mark(): number {
    return this.received;
  }

  /** Whether the terminal event was handled (nothing follows it). */
  get ended(): boolean {
    return this.finished;
  }

  /** Whether some transient event waits for a durable snapshot (the watcher should poll soon). */
  get waiting(): boolean {
    return this.held.some((h) => !this.anchored.has(h.key));
  }

  /** Takes in a transient event as it arrives. */
  add(event: TransientEvent): void {
    if (this.finished) return;
    this.held.push({ event, n: this.received++, key: keyOf(event) });
    if (this.held.length > MAX_HELD) this.held.shift();
  }

  /** The transient events that may be yielded now (their key anchored), in arrival order. */
  ready(): RunEvent[] {
    return this.release((h) => this.anchored.has(h.key) && h.key !== this.announcing?.key);
  }

  /**
   * A durable read started at transient mark `mark` has been fully handled: the transient events
   * that arrived before it are anchored. Returns the events to yield now.
   */
  covered(mark: number): RunEvent[] {
    const out = this.endOfPage();
    for (const h of this.held) if (h.n < mark) this.anchored.add(h.key);
    out.push(...this.ready());
    return out;
  }

  /** The end of a page of durable events: a step announced at its end gets its held events. */
  endOfPage(): RunEvent[] {
    const a = this.announcing;
    this.announcing = undefined;
    return a ? this.release((h) => h.key === a.key) : [];
  }

  /**
   * The events to yield for durable event `e`, in order: transient events that must precede it,
   * then `e` itself unless it was handled already or is skipped (a durable in-step progress
   * update of a step attempt whose live progress was shown).
   */
  durable(e: RunEvent): RunEvent[] {
    if (this.finished || e.seq <= this.cursor) return [];
    const out: RunEvent[] = [];
    const a = this.announcing;
    if (a && !this.isAnnouncement(e)) out.push(...this.endOfPage());
    out.push(...this.closeWith(e));
    this.cursor = e.seq;
    if (this.skip(e)) return out;
    out.push(e);
    if (e.type === EventType.STEP_STARTED) {
      const key = stepKey(e.payload);
      if (key) {
        this.closed.delete(key);
        this.anchored.add(key);
        this.steps.set(key, { transientSeen: false });
        this.announcing = { key, stepName: e.payload.stepName, stepIndex: e.payload.stepIndex };
      }
    }
    return out;
  }

  /** The executor's own `progress.update` right after a `step.started` (no `stepPercent`). */
  private isAnnouncement(e: RunEvent): boolean {
    const a = this.announcing;
    return (
      a !== undefined &&
      e.type === EventType.PROGRESS_UPDATE &&
      e.payload.stepPercent === undefined &&
      e.payload.stepName === a.stepName &&
      e.payload.stepIndex === a.stepIndex
    );
  }

  /** Releases the held events that `e` ends (they precede it) and closes their keys. */
  private closeWith(e: RunEvent): RunEvent[] {
    if (isTerminalEventType(e.type)) {
      const out = this.release(() => true);
      this.finished = true;
      this.held = [];
      return out;
    }
    const turn = modelCallTurn(e);
    if (turn !== undefined) {
      const out = this.release((h) => {
        const t = turnOfKey(h.key);
        return t !== undefined && t <= turn;
      });
      this.closedTurn = Math.max(this.closedTurn, turn);
      for (const k of this.anchored) {
        const t = turnOfKey(k);
        if (t !== undefined && t <= turn) this.anchored.delete(k);
      }
      return out;
    }
    if (
      e.type === EventType.STEP_COMPLETED ||
      e.type === EventType.STEP_FAILED ||
      e.type === EventType.STEP_RETRYING
    ) {
      const key = stepKey(e.payload);
      if (!key) return [];
      const out = this.release((h) => h.key === key);
      this.closed.add(key);
      this.anchored.delete(key);
      return out;
    }
    return [];
  }

  /** A durable in-step progress update of a step attempt whose live progress was shown. */
  private skip(e: RunEvent): boolean {
    if (e.type !== EventType.PROGRESS_UPDATE || num(e.payload.stepPercent) === undefined) {
      return false;
    }
    const key = stepKey(e.payload);
    if (!key) return false;
    const state = this.steps.get(key) ?? { transientSeen: false };
    this.steps.set(key, state);
    if (state.transientSeen) return true;
    state.lastPercent = num(e.payload.stepPercent);
    state.lastDescription = e.payload.description;
    return false;
  }

  private isClosed(key: string): boolean {
    const t = turnOfKey(key);
    return this.closed.has(key) || (t !== undefined && t <= this.closedTurn);
  }

  /** Takes the held events matching `pick` out, in arrival order, as the events to yield. */
  private release(pick: (h: Held) => boolean): RunEvent[] {
    const out: RunEvent[] = [];
    const keep: Held[] = [];
    for (const h of this.held) {
      if (!pick(h)) {
        keep.push(h);
        continue;
      }
      const e = this.admit(h);
      if (e) out.push(e);
    }
    this.held = keep;
    return out;
  }

  /** The event to yield for a released transient one, or undefined when it is stale or repeated. */
  private admit(h: Held): RunEvent | undefined {
    if (this.isClosed(h.key)) return undefined;
    const t = h.event;
    if (t.type === EventType.PROGRESS_UPDATE && h.key.startsWith('step:')) {
      const state = this.steps.get(h.key) ?? { transientSeen: false };
      this.steps.set(h.key, state);
      const percent = num(t.payload.stepPercent);
      if (percent !== undefined && state.lastPercent !== undefined) {
        const behind = percent < state.lastPercent;
        const same =
          percent === state.lastPercent && t.payload.description === state.lastDescription;
        if (behind || same) return undefined;
      }
      state.transientSeen = true;
      if (percent !== undefined) state.lastPercent = percent;
      state.lastDescription = t.payload.description;
    }
    return {
      seq: this.cursor,
      runId: this.runId,
      type: t.type,
      payload: t.payload,
      timestamp: t.timestamp,
    };
  }
}
