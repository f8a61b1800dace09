// Sandbox-safe: what the workflow and the invokeModel activity share about model calls by
// reference: JSON equality of messages, and the answer carried once (`content` and `toolCalls`
// left out of the activity's result when `message` says them).
import type { InvokeModelOutput, InvokeModelResult } from './activity-contract';
import type { LLMResponse } from './llm-types';
import type { Message, ToolCall } from './types';
import { fromMessageToolCall } from './types';

/**
 * Whether two JSON-like values are equal as JSON: what Temporal's payload converter and the
 * stores would keep of them. Object key order does not matter; properties whose value is
 * `undefined` count as absent.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const key of Object.keys(ra)) {
    if (ra[key] === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(rb, key) || !jsonEqual(ra[key], rb[key])) {
      return false;
    }
  }
  for (const key of Object.keys(rb)) if (rb[key] !== undefined) defined--;
  return defined === 0;
}

/** The text an assistant message carries (`''` for none or for content parts). */
export function messageText(message: Message): string {
  return typeof message.content === 'string' ? message.content : '';
}

/** The tool calls an assistant message carries, in the library's `ToolCall` shape. */
export function messageToolCalls(message: Message): ToolCall[] {
  return (message.tool_calls ?? []).map(fromMessageToolCall);
}

/**
 * The activity's result for a call by reference: the answer with `content` and `toolCalls` left
 * out when they are what `message` says (the answer is then carried once).
 */
export function compactResult(result: InvokeModelResult): InvokeModelOutput {
  const { content, toolCalls, ...rest } = result;
  return {
    ...rest,
    ...(content !== messageText(result.message) ? { content } : {}),
    ...(!jsonEqual(toolCalls, messageToolCalls(result.message)) ? { toolCalls } : {}),
  };
}

/** The whole answer from an activity result (`compactResult` undone). */
export function expandResult(output: InvokeModelOutput): InvokeModelResult & LLMResponse {
  const { content, toolCalls, transcript: _transcript, ...rest } = output;
  return {
    ...rest,
    content: content ?? messageText(output.message),
    toolCalls: toolCalls ?? messageToolCalls(output.message),
  };
}
