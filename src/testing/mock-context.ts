// Sandbox-safe: an in-process RunContext and runner for unit tests of agents (no Temporal).
import { toErrorInfo } from '../core/errors';
import { EventType } from '../core/events';
import { jsonCopy } from '../core/json';
import type { Message, RunEvent, RunResult } from '../core/types';
import { addUsage, emptyUsage, toRunResult } from '../core/types';
import type { GenerateOptions, LLMClient, LLMResponse, LLMStreamChunk } from '../core/llm-types';
import type { AgentRuntime } from '../runtime/agent';
import type { RunContext } from '../runtime/context';
import { setCurrentRunLLM, currentRunLLM } from '../runtime/current';
import { ToolRegistry } from '../tools/registry';
import { MockLLMClient } from './mock-llm';

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
  /** The LLM client of the run. @default an empty `MockLLMClient` */
  llm?: LLMClient;
}

/** A RunContext that keeps everything in memory and lets tests look inside. */
export class MockRunContext implements RunContext {
  readonly runId: string;
  readonly conversationId: string | undefined;
  readonly inputMessages: readonly Message[];
  readonly history: readonly Message[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly tools: ToolRegistry;
  readonly llm: LLMClient;
  /** Events emitted so far, in order. */
  readonly events: RunEvent[] = [];
  /** Every checkpoint saved, in order. */
  readonly checkpoints: Record<string, unknown>[] = [];
  /** Usage of the model calls made through `llm`. */
  usage = emptyUsage();
  private cancelled = false;

  constructor(options: TestContextOptions = {}) {
    this.runId = options.runId ?? `test-run-${Math.random().toString(36).slice(2, 10)}`;
    this.conversationId = options.conversationId;
    this.history = [...(options.history ?? [])];
    this.inputMessages = [...this.history, ...(options.inputMessages ?? [])];
    this.params = { ...(options.params ?? {}) };
    this.metadata = { ...(options.metadata ?? {}) };
    this.tools = options.tools ?? new ToolRegistry();
    this.llm = new UsageCountingClient(options.llm ?? new MockLLMClient(), this);
  }

  async emit(type: string, payload: Record<string, unknown> = {}): Promise<void> {
    this.events.push({
      seq: this.events.length + 1,
      runId: this.runId,
      type,
      payload,
      timestamp: new Date().toISOString(),
    });
  }

  async checkpoint(state: Record<string, unknown>): Promise<void> {
    const copy = jsonCopy(state);
    this.checkpoints.push(copy);
    await this.emit(EventType.STATE_CHECKPOINT, { state: copy });
  }

  async getState<T extends Record<string, unknown>>(): Promise<T | null> {
    return (this.checkpoints.at(-1) as T | undefined) ?? null;
  }

  isCancelled(): boolean {
    return this.cancelled;
  }

  /** Marks the run cancelled (what a Temporal cancellation does in a real run). */
  cancel(): void {
    this.cancelled = true;
  }

  /** Types of the events emitted so far. */
  eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }
}

class UsageCountingClient implements LLMClient {
  readonly provider: string;
  constructor(
    readonly inner: LLMClient,
    private readonly ctx: MockRunContext,
  ) {
    this.provider = inner.provider;
  }
  private turn = 0;
  // Like a real run, every model call appends `assistant.message` with the call's usage.
  async generate(messages: readonly Message[], options?: GenerateOptions): Promise<LLMResponse> {
    const turn = ++this.turn;
    const started = Date.now();
    const r = await this.inner.generate(messages, options);
    this.ctx.usage = addUsage(this.ctx.usage, r.usage);
    await this.ctx.emit(EventType.ASSISTANT_MESSAGE, {
      turn,
      model: r.model,
      finishReason: r.finishReason,
      content: r.content,
      toolCalls: r.toolCalls,
      usage: r.usage,
      latencyMs: Date.now() - started,
    });
    return r;
  }
  async *stream(
    messages: readonly Message[],
    options?: GenerateOptions,
  ): AsyncIterable<LLMStreamChunk> {
    const turn = ++this.turn;
    const started = Date.now();
    let content = '';
    let last: LLMStreamChunk | undefined;
    for await (const chunk of this.inner.stream(messages, options)) {
      if (chunk.usage) this.ctx.usage = addUsage(this.ctx.usage, chunk.usage);
      content += chunk.delta;
      last = chunk;
      yield chunk;
    }
    await this.ctx.emit(EventType.ASSISTANT_MESSAGE, {
      turn,
      model: options?.model ?? '',
      finishReason: last?.finishReason ?? 'stop',
      content,
      toolCalls: last?.toolCalls ?? [],
      usage: last?.usage ?? emptyUsage(),
      latencyMs: Date.now() - started,
    });
  }
}

/** Creates a `MockRunContext`. */
export function createTestContext(options: TestContextOptions = {}): MockRunContext {
  return new MockRunContext(options);
}

/**
 * Runs an agent's `run` in-process, without Temporal, the way a real run would: `run.started`,
 * then `run.succeeded` or `run.failed`; `getLLMClient()` returns the context's client meanwhile.
 * Resolves with the result (with `error` set if the agent threw). Runs one at a time per process.
 */
export async function runAgentTest(
  agent: AgentRuntime,
  ctx: MockRunContext = createTestContext(),
): Promise<RunResult> {
  const previous = currentRunLLM();
  setCurrentRunLLM(ctx.llm);
  await ctx.emit(EventType.RUN_STARTED, { agentKey: agent.key });
  try {
    const result = toRunResult(await agent.run(ctx));
    if (ctx.usage.totalTokens > 0) result.usage = { ...ctx.usage };
    await ctx.emit(EventType.RUN_SUCCEEDED, {
      finalOutput: result.finalOutput,
      usage: result.usage,
    });
    return result;
  } catch (err) {
    const error = (await agent.onError(ctx, err)) ?? toErrorInfo(err);
    await ctx.emit(EventType.RUN_FAILED, { error });
    return toRunResult({ error, usage: ctx.usage });
  } finally {
    setCurrentRunLLM(previous);
  }
}
