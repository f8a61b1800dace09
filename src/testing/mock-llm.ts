// Sandbox-safe: a scripted LLM client for unit tests of agents. Like a scripted model should, it
// complains: a call with no scripted answer left throws, and `assertComplete()` throws while
// scripted answers are left, so a test cannot pass with a script the agent no longer follows.
import { AgentRuntimeError } from '../core/errors';
import { jsonCopy } from '../core/json';
import type { Message, ToolCall, Usage } from '../core/types';
import { fromMessageToolCall } from '../core/types';
import type { GenerateOptions, LLMClient, LLMResponse, LLMStreamChunk } from '../core/llm-types';

/** One scripted answer: an assistant message, or a complete response. */
export type MockResponse = Message | (Partial<LLMResponse> & { message: Message });

/** Computes the answer to a call. */
export type MockResponder = (
  messages: readonly Message[],
  options: GenerateOptions,
) => MockResponse | Promise<MockResponse>;

/** A call the mock received. */
export interface MockLLMCall {
  messages: Message[];
  options: GenerateOptions;
}

/** Options of `MockLLMClient`. */
export interface MockLLMClientOptions {
  /** Answers given in order, one per call. */
  responses?: MockResponse[];
  /** Computes answers (used once `responses` run out). */
  respond?: MockResponder;
  /**
   * Usage reported by each call whose response does not give its own.
   * @default estimated from the content: about one token per 4 characters of the messages sent
   *   (prompt) and of the answer (completion), as `estimateUsage` computes
   */
  usage?: Usage;
}

/** A rough token count of a call: one token per 4 characters (at least 1 for non-empty text). */
export function estimateUsage(messages: readonly Message[], answer: string): Usage {
  const tokens = (text: string) =>
    text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
  const prompt = messages.reduce(
    (n, m) =>
      n + tokens(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')),
    0,
  );
  const completion = tokens(answer);
  return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
}

let unclaimed: MockLLMClient | undefined;

/**
 * @internal The latest scripted `MockLLMClient` no test context has taken yet (the seed's Testing
 * block creates its mock after the context and hands it to nothing), taken once.
 */
export function claimUnclaimedMock(): MockLLMClient | undefined {
  const m = unclaimed;
  unclaimed = undefined;
  return m;
}

/** @internal Marks a mock as handed to a context explicitly. */
export function markClaimed(client: unknown): void {
  if (client === unclaimed) unclaimed = undefined;
}

/** A scripted `LLMClient` that records the calls it receives. */
export class MockLLMClient implements LLMClient {
  readonly provider = 'mock';
  /** Every call, in order. */
  readonly calls: MockLLMCall[] = [];
  private readonly queue: MockResponse[];
  private readonly respond: MockResponder | undefined;
  private readonly usage: Usage | undefined;
  private unexpected = 0;

  constructor(options: MockLLMClientOptions | MockResponse[] = {}) {
    const o = Array.isArray(options) ? { responses: options } : options;
    this.queue = [...(o.responses ?? [])];
    this.respond = o.respond;
    this.usage = o.usage;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the seed picks the latest mock up
    if (this.queue.length > 0 || this.respond) unclaimed = this;
  }

  /** How many scripted `responses` have not been given yet. */
  get remaining(): number {
    return this.queue.length;
  }

  /**
   * Throws unless every scripted response was given (a `respond` function is not a script: it
   * may answer any number of calls). `runAgentTest` calls this after the run.
   */
  assertComplete(): void {
    // A failed expectation of the test, not a runtime error: a plain Error, as assertions throw.
    if (this.unexpected > 0) {
      throw new Error(
        `MockLLMClient: ${this.unexpected} unexpected call(s) with no scripted response left ` +
          `(${this.calls.length} call(s) in all)`,
      );
    }
    if (this.queue.length === 0) return;
    throw new Error(
      `MockLLMClient: ${this.queue.length} scripted response(s) not used after ${this.calls.length} call(s)`,
    );
  }

  async generate(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): Promise<LLMResponse> {
    this.calls.push({ messages: jsonCopy([...messages]), options: { ...options } });
    const next =
      this.queue.shift() ?? (this.respond ? await this.respond(messages, options) : undefined);
    if (!next) {
      // Counted, so assertComplete() fails even if the agent caught this error.
      this.unexpected += 1;
      throw new AgentRuntimeError(
        'LLM_ERROR',
        `MockLLMClient: no scripted response left for call ${this.calls.length}`,
      );
    }
    return this.toResponse(next, options, messages);
  }

  async *stream(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): AsyncIterable<LLMStreamChunk> {
    const r = await this.generate(messages, options);
    for (const word of r.content.match(/\S+\s*/g) ?? []) yield { delta: word };
    yield {
      delta: '',
      ...(r.toolCalls.length ? { toolCalls: r.toolCalls } : {}),
      finishReason: r.finishReason,
      usage: r.usage,
    };
  }

  private toResponse(
    next: MockResponse,
    options: GenerateOptions,
    messages: readonly Message[],
  ): LLMResponse {
    const full = 'message' in next ? next : { message: next };
    const message = full.message;
    const toolCalls: ToolCall[] =
      full.toolCalls ?? (message.tool_calls ?? []).map(fromMessageToolCall);
    const content = full.content ?? (typeof message.content === 'string' ? message.content : '');
    return {
      message,
      content,
      toolCalls,
      usage: full.usage ?? (this.usage ? { ...this.usage } : estimateUsage(messages, content)),
      model: full.model ?? options.model ?? 'mock-model',
      finishReason: full.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop'),
    };
  }
}
