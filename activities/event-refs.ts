// Node side: the event fields a `publishRunEvents` batch sends by reference (`refs`), read back
// from the workers' transcript store before the events are published.
import { Context } from '@temporalio/activity';
import { AgentRuntimeError } from '../src/core/errors';
import type { EventFieldRef, StoredFieldRef } from '../src/core/persistence-contract';
import { messageText, messageToolCalls } from '../src/core/transcript';
import type { JsonValue, RunEvent } from '../src/core/types';
import { expandTranscriptId } from '../src/core/wire-ids';
import { readStoredContent, readTranscriptEntry } from '../src/transcripts/chain';
import type { TranscriptStore } from '../src/transcripts/transcript-store';

function missing(reason: string, cause?: unknown): AgentRuntimeError {
  return new AgentRuntimeError(
    'TRANSCRIPT_MISSING',
    `An event field sent by reference is not available on this worker (${reason}); the run sends the events again whole.`,
    { ...(cause !== undefined ? { cause } : {}), details: { reason } },
  );
}

/** The value a reference names, checked by hash; throws `TRANSCRIPT_MISSING` otherwise. */
async function read(store: TranscriptStore, from: StoredFieldRef): Promise<JsonValue> {
  const execution = Context.current().info.workflowExecution;
  if ('result' in from) {
    const { transcript, key, hash } = from.result;
    const content = await readStoredContent(
      store,
      expandTranscriptId(transcript, execution),
      key,
      hash,
    );
    if (content === null) throw missing(`tool result ${key} is not stored as sent`);
    return from.json ? (JSON.parse(content) as JsonValue) : content;
  }
  const { transcript, position, hash } = from.reply;
  const id = expandTranscriptId(transcript, execution);
  const entry = await readTranscriptEntry(store, id, position);
  if (!entry || entry.hash !== hash) throw missing(`reply ${position} of ${id} is not stored`);
  if (from.as === 'content') return messageText(entry.message);
  const calls = messageToolCalls(entry.message);
  if (from.as === 'toolCalls') return calls;
  const matching = calls.filter((c) => c.id === from.toolCallId);
  const call = matching[0];
  if (matching.length !== 1 || !call) {
    throw missing(`reply ${position} of ${id} has no single call ${String(from.toolCallId)}`);
  }
  return call.arguments;
}

/**
 * `events` with every field of `refs` filled in from `store` (copies; the input is not changed).
 * Throws `TRANSCRIPT_MISSING` when one cannot be read (no store, not stored, different).
 */
export async function expandEventRefs(
  store: TranscriptStore | undefined,
  events: readonly RunEvent[],
  refs: readonly EventFieldRef[] | undefined,
): Promise<RunEvent[]> {
  if (!refs || refs.length === 0) return [...events];
  if (!store) throw missing('no transcript store');
  let values: JsonValue[];
  try {
    values = await Promise.all(refs.map((r) => read(store, r.from)));
  } catch (err) {
    if (AgentRuntimeError.is(err) && err.code === 'TRANSCRIPT_MISSING') throw err;
    throw missing('the transcript store failed', err);
  }
  const out = events.map((e) => ({ ...e, payload: structuredClone(e.payload) }));
  refs.forEach((ref, i) => {
    const event = out.find((e) => e.seq === ref.seq);
    const path = ref.path;
    if (!event || path.length === 0)
      throw missing(`no field ${path.join('.')} of event ${ref.seq}`);
    let target: Record<string, unknown> = event.payload;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== 'object' || next === null) {
        throw missing(`no field ${path.join('.')} of event ${ref.seq}`);
      }
      target = next as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = values[i];
  });
  return out;
}
