// Sandbox-safe (pure): the payloads of the transient streaming events a watching client receives
// (`EventType.ASSISTANT_DELTA`, `EventType.ASSISTANT_RETRY`; `isTransientEventType` tells them
// apart), and a helper that assembles the streamed text from them.
import { EventType } from '../core/events';

/** Payload of an `assistant.delta` event. */
export interface AssistantDeltaPayload {
  /** The model call of the run (1, 2, …), as in `assistant.message`. */
  turn: number;
  /** The activity attempt that produced it (1 unless the call was retried). */
  attempt: number;
  /** Position of this piece within the attempt, from 0. */
  index: number;
  /** The text. */
  delta: string;
}

/** Payload of an `assistant.retry` event. */
export interface AssistantRetryPayload {
  turn: number;
  /** The attempt now starting (2, 3, …). */
  attempt: number;
}

/**
 * Assembles streamed text per model call from `assistant.delta` / `assistant.retry` events, keeping
 * only the latest attempt of each call (a retry drops the failed attempt's partial text).
 *
 * @example
 * const text = new StreamedText();
 * for await (const e of handle.events()) {
 *   text.apply(e);
 *   render(text.text(currentTurn));
 * }
 */
export class StreamedText {
  private readonly turns = new Map<number, { attempt: number; pieces: string[] }>();

  /** Feeds one event; returns true when it changed the text. Other event types are ignored. */
  apply(event: { type: string; payload: Record<string, unknown> }): boolean {
    const p = event.payload;
    const turn = typeof p.turn === 'number' ? p.turn : undefined;
    const attempt = typeof p.attempt === 'number' ? p.attempt : 1;
    if (turn === undefined) return false;
    const current = this.turns.get(turn);
    if (event.type === EventType.ASSISTANT_RETRY) {
      if (current && current.attempt >= attempt) return false;
      this.turns.set(turn, { attempt, pieces: [] });
      return true;
    }
    if (event.type !== EventType.ASSISTANT_DELTA || typeof p.delta !== 'string') {
      return false;
    }
    // A delta of an older attempt arriving late is void; a newer attempt replaces the text.
    if (current && attempt < current.attempt) return false;
    const entry =
      current && current.attempt === attempt ? current : { attempt, pieces: [] as string[] };
    const index = typeof p.index === 'number' ? p.index : entry.pieces.length;
    entry.pieces[index] = p.delta;
    this.turns.set(turn, entry);
    return true;
  }

  /** The text streamed so far for a model call ('' when none). */
  text(turn: number): string {
    return (this.turns.get(turn)?.pieces ?? []).join('');
  }

  /** The model calls seen, in ascending order. */
  get turnNumbers(): number[] {
    return [...this.turns.keys()].sort((a, b) => a - b);
  }
}
