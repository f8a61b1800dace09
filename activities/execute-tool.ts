// Node side: the executeTool activity. One tool call: validated again against the worker's own
// tool definition, heartbeated, cancellable through the handler's AbortSignal, errors classified.
import { Context } from '@temporalio/activity';
import { AgentRuntimeError } from '../src/core/errors';
import {
  invokeHandler,
  parseToolArguments,
  toolResultContent,
  ToolRegistry,
} from '../src/tools/registry';
import type { AnyTool } from '../src/tools/tool';
import type {
  ExecuteToolInput,
  ExecuteToolOutput,
  ToolArgumentsRef,
} from '../src/core/activity-contract';
import type { JsonValue } from '../src/core/types';
import { contentHash, readTranscriptEntry } from '../src/transcripts/chain';
import { expandTranscriptId } from '../src/core/wire-ids';
import type { TranscriptStore } from '../src/transcripts/transcript-store';
import { logText } from './redact';
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
  /**
   * The workers' transcript store (the one `invokeModel` uses): tool calls read their arguments
   * from the stored model reply and store their results there for the next model call. Without
   * one, calls by reference fail `TRANSCRIPT_MISSING` and the run sends their arguments.
   */
  transcriptStore?: TranscriptStore;
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
      // Before the tool runs: a reply it cannot read costs only the resend of the arguments.
      const from = input.argumentsFrom
        ? {
            ...input.argumentsFrom,
            toolCallId: input.argumentsFrom.toolCallId ?? input.toolCallId,
            transcript: expandTranscriptId(
              input.argumentsFrom.transcript,
              ctx.info.workflowExecution,
            ),
          }
        : undefined;
      const raw = from
        ? await readArguments(deps.transcriptStore, from, input.name)
        : (input.arguments ?? {});
      // The workflow validated already; the worker's definition is the source of truth (and
      // applies zod transforms the JSON in history cannot carry).
      const { args } = parseToolArguments(tool, raw);
      const result = await invokeHandler(tool, args, {
        runId: input.runId ?? ctx.info.workflowExecution?.workflowId ?? '',
        toolCallId: input.toolCallId,
        idempotencyKey: input.idempotencyKey,
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
        heartbeat: (d?: unknown) => {
          details = d;
          // A local tool's call (`ToolOptions.local`) does not heartbeat.
          if (!ctx.info.isLocal) ctx.heartbeat(d);
        },
      });
      // Too large to return: a non-retryable PAYLOAD_TOO_LARGE, which the model sees as this
      // call's error (it can ask for less) instead of the tool running again.
      checkPayloadSize({ result }, `The result of tool ${input.name}`, payloadLimit(deps), {
        name: input.name,
      });
      const stored = await storeResult(deps.transcriptStore, from, input.resultKey, result);
      return { result, ...(stored ? { stored } : {}) };
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

/**
 * The arguments of call `ref.toolCallId`, read from the stored model reply (checked to be the
 * very reply the workflow meant by its chained hash). Throws `TRANSCRIPT_MISSING` otherwise.
 */
async function readArguments(
  store: TranscriptStore | undefined,
  ref: ToolArgumentsRef,
  name: string,
): Promise<Record<string, unknown> | string> {
  const missing = (reason: string, cause?: unknown) =>
    new AgentRuntimeError(
      'TRANSCRIPT_MISSING',
      `The model reply holding tool call ${ref.toolCallId} is not available on this worker (${reason}); the run sends the arguments again.`,
      {
        ...(cause !== undefined ? { cause } : {}),
        // `reference`: the workflow resends the arguments only for this failure, never for a
        // handler's own TRANSCRIPT_MISSING (the tool has not run here).
        details: {
          transcriptId: ref.transcript,
          position: ref.position,
          reason,
          reference: 'arguments',
        },
      },
    );
  if (!store) throw missing('no transcript store');
  let entry;
  try {
    entry = await readTranscriptEntry(store, ref.transcript, ref.position);
  } catch (err) {
    Context.current().log.warn('executeTool: reading the model reply failed', {
      transcriptId: ref.transcript,
      error: logText(err),
    });
    throw missing('the transcript store failed', err);
  }
  if (!entry) throw missing('not stored');
  if (entry.hash !== ref.hash) throw missing('the stored reply differs');
  const calls = entry.message.tool_calls?.filter((c) => c.id === ref.toolCallId) ?? [];
  const call = calls[0];
  if (calls.length !== 1 || !call) throw missing('the reply has no single call with that id');
  if (call.function.name !== name) throw missing(`the call there is of ${call.function.name}`);
  return call.function.arguments;
}

/**
 * Stores the content the model will be shown for `result` (`toolResultContent` of its JSON) in
 * the call's transcript under `resultKey`; returns its `contentHash`, or undefined when there is
 * nothing to store or the store failed (the workflow then sends the result with the next call).
 */
async function storeResult(
  store: TranscriptStore | undefined,
  from: ToolArgumentsRef | undefined,
  key: string | undefined,
  result: JsonValue,
): Promise<string | undefined> {
  if (!store || !from || !key) return undefined;
  // As the workflow will see it: decoded from JSON (a Date becomes its string, -0 becomes 0).
  const json = JSON.stringify(result);
  const content = toolResultContent(json === undefined ? null : (JSON.parse(json) as JsonValue));
  try {
    await store.putConstant(from.transcript, key, { content });
  } catch (err) {
    Context.current().log.warn('executeTool: storing the result failed', {
      transcriptId: from.transcript,
      error: logText(err),
    });
    return undefined;
  }
  return contentHash(content);
}

/** The tool activities, to spread into what `createActivities` returns. */
export function createToolActivities(deps: ExecuteToolDeps): {
  executeTool: (input: ExecuteToolInput) => Promise<ExecuteToolOutput>;
} {
  return { executeTool: createExecuteTool(deps) };
}
