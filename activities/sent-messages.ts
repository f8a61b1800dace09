// Node side: the new messages a model call by reference really sent (its stored tool results
// filled in), kept per activity for the tracing interceptor, whose span records the call's input
// (`gen_ai.input.messages`) from the activity's arguments, where those results are left empty.
import type { Context } from '@temporalio/activity';
import type { Message } from '../src/core/types';

const sent = new WeakMap<Context, readonly Message[]>();

/** Notes the new messages the call in `ctx` sent to the model (stored tool results filled in). */
export function noteSentMessages(ctx: Context, messages: readonly Message[]): void {
  sent.set(ctx, messages);
}

/** The new messages the call in `ctx` sent, when it noted them. */
export function sentMessagesOf(ctx: Context): readonly Message[] | undefined {
  return sent.get(ctx);
}
