// Sandbox-safe: the answer of the run workflow's `events` query, paged so that one answer stays
// well under Temporal's message limits however long the run's log grows.
import { isTerminalEventType } from '../src/core/events';
import {
  DEFAULT_EVENTS_PAGE,
  EVENTS_PAGE_CHARS,
  MAX_EVENTS_PAGE,
  type EventsPage,
  type EventsPageRequest,
} from '../src/core/run-contract';
import type { RunEvent } from '../src/core/types';

/** A non-negative integer argument of the query, or the default; anything else throws. */
function count(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`events query: ${name} must be a non-negative integer`);
  }
  return value;
}

/**
 * Answers the `events` query over the run's log. An object argument (`EventsPageRequest`) gets a
 * bounded `EventsPage`; a number or nothing gets the plain array of earlier versions (their
 * clients read it so). A bad argument throws, which fails the query, not the run.
 */
export function answerEventsQuery(
  events: readonly RunEvent[],
  arg: EventsPageRequest | number | undefined,
  heldFrom?: number,
): EventsPage | RunEvent[] {
  if (typeof arg !== 'object' || arg === null) {
    const after = count(arg, 'afterSeq', 0);
    return events.filter((e) => e.seq > after);
  }
  const afterSeq = count(arg.afterSeq, 'afterSeq', 0);
  const limit = Math.min(
    Math.max(1, count(arg.limit, 'limit', DEFAULT_EVENTS_PAGE)),
    MAX_EVENTS_PAGE,
  );
  const page: RunEvent[] = [];
  let chars = 0;
  // The log is numbered without gaps: event `seq` sits at index `seq - base - 1`, where `base`
  // counts the events of earlier executions not held (a continued run holds a tail of them). A
  // watcher further behind gets the oldest held events; `firstSeq` tells it what it missed.
  // `heldFrom` (the log's base) keeps this right when a continued execution holds no event yet.
  const base = heldFrom ?? (events[0]?.seq ?? 1) - 1;
  for (let i = Math.max(0, afterSeq - base); i < events.length && page.length < limit; i++) {
    const event = events[i] as RunEvent;
    const size = JSON.stringify(event).length;
    if (page.length > 0 && chars + size > EVENTS_PAGE_CHARS) break;
    page.push(event);
    chars += size;
  }
  const last = events.at(-1);
  const lastSeq = last?.seq ?? base;
  const reachedEnd = (page.at(-1)?.seq ?? afterSeq) >= lastSeq;
  return {
    events: page,
    lastSeq,
    done: reachedEnd && last !== undefined && isTerminalEventType(last.type),
    ...(base > 0 ? { firstSeq: base + 1 } : {}),
  };
}
