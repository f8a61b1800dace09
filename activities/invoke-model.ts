// Node side: the invokeModel activity. One model call, heartbeated, cancellable, classified errors.
import { Context } from '@temporalio/activity';
import { AgentRuntimeError } from '../src/core/errors';
import { buildResponse } from '../src/llm/openai';
import type { LLMClient, LLMResponse, ToolCallInfo } from '../src/llm/types';
import type { Usage } from '../src/core/types';
import { emptyUsage } from '../src/core/types';
import type { InvokeModelInput } from './types';
import { toApplicationFailure } from './failures';

/** Chooses the LLM client for a provider name (undefined: the worker's default). */
export type LLMClientResolver = (provider?: string) => LLMClient;

/** Dependencies of `invokeModel`. */
export interface InvokeModelDeps {
  /** The worker's LLM client, or a function choosing one by provider name. */
  llm: LLMClient | LLMClientResolver;
}

/** Builds the `invokeModel` activity. */
export function createInvokeModel(
  deps: InvokeModelDeps,
): (input: InvokeModelInput) => Promise<LLMResponse> {
  const resolve: LLMClientResolver =
    typeof deps.llm === 'function' ? deps.llm : () => deps.llm as LLMClient;
  return async function invokeModel(input: InvokeModelInput): Promise<LLMResponse> {
    const ctx = Context.current();
    // Heartbeats carry cancellation to the activity and let Temporal notice a dead worker; the SDK
    // throttles them, so a short interval costs little.
    const every = Math.max(100, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3));
    ctx.heartbeat({ turn: input.turn });
    const timer = setInterval(() => ctx.heartbeat({ turn: input.turn }), every);
    try {
      const client = resolve(input.provider);
      const options = { ...input.options, signal: ctx.cancellationSignal };
      if (!input.stream) return await client.generate(input.messages, options);
      return await collectStream(client, input, options);
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        // Report cancellation as such (the SDK's CancelledFailure), not as a provider error.
        await ctx.cancelled;
      }
      if (AgentRuntimeError.is(err)) throw toApplicationFailure(err);
      throw err;
    } finally {
      clearInterval(timer);
    }
  };
}

async function collectStream(
  client: LLMClient,
  input: InvokeModelInput,
  options: InvokeModelInput['options'] & { signal: AbortSignal },
): Promise<LLMResponse> {
  let content = '';
  let toolCalls: ToolCallInfo[] = [];
  let finishReason = 'stop';
  let usage: Usage = emptyUsage();
  for await (const chunk of client.stream(input.messages, options)) {
    content += chunk.delta;
    if (chunk.toolCalls) toolCalls = chunk.toolCalls;
    if (chunk.finishReason) finishReason = chunk.finishReason;
    if (chunk.usage) usage = chunk.usage;
  }
  return buildResponse(content, toolCalls, usage, input.options.model ?? '', finishReason);
}
