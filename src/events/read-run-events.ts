// Node side only (clients, scripts): reads a run's whole stored event log from an event bus.
import type { RunEvent } from '../core/types';
import type { EventBus } from './event-bus';

/** Options of `readRunEvents`. */
export interface ReadRunEventsOptions {
  /** Only events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** Events read per `getEvents` call. @default 1000 */
  pageSize?: number;
}

/**
 * A run's events as the event bus stored them, in `seq` order, from any process and long after
 * the run ended (when Temporal no longer answers queries for it: no worker, history past its
 * retention). Runs publish their events when started with `persistence: { runEvents: true }`.
 * Returns `[]` for a run the bus knows nothing of.
 */
export async function readRunEvents(
  bus: EventBus,
  runId: string,
  options: ReadRunEventsOptions = {},
): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  let after = options.afterSeq ?? 0;
  const limit = options.pageSize ?? 1000;
  for (;;) {
    const page = await bus.getEvents(runId, { afterSeq: after, limit });
    out.push(...page);
    const last = page.at(-1);
    if (page.length < limit || !last) return out;
    after = last.seq;
  }
}
