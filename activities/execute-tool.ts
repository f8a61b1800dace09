// Node side: the executeTool activity. One tool call: validated again against the worker's own
// tool definition, heartbeated, cancellable through the handler's AbortSignal, errors classified.
import { Context } from '@temporalio/activity';
import { AgentRuntimeError } from '../src/core/errors';
import { invokeHandler, parseToolArguments, ToolRegistry } from '../src/tools/registry';
import type { AnyTool } from '../src/tools/tool';
import type { ExecuteToolInput, ExecuteToolOutput } from '../src/core/activity-contract';
import { checkPayloadSize } from '../src/payloads';
import { toApplicationFailure } from './failures';
import { startHeartbeats } from './heartbeat';
import { payloadLimit, type PayloadLimitDeps } from './payload-limit';
import { resolveRedactor, withRedaction, type RedactionDeps } from './redact';

/** Dependencies of `executeTool`. */
export interface ExecuteToolDeps extends PayloadLimitDeps, RedactionDeps {
  /**
   * The tools this worker can run (handlers included). Tool calls of a run are looked up here by
   * name. @default no tools: every call fails with `TOOL_NOT_FOUND`
   */
  tools?: ToolRegistry | readonly AnyTool[];
}

/** Builds the `executeTool` activity. */
export function createExecuteTool(
  deps: ExecuteToolDeps,
): (input: ExecuteToolInput) => Promise<ExecuteToolOutput> {
  const registry = ToolRegistry.from(deps.tools ?? []);
  // A handler's error often quotes what it was given (a connection string, a key): redacted.
  return withRedaction({ executeTool }, resolveRedactor(deps)).executeTool;
  async function executeTool(input: ExecuteToolInput): Promise<ExecuteToolOutput> {
    const ctx = Context.current();
    // Heartbeats carry cancellation to the handler's AbortSignal. The automatic ones repeat the
    // handler's last details, so they are not lost.
    let details: unknown = undefined;
    const stopHeartbeats = startHeartbeats(ctx, () => details);
    try {
      const tool = registry.get(input.name);
      if (!tool) {
        throw new AgentRuntimeError(
          'TOOL_NOT_FOUND',
          `Tool not found on this worker: ${input.name}. Give it to createActivities({ tools }).`,
          { details: { name: input.name } },
        );
      }
      // The workflow validated already; the worker's definition is the source of truth (and
      // applies zod transforms the JSON in history cannot carry).
      const { args } = parseToolArguments(tool, input.arguments);
      const result = await invokeHandler(tool, args, {
        runId: input.runId,
        toolCallId: input.toolCallId,
        idempotencyKey: input.idempotencyKey,
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
        heartbeat: (d?: unknown) => {
          details = d;
          ctx.heartbeat(d);
        },
      });
      // Too large to return: a non-retryable PAYLOAD_TOO_LARGE, which the model sees as this
      // call's error (it can ask for less) instead of the tool running again.
      checkPayloadSize({ result }, `The result of tool ${input.name}`, payloadLimit(deps), {
        name: input.name,
      });
      return { result };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        // Report cancellation as such (the SDK's CancelledFailure), not as a tool error.
        await ctx.cancelled;
      }
      if (AgentRuntimeError.is(err)) throw toApplicationFailure(err);
      // A handler's own error: retryable, the tool's retry policy decides.
      throw toApplicationFailure(
        new AgentRuntimeError(
          'TOOL_ERROR',
          `Tool ${input.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          { retryable: true, details: { name: input.name } },
        ),
      );
    } finally {
      stopHeartbeats();
    }
  }
}

/** The tool activities, to spread into what `createActivities` returns. */
export function createToolActivities(deps: ExecuteToolDeps): {
  executeTool: (input: ExecuteToolInput) => Promise<ExecuteToolOutput>;
} {
  return { executeTool: createExecuteTool(deps) };
}
