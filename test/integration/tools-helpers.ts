// Helpers of the tool integration tests: reading activities out of a run's history.
import type { WorkflowHandle } from '@temporalio/client';

/** Decodes a JSON payload from history. */
export function decodePayload(p: { data?: Uint8Array | null } | null | undefined): unknown {
  if (!p?.data) return undefined;
  return JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
}

/** One scheduled activity of a run: its type, UI summary and input. */
export interface ScheduledActivity {
  eventId: number;
  type: string;
  summary: unknown;
  input: unknown;
  /** Raw input text, to check what history carries. */
  inputText: string;
}

/** The activities a run scheduled, in order. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<ScheduledActivity[]> {
  const history = await handle.fetchHistory();
  const out: ScheduledActivity[] = [];
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const payload = a.input?.payloads?.[0];
    out.push({
      eventId: Number(e.eventId),
      type: a.activityType?.name ?? '',
      summary: decodePayload(e.userMetadata?.summary),
      input: decodePayload(payload),
      inputText: payload?.data ? Buffer.from(payload.data).toString('utf8') : '',
    });
  }
  return out;
}

/** Attempt numbers of the started activities, by the scheduling event id. */
export async function startedAttempts(handle: WorkflowHandle): Promise<Map<number, number>> {
  const history = await handle.fetchHistory();
  const out = new Map<number, number>();
  for (const e of history.events ?? []) {
    const a = e.activityTaskStartedEventAttributes;
    if (a) out.set(Number(a.scheduledEventId), Number(a.attempt));
  }
  return out;
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
