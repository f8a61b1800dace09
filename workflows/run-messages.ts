// Sandbox-safe: which of a run's final messages are its own, for the conversation append. An
// agent commonly returns the transcript it sent the model (its system prompt, the conversation's
// history, the run's new input, then what it produced); only the new input and what it produced
// are appended to the conversation.
import type { Message } from '../src/core/types';
/** Key-order-independent JSON, for comparing messages that went through different copies. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Whether `list` begins with every message of `prefix`. */
export function startsWithMessages(list: readonly Message[], prefix: readonly Message[]): boolean {
  if (prefix.length > list.length) return false;
  return prefix.every((m, i) => canonical(m) === canonical(list[i]));
}

/**
 * Where `messages` continue past a whole copy of the run's input (history + new input), after
 * at most the agent's own leading system messages; `undefined` when they do not begin so. This is
 * the common shape (the transcript an agent sends the model), and the one a continued run can
 * still recognise once the copy stands in the transcript store (`CarriedTranscript.ownFrom`).
 */
export function inputEnd(
  history: readonly Message[],
  newInput: readonly Message[],
  messages: readonly Message[],
): number | undefined {
  const block = [...history, ...newInput];
  if (block.length === 0) return undefined;
  // Offsets past the agent's own leading system messages, nearest first.
  let leadingSystem = 0;
  while (messages[leadingSystem]?.role === 'system') leadingSystem++;
  for (let o = 0; o <= leadingSystem; o++) {
    if (startsWithMessages(messages.slice(o), block)) return o + block.length;
  }
  return undefined;
}

/**
 * Where the run's own messages start in `finalMessages`, or `undefined` when the agent returned
 * no copy of its input (only what it produced). Agents commonly return the transcript they sent
 * the model: optional leading `system` messages of their own (a `ToolCallingAgent`'s system
 * prompt), then the history, then the new input, then what the run produced.
 */
export function producedStart(
  history: readonly Message[],
  newInput: readonly Message[],
  finalMessages: readonly Message[],
): number | undefined {
  const copied = inputEnd(history, newInput, finalMessages);
  if (copied !== undefined) return copied;
  const block = [...history, ...newInput];
  let leadingSystem = 0;
  while (finalMessages[leadingSystem]?.role === 'system') leadingSystem++;
  for (let o = 0; o <= leadingSystem; o++) {
    const rest = finalMessages.slice(o);
    // Only part of the input was returned: the history alone, or the new input alone.
    if (history.length > 0 && startsWithMessages(rest, history)) return o + history.length;
    if (newInput.length > 0 && startsWithMessages(rest, newInput)) return o + newInput.length;
  }
  // The history + input block after some other preamble the agent added (not only system ones).
  if (block.length > 0) {
    for (let o = leadingSystem + 1; o + block.length <= finalMessages.length; o++) {
      if (startsWithMessages(finalMessages.slice(o), block)) return o + block.length;
    }
  }
  return leadingSystem > 0 ? leadingSystem : undefined;
}

/**
 * The run's new messages: the new input messages, then what the run produced. `produced` is the
 * agent's `finalMessages` past the copy of its input (history + new input, possibly after
 * system messages of the agent's own, such as a `ToolCallingAgent`'s system prompt), or as
 * returned (when the agent returned only its own messages). `system` messages are only ever
 * appended when the client sent them as input: an agent's system prompt is not part of the
 * conversation.
 */
export function newRunMessages(
  history: readonly Message[],
  newInput: readonly Message[],
  finalMessages: readonly Message[],
): Message[] {
  const start = producedStart(history, newInput, finalMessages) ?? 0;
  const produced = finalMessages.slice(start).filter((m) => m.role !== 'system');
  return [...newInput, ...produced];
}
