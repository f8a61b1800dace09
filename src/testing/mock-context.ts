// Sandbox-safe: an in-process RunContext and runner for unit tests of agents (no Temporal). Both are
// thin adapters over the run-context core (src/runtime/run-core.ts) that real runs use too, with
// the test's LLM client in place of the `invokeModel` activity and the wall clock for timestamps.
import { AgentRuntimeError } from '../core/errors';
import { EventType } from '../core/events';
import type { Message, RunEvent, RunResult, ToolCall, Usage } from '../core/types';
import { emptyUsage, toMessageToolCall } from '../core/types';
import type { LLMClient, LLMResponse } from '../core/llm-types';
import type { InvokeModelResult } from '../core/activity-contract';
import type { AgentRuntime } from '../runtime/agent';
import { setCurrentRunLLM, currentRunLLM } from '../runtime/current';
import {
  RunContextCore,
  RunEventLog,
  runErrorInfo,
  runStartedPayload,
  runSucceededPayload,
  type ModelCallRequest,
  type RunClock,
} from '../runtime/run-core';
import type { ToolRegistry } from '../tools/registry';
import { MockLLMClient, claimUnclaimedMock, markClaimed } from './mock-llm';

/** Options of `createTestContext`. */
export interface TestContextOptions {
  /** @default a random id */
  runId?: string;
  conversationId?: string;
  inputMessages?: Message[];
  /**
   * A conversation's stored history, as a run with `persistence: { conversations: true }` loads
   * it: `ctx.history` is this, and `ctx.inputMessages` becomes history + `inputMessages`.
   */
  history?: Message[];
  params?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  tools?: ToolRegistry;
  /**
   * The client the run's model calls go to (what the worker's `invokeModel` activity calls in a
   * real run). `ctx.llm` wraps it the way a run does: one `assistant.message` event per call,
   * usage added up, structured output validated in the run, a streamed call answered as one chunk.
   * @default an empty `MockLLMClient`
   */
  llm?: LLMClient;
}

/** A RunContext that keeps everything in memory and lets tests look inside. */
export class MockRunContext extends RunContextCore {
  private client: LLMClient;
  private pickUp: boolean;
  /**
   * The client the run's model calls go to: `TestContextOptions.llm`, or else the latest scripted
   * `MockLLMClient` created and not handed to a context (as the seed's Testing block does), or
   * else an empty `MockLLMClient`.
   */
  get modelClient(): LLMClient {
    if (this.pickUp) {
      const picked = claimUnclaimedMock();
      if (picked) {
        this.client = picked;
        this.pickUp = false;
      }
    }
    return this.client;
  }
  /** How many messages the run was started with (`run.started`'s `messageCount`). */
  readonly startMessageCount: number;

  constructor(options: TestContextOptions = {}) {
    const runId = options.runId ?? `test-run-${Math.random().toString(36).slice(2, 10)}`;
    markClaimed(options.llm);
    const client = options.llm ?? new MockLLMClient();
    const now: RunClock = () => Date.now();
    const input = options.inputMessages ?? [];
    super({
      runId,
      conversationId: options.conversationId,
      inputMessages: input,
      params: options.params,
      metadata: options.metadata,
      tools: options.tools,
      log: new RunEventLog(runId, now),
      io: {
        provider: client.provider,
        invokeModel: (request) => invokeInProcess(this.modelClient, request, now),
        modelCallError: asRunReportsIt,
        failedAttemptsUsage: billedUsageOf,
      },
    });
    this.client = client;
    this.pickUp = options.llm === undefined;
    this.startMessageCount = input.length;
    if (options.history) this.setHistory(options.history, input);
  }

  /** Events emitted so far, in order. */
  get events(): RunEvent[] {
    return this.log.events;
  }

  /** Every checkpoint saved, in order (the states of the `state.checkpoint` events). */
  get checkpoints(): Record<string, unknown>[] {
    return this.log.events
      .filter((e) => e.type === EventType.STATE_CHECKPOINT)
      .map((e) => e.payload.state as Record<string, unknown>);
  }

  /** Usage of the model calls made through `llm` (what the run's result reports). */
  get usage(): Usage {
    return this.totalUsage();
  }

  /** Marks the run cancelled (what a Temporal cancellation does in a real run). */
  cancel(): void {
    this.markCancelled();
  }

  /** Types of the events emitted so far. */
  eventTypes(): string[] {
    return this.log.events.map((e) => e.type);
  }
}

