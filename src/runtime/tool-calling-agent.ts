// Sandbox-safe: the tool-calling agent. A model/tool loop: call the model with the tools, run the
// tool calls it asks for (concurrently, each one durable activity inside a run), feed the results
// back, until the model answers without calling a tool.
import { AgentRuntimeError } from '../core/errors';
import type { JsonValue, Message, RunResultInit, ToolCall, Usage } from '../core/types';
import { addUsage, emptyUsage, toMessageToolCall } from '../core/types';
import type { GenerateOptions, LLMResponse } from '../core/llm-types';
import { ToolRegistry } from '../tools/registry';
import type { Tool, ToolDeclaration } from '../tools/tool';
import { AgentRuntime } from './agent';
import type { RunContext } from './context';

/**
 * An agent that runs the tool-calling loop for you: subclass it with a `key`, a `systemPrompt`
 * and its `tools`. Each model turn is one `invokeModel` activity; each tool call one
 * `executeTool` activity; calls from one turn run concurrently and their results go back to the
 * model in the order it made them. Bad model output (invalid JSON, arguments failing the schema,
 * an unknown tool) and failing tools are shown to the model as error tool messages and the loop
 * goes on. The result's `finalOutput` is `{ response }` (the last answer's text),
 * `finalMessages` the whole conversation (system prompt first, last assistant message last),
 * `usage` the total of every model call. Running out of `maxIterations` fails the run with
 * `MAX_ITERATIONS_EXCEEDED`.
 *
 * `tools` may list full tools (`defineTool`) or spec-only declarations (`defineToolSpec`): the
 * agent needs only their specs; handlers run on the worker (`createActivities({ tools })`).
 */
export abstract class ToolCallingAgent extends AgentRuntime {
  /** The system prompt, sent first on every model call. */
  abstract get systemPrompt(): string;

  /** The tools the model may call. */
  abstract get tools(): ToolRegistry | readonly (ToolDeclaration | Tool)[];

  /** Most model calls per run. @default 10 */
  get maxIterations(): number {
    return 10;
  }

  /** Model name. @default the worker client's default model */
  get model(): string | undefined {
    return undefined;
  }

  /** Sampling temperature. @default the provider's default */
  get temperature(): number | undefined {
    return undefined;
  }

  /**
   * Stream each model call (`ctx.llm.stream`) instead of `generate`: inside a run the call is
   * still one `invokeModel` activity, and with an event bus on the worker and the runner its
   * tokens reach `RunHandle.events()` live as `assistant.delta` events. @default false
   */
  get streaming(): boolean {
    return false;
  }

  /** Called before the first model call. @default does nothing */
  async beforeRun(_ctx: RunContext): Promise<void> {}

  /** Called with the result before the run returns it; return the (possibly changed) result. */
  async afterRun(_ctx: RunContext, result: RunResultInit): Promise<RunResultInit> {
    return result;
  }

  /** Called with the validated arguments before each tool call runs. @default does nothing */
  async onToolCall(
    _ctx: RunContext,
    _name: string,
    _args: Record<string, unknown>,
  ): Promise<void> {}

  /** Called with each tool result; the return value is what the model sees. @default the result */
  async onToolResult(_ctx: RunContext, _name: string, result: JsonValue): Promise<unknown> {
    return result;
  }

  async run(ctx: RunContext): Promise<RunResultInit> {
    const maxIterations = this.maxIterations;
    if (!Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        `${this.key}: maxIterations must be an integer >= 1, got ${String(maxIterations)}`,
      );
    }
    // A continued execution (continue-as-new) picks the loop up where the previous one left it.
    const resumed = ctx.executions > 0 ? loopStateOf(await ctx.getState()) : undefined;
    const carried = resumed ? ctx.carriedMessages(TOOL_LOOP_KEY) : null;
    if (!resumed || !carried) await this.beforeRun(ctx);
    const registry = ToolRegistry.from(this.tools);
    const specs = registry.toOpenAIFormat();
    const options: GenerateOptions = {};
    if (specs.length) options.tools = specs;
    if (this.model !== undefined) options.model = this.model;
    if (this.temperature !== undefined) options.temperature = this.temperature;

    let messages: Message[];
    let usage: Usage = emptyUsage();
    let first = 0;
    if (resumed && carried) {
      messages = carried;
      usage = resumed.usage;
      first = resumed.iteration;
    } else {
      messages = [{ role: 'system', content: this.systemPrompt }];
      messages.push(...ctx.inputMessages);
    }

    for (let i = first; i < maxIterations; i++) {
      // A safe point (no model or tool call running): continue as new when the run should. The
      // conversation goes by reference; the next execution resumes at iteration `i`.
      if (i > first && ctx.shouldContinueAsNew()) {
        const state = (await ctx.getState()) ?? {};
        await ctx.continueAsNew(
          { ...state, [TOOL_LOOP_KEY]: { iteration: i, usage: { ...usage } } },
          { messages: { [TOOL_LOOP_KEY]: messages } },
        );
      }
      const response = this.streaming
        ? await streamResponse(ctx, messages, options)
        : await ctx.llm.generate(messages, options);
      usage = addUsage(usage, response.usage);
      messages.push(response.message);
      if (response.toolCalls.length === 0) {
        return this.afterRun(ctx, {
          finalOutput: { response: response.content },
          finalMessages: messages,
          usage,
        });
      }
      // Concurrent: Promise.all keeps the model's order for the results.
      const outcomes = await Promise.all(
        response.toolCalls.map((call) =>
          registry.executeWithEvents(call, ctx, {
            onToolCall: (name, args) => this.onToolCall(ctx, name, args),
            onToolResult: (name, result) => this.onToolResult(ctx, name, result),
          }),
        ),
      );
      for (const outcome of outcomes) messages.push(outcome.message);
    }
    throw new AgentRuntimeError(
      'MAX_ITERATIONS_EXCEEDED',
      `${this.key} made ${maxIterations} model calls without a final answer (maxIterations = ${maxIterations}).`,
      { details: { maxIterations, usage: { ...usage } } },
    );
  }
}

/** Key of the tool loop's own state in the run's checkpoint (and of its carried conversation). */
const TOOL_LOOP_KEY = '_tool_calling_loop';

/** The tool loop's state in a checkpoint carried across continue-as-new, if there is one. */
function loopStateOf(
  state: Record<string, unknown> | null,
): { iteration: number; usage: Usage } | undefined {
  const s = state?.[TOOL_LOOP_KEY] as { iteration?: unknown; usage?: unknown } | undefined;
  if (!s || typeof s.iteration !== 'number' || typeof s.usage !== 'object' || !s.usage) {
    return undefined;
  }
  return { iteration: s.iteration, usage: { ...(s.usage as Usage) } };
}

/** One streamed model call assembled into the parts of a response the loop uses. */
async function streamResponse(
  ctx: RunContext,
  messages: readonly Message[],
  options: GenerateOptions,
): Promise<Pick<LLMResponse, 'message' | 'content' | 'toolCalls' | 'usage'>> {
  let content = '';
  let toolCalls: ToolCall[] = [];
  let usage: Usage = emptyUsage();
  for await (const chunk of ctx.llm.stream(messages, options)) {
    content += chunk.delta;
    if (chunk.toolCalls) toolCalls = chunk.toolCalls;
    if (chunk.usage) usage = chunk.usage;
  }
  const message: Message = {
    role: 'assistant',
    content: toolCalls.length && !content ? null : content,
  };
  if (toolCalls.length) message.tool_calls = toolCalls.map(toMessageToolCall);
  return { message, content, toolCalls, usage };
}
