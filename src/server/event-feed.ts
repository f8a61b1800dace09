// Node side (server): one watcher per run shared by every SSE client of that run. However many
// clients follow a run, the server polls it once (`RunHandle.events()`: a query, never written to
// the run's history) and fans the events out from an in-memory buffer.
import { AgentRuntimeError } from '../core/errors';
import { isTransientEventType } from '../core/events';
import type { RunEvent } from '../core/types';
import type { RunHandle } from '../client/run-handle';

/** One delivered event with its SSE id. */
export interface FeedItem {
  /** `"<seq>"` for a durable event; `"<seq>.<k>"` for the k-th transient event after it. */
  id: string;
  event: RunEvent;
}

/** Whether an event is transient (token delta, retry marker, live step progress). */
export function isTransientEvent(ev: RunEvent): boolean {
  return isTransientEventType(ev.type) || ev.payload?.transient === true;
}

/** A parsed `Last-Event-ID`: the durable seq, and the transient index after it (0: none). */
export interface Cursor {
  seq: number;
  k: number;
}

/** Parses `"12"` or `"12.3"`; undefined for anything else. */
export function parseCursor(value: string | undefined | null): Cursor | undefined {
  if (!value) return undefined;
  const m = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(value.trim());
  if (!m) return undefined;
  return { seq: Number(m[1]), k: m[2] ? Number(m[2]) : 0 };
}

/** A run's shared watcher: a growing buffer of its events, and waiters woken at each new one. */
export class RunFeed {
  readonly items: FeedItem[] = [];
  done = false;
  error: unknown;
  clients = 0;
  private waiters: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly handle: RunHandle,
    private readonly lingerMs: number,
    private readonly onClose: () => void,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    let seq = 0;
    let k = 0;
    const events = this.handle.events();
    try {
      for await (const ev of events) {
        if (isTransientEvent(ev)) {
          k += 1;
          this.items.push({ id: `${seq}.${k}`, event: ev });
        } else {
          seq = ev.seq;
          k = 0;
          this.items.push({ id: String(ev.seq), event: ev });
        }
        this.wake();
        if (this.stopped) break;
      }
    } catch (err) {
      this.error = err;
    } finally {
      this.done = true;
      this.wake();
      this.scheduleIdle();
    }
  }

  /** Index of the first item a client resuming after `cursor` has not seen. */
  startIndex(cursor: Cursor | undefined): number {
    if (!cursor) return 0;
    const id = cursor.k ? `${cursor.seq}.${cursor.k}` : String(cursor.seq);
    const at = this.items.findIndex((i) => i.id === id);
    if (at >= 0) return at + 1;
    // Not buffered (an older feed's transient id): everything after the durable seq.
    const next = this.items.findIndex((i) => {
      const c = parseCursor(i.id) as Cursor;
      return c.seq > cursor.seq || (c.seq === cursor.seq && c.k > cursor.k);
    });
    return next < 0 ? this.items.length : next;
  }

  /** Resolves at the next event, the end, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  attach(): void {
    this.clients += 1;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  detach(): void {
    this.clients -= 1;
    this.scheduleIdle();
  }

  /** With no client left, the feed is dropped after `lingerMs` (so quick reconnects reuse it). */
  private scheduleIdle(): void {
    if (this.clients > 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      if (this.clients > 0) return;
      this.stopped = true;
      this.onClose();
    }, this.lingerMs);
    this.idleTimer.unref();
  }
}

/** The shared feeds of a server, one per run being watched. */
export class RunFeeds {
  private readonly feeds = new Map<string, RunFeed>();

  constructor(private readonly lingerMs: number) {}

  /** The run's feed, started if none is live. */
  get(handle: RunHandle): RunFeed {
    let feed = this.feeds.get(handle.runId);
    if (!feed || (feed.done && feed.error !== undefined)) {
      const f: RunFeed = new RunFeed(handle, this.lingerMs, () => {
        if (this.feeds.get(handle.runId) === f) this.feeds.delete(handle.runId);
      });
      feed = f;
      this.feeds.set(handle.runId, f);
    }
    return feed;
  }

  /** Number of live feeds (runs being watched). */
  get size(): number {
    return this.feeds.size;
  }
}

/** The error of a failed feed as the JSON an SSE client receives. */
export function feedError(err: unknown): { code: string; message: string } {
  if (AgentRuntimeError.is(err)) return { code: err.code, message: err.message };
  return { code: 'RUN_FAILED', message: err instanceof Error ? err.message : String(err) };
}