/** One model call on the test's client: what `invokeModel` does on a worker, minus retries. */
async function invokeInProcess(
  client: LLMClient,
  request: ModelCallRequest,
  now: RunClock,
): Promise<InvokeModelResult> {
  const started = now();
  const response = request.stream
    ? await collectStream(client, request)
    : await client.generate(request.messages, request.options);
  return { ...response, latencyMs: now() - started };
}

/** A streamed call's chunks as one answer, as the worker collects them. */
async function collectStream(client: LLMClient, request: ModelCallRequest): Promise<LLMResponse> {
  let content = '';
  let toolCalls: ToolCall[] = [];
  let finishReason = 'stop';
  let usage: Usage = emptyUsage();
  for await (const chunk of client.stream(request.messages, request.options)) {
    if (chunk.delta) content += chunk.delta;
    if (chunk.toolCalls) toolCalls = chunk.toolCalls;
    if (chunk.finishReason) finishReason = chunk.finishReason;
    if (chunk.usage) usage = chunk.usage;
  }
  const message: Message = {
    role: 'assistant',
    content: toolCalls.length && !content ? null : content,
  };
  if (toolCalls.length) {
    message.tool_calls = toolCalls.map(toMessageToolCall);
  }
  // Chunks do not name the model: the one asked for, else the client's default.
  const model = request.options.model ?? (client as { defaultModel?: string }).defaultModel ?? '';
  return { message, content, toolCalls, usage, model, finishReason };
}

/**
 * A failed model call as a run reports it: the typed error, no longer retryable (in a run the
 * retry policy has given up by then); an unclassified error is an `LLM_ERROR`.
 */
function asRunReportsIt(err: unknown): unknown {
  if (AgentRuntimeError.is(err)) {
    return new AgentRuntimeError(err.code, err.message, {
      details: err.details,
      retryable: false,
      cause: err,
    });
  }
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentRuntimeError('LLM_ERROR', `Model call failed: ${name}: ${message}`, {
    details: { errorName: name },
    retryable: false,
    cause: err,
  });
}

/** Tokens a failed call was billed for (`details.usage`, as provider clients report them). */
function billedUsageOf(err: unknown): Usage | undefined {
  return AgentRuntimeError.is(err) ? (err.details.usage as Usage | undefined) : undefined;
}

/** Creates a `MockRunContext`. */
export function createTestContext(options: TestContextOptions = {}): MockRunContext {
  return new MockRunContext(options);
}

/** Options of `runAgentTest`. */
export interface RunAgentTestOptions {
  /**
   * After the run, check that a scripted `MockLLMClient` (the context's `modelClient`) gave every
   * scripted response (`assertComplete()`), so a test cannot pass with a script the agent no
   * longer follows: `runAgentTest` then rejects. Not checked when the run failed (it stopped
   * early), nor for other clients.
   * @default true
   */
  assertComplete?: boolean;
}

/**
 * Runs an agent's `run` in-process, without Temporal, the way a real run would: `run.started`,
 * then `run.succeeded` or `run.failed` with the same payloads, the same result (usage totalled
 * over the model calls) and the same `ErrorInfo` (from the agent's `onError`); `getLLMClient()`
 * returns the context's client meanwhile. Resolves with the result (with `error` set if the agent
 * threw). Runs one at a time per process.
 */
export async function runAgentTest(
  agent: AgentRuntime,
  ctx: MockRunContext = createTestContext(),
  options: RunAgentTestOptions = {},
): Promise<RunResult> {
  const previous = currentRunLLM();
  setCurrentRunLLM(ctx.llm);
  let result: RunResult;
  try {
    await ctx.emit(
      EventType.RUN_STARTED,
      runStartedPayload({
        agentKey: agent.key,
        conversationId: ctx.conversationId,
        messageCount: ctx.startMessageCount,
        attempt: 1,
      }),
    );
    try {
      result = ctx.resultOf(await agent.run(ctx));
      await ctx.emit(EventType.RUN_SUCCEEDED, runSucceededPayload(result));
    } catch (err) {
      const error = await runErrorInfo(agent, ctx, err);
      await ctx.emit(EventType.RUN_FAILED, { error });
      // What the runner returns for a failed run: the partial result its failure carries.
      result = { ...ctx.partialResult(), error };
    }
  } finally {
    setCurrentRunLLM(previous);
  }
  // A failed run stops early by design, so answers left over are expected then.
  if (
    options.assertComplete !== false &&
    result.error === undefined &&
    ctx.modelClient instanceof MockLLMClient
  ) {
    ctx.modelClient.assertComplete();
  }
  return result;
}
