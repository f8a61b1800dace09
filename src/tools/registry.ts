// Sandbox-safe: a registry of tools. Inside a run its `execute` hands each call to the run, which
// makes it one `executeTool` activity; outside a run (worker side, unit tests) it calls handlers.
import { AgentRuntimeError, type ErrorCode } from '../core/errors';
import { EventType } from '../core/events';
import type { JsonValue, Message, ToolCall } from '../core/types';
import type { ToolSpec } from '../core/llm-types';
import { currentToolExecutor } from './executor';
import {
  validateToolDeclaration,
  type Tool,
  type ToolDeclaration,
  type ToolExecutionContext,
  type ToolHandler,
} from './tool';

export { Tool } from './tool';
export type { ToolHandler } from './tool';

/** Options of `ToolRegistry.register`. */
export interface RegisterToolOptions {
  /** Replace a tool already registered under the same name. @default false */
  replace?: boolean;
}

/** A tool in Anthropic's Messages API format. */
export interface AnthropicToolSpec {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

/** A human's decision on a tool call (see `RunHandle.approveToolCall`). */
export interface ToolApprovalDecision {
  /** Run the call. */
  approved: boolean;
  /** Why (shown to the model on rejection). */
  reason?: string;
}

/** Options of a `ToolRegistry`. */
export interface ToolRegistryOptions {
  /**
   * Outside a run only: decides calls of `requiresConfirmation` tools. Without it such calls are
   * rejected outside a run (inside a run a human decides through `RunHandle.approveToolCall`).
   */
  approve?: (request: {
    toolCallId: string;
    name: string;
    arguments: Record<string, unknown>;
  }) => ToolApprovalDecision | Promise<ToolApprovalDecision>;
}

/** Options of `ToolRegistry.execute`. */
export interface ExecuteToolOptions {
  /** The model's tool-call id (part of the idempotency key). */
  toolCallId?: string;
}

/** What a tool call came to: a result, or an error the model is shown. */
export interface ToolCallOutcome {
  /** The call, as the model made it. */
  toolCall: ToolCall;
  /** Whether the call failed (invalid arguments, unknown tool, handler error, rejection…). */
  isError: boolean;
  /** The tool's result (JSON), when it succeeded. */
  result?: JsonValue;
  /** The error message, when it failed. */
  error?: string;
  /** The error code, when it failed (`TOOL_INVALID_ARGUMENTS`, `TOOL_ERROR`, …). */
  errorCode?: string;
  /** The `tool` message to append to the conversation. */
  message: Message;
}

/** Hooks of `executeWithEvents`. */
export interface ExecuteWithEventsOptions {
  /** Called with the validated arguments before the tool runs. */
  onToolCall?: (name: string, args: Record<string, unknown>) => void | Promise<void>;
  /** Called with the result; its return value replaces the result. */
  onToolResult?: (name: string, result: JsonValue) => unknown;
}

/** Codes a failed tool call reports to the model instead of failing the run. */
const OUTCOME_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'TOOL_NOT_FOUND',
  'TOOL_INVALID_ARGUMENTS',
  'TOOL_ERROR',
  'TOOL_TIMEOUT',
  'TOOL_APPROVAL_REJECTED',
  // A result too large to return: the model can ask for less.
  'PAYLOAD_TOO_LARGE',
]);

/** Whether an error is a tool-call failure the model should be shown (rather than a run failure). */
export function isToolCallError(err: unknown): err is AgentRuntimeError {
  return AgentRuntimeError.is(err) && OUTCOME_CODES.has(err.code);
}

/**
 * Parses and validates a tool call's arguments (an object or the model's JSON string).
 * Returns the parsed JSON (`raw`, what goes into history) and the schema's output (`args`, what
 * the handler gets). Throws `TOOL_INVALID_ARGUMENTS` with the validation message.
 */
export function parseToolArguments(
  tool: ToolDeclaration,
  input: unknown,
): { raw: Record<string, unknown>; args: Record<string, unknown> } {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = input.trim() === '' ? {} : JSON.parse(input);
    } catch (err) {
      throw new AgentRuntimeError(
        'TOOL_INVALID_ARGUMENTS',
        `Arguments of ${tool.name} are not valid JSON: ${(err as Error).message}`,
        { details: { name: tool.name } },
      );
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AgentRuntimeError(
      'TOOL_INVALID_ARGUMENTS',
      `Arguments of ${tool.name} must be a JSON object.`,
      { details: { name: tool.name } },
    );
  }
  const raw = parsed as Record<string, unknown>;
  if (!tool.schema) return { raw, args: raw };
  const result = tool.schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map(
      (i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`,
    );
    throw new AgentRuntimeError(
      'TOOL_INVALID_ARGUMENTS',
      `Arguments of ${tool.name} failed validation: ${issues.join('; ')}`,
      { details: { name: tool.name, issues } },
    );
  }
  return { raw, args: result.data as Record<string, unknown> };
}

/**
 * A tool's return value as JSON (`undefined` becomes `null`). Throws `TOOL_ERROR` for a value
 * JSON cannot carry (a cycle, a BigInt).
 */
export function toJsonResult(name: string, value: unknown): JsonValue {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as JsonValue);
  } catch (err) {
    throw new AgentRuntimeError(
      'TOOL_ERROR',
      `The result of ${name} is not JSON-serializable: ${(err as Error).message}`,
      { details: { name } },
    );
  }
}

/** The text a tool message carries: strings as they are, anything else as JSON. */
export function toolResultContent(result: unknown): string {
  return typeof result === 'string' ? result : JSON.stringify(result ?? null);
}

/** A set of tools by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDeclaration | Tool>();
  private localCalls = 0;

  constructor(
    tools: readonly (ToolDeclaration | Tool)[] = [],
    private readonly options: ToolRegistryOptions = {},
  ) {
    for (const t of tools) this.register(t);
  }

  /** A registry of `tools` (a registry is returned as it is). */
  static from(tools: ToolRegistry | readonly (ToolDeclaration | Tool)[]): ToolRegistry {
    return tools instanceof ToolRegistry ? tools : new ToolRegistry(tools);
  }

  /** Adds a tool (or a spec-only declaration); a duplicate name is an error unless `replace` is set. */
  register(tool: ToolDeclaration | Tool, options: RegisterToolOptions = {}): this {
    validateToolDeclaration(tool);
    if (this.tools.has(tool.name) && !options.replace) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `A tool named "${tool.name}" is already registered.`,
        { details: { name: tool.name } },
      );
    }
    this.tools.set(tool.name, tool);
    return this;
  }

  /** The tool with this name, or `undefined`. */
  get(name: string): ToolDeclaration | Tool | undefined {
    return this.tools.get(name);
  }

  /** All tools, in registration order. */
  list(): (ToolDeclaration | Tool)[] {
    return [...this.tools.values()];
  }

  /** The tools in the OpenAI function-tool format. */
  toOpenAIFormat(): ToolSpec[] {
    return this.list().map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }

  /** The tools in Anthropic's Messages API format (`name`, `description`, `input_schema`). */
  toAnthropicFormat(): AnthropicToolSpec[] {
    return this.list().map((t) => ({
      name: t.name,
      description: t.description,
      input_schema: t.parameters,
    }));
  }

  /**
   * Runs a tool with arguments given as an object or a JSON string, validated with its schema.
   * Inside a run the call is one durable `executeTool` activity (after human approval for a
   * `requiresConfirmation` tool); outside a run the handler is called here.
   * @throws AgentRuntimeError `TOOL_NOT_FOUND`, `TOOL_INVALID_ARGUMENTS`, `TOOL_ERROR`,
   *   `TOOL_TIMEOUT` or `TOOL_APPROVAL_REJECTED`
   */
  async execute(
    name: string,
    args: Record<string, unknown> | string,
    options: ExecuteToolOptions = {},
  ): Promise<JsonValue> {
    const tool = this.require(name);
    const { raw, args: parsed } = parseToolArguments(tool, args);
    return this.run(tool, raw, parsed, options.toolCallId);
  }

  /**
   * Runs one model tool call (a `ToolCall`, as in `LLMResponse.toolCalls`; convert a message's
   * `tool_calls` entry with `fromMessageToolCall`) and records it: emits `tool.call`
   * `{ toolCall }`, then `tool.result` `{ toolCallId, name, result }` or
   * `{ toolCallId, name, error, isError: true, errorCode? }`. A tool failure (bad JSON, schema
   * violation, unknown tool, handler error, timeout, rejection) does not throw: it comes back as
   * an error outcome whose `message` tells the model what went wrong. Cancellation of the run
   * still throws.
   */
  async executeWithEvents(
    toolCall: ToolCall,
    ctx: { emit(type: string, payload?: Record<string, unknown>): Promise<void> },
    options: ExecuteWithEventsOptions = {},
  ): Promise<ToolCallOutcome> {
    const { id: toolCallId, name } = toolCall;
    // Exactly the three fields (a caller's object may carry more).
    await ctx.emit(EventType.TOOL_CALL, {
      toolCall: { id: toolCallId, name, arguments: toolCall.arguments },
    });
    try {
      const tool = this.require(name);
      const { raw, args } = parseToolArguments(tool, toolCall.arguments);
      await options.onToolCall?.(name, args);
      let result = await this.run(tool, raw, args, toolCallId);
      if (options.onToolResult)
        result = toJsonResult(name, await options.onToolResult(name, result));
      await ctx.emit(EventType.TOOL_RESULT, { toolCallId, name, result });
      return {
        toolCall,
        isError: false,
        result,
        message: { role: 'tool', tool_call_id: toolCallId, content: toolResultContent(result) },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const errorCode = AgentRuntimeError.is(err) ? err.code : undefined;
      await ctx.emit(EventType.TOOL_RESULT, {
        toolCallId,
        name,
        error: message,
        isError: true,
        ...(errorCode ? { errorCode } : {}),
      });
      if (!isToolCallError(err)) throw err;
      return {
        toolCall,
        isError: true,
        error: message,
        errorCode: err.code,
        message: { role: 'tool', tool_call_id: toolCallId, content: `Error: ${message}` },
      };
    }
  }

  private require(name: string): ToolDeclaration | Tool {
    const tool = this.tools.get(name);
    if (!tool) {
      const known = [...this.tools.keys()];
      throw new AgentRuntimeError(
        'TOOL_NOT_FOUND',
        `Tool not found: ${name}. Available tools: ${known.length ? known.join(', ') : '(none)'}`,
        { details: { name } },
      );
    }
    return tool;
  }

  private async run(
    tool: ToolDeclaration | Tool,
    raw: Record<string, unknown>,
    args: Record<string, unknown>,
    toolCallId: string | undefined,
  ): Promise<JsonValue> {
    const executor = currentToolExecutor();
    if (executor) {
      return executor.execute({
        tool,
        arguments: raw,
        ...(toolCallId !== undefined ? { toolCallId } : {}),
      });
    }
    const id = toolCallId ?? `exec-${++this.localCalls}`;
    if (tool.requiresConfirmation) {
      const decision = this.options.approve
        ? await this.options.approve({ toolCallId: id, name: tool.name, arguments: raw })
        : { approved: false, reason: 'no approver is configured outside a run' };
      if (!decision.approved) {
        throw new AgentRuntimeError(
          'TOOL_APPROVAL_REJECTED',
          `The call of ${tool.name} was rejected${decision.reason ? `: ${decision.reason}` : ''}`,
          { details: { name: tool.name, toolCallId: id } },
        );
      }
    }
    return invokeHandler(tool, args, localContext(id));
  }
}

/**
 * Calls a tool's handler and normalises what comes out: the result as JSON; a throw as an
 * `AgentRuntimeError` (`TOOL_ERROR` unless the handler threw one itself). Used in-process and by
 * the `executeTool` activity.
 */
export async function invokeHandler(
  tool: ToolDeclaration | Tool,
  args: Record<string, unknown>,
  ctx: ToolExecutionContext,
): Promise<JsonValue> {
  const handler: ToolHandler | undefined = (tool as Partial<Tool>).handler;
  if (typeof handler !== 'function') {
    throw new AgentRuntimeError(
      'TOOL_NOT_FOUND',
      `Tool ${tool.name} is declared but has no handler here (implement it on the worker).`,
      { details: { name: tool.name } },
    );
  }
  let value: unknown;
  try {
    value = await handler(args, ctx);
  } catch (err) {
    if (AgentRuntimeError.is(err)) throw err;
    throw new AgentRuntimeError(
      'TOOL_ERROR',
      `Tool ${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      { details: { name: tool.name }, cause: err, retryable: true },
    );
  }
  return toJsonResult(tool.name, value);
}

function localContext(toolCallId: string): ToolExecutionContext {
  return {
    runId: 'local',
    toolCallId,
    idempotencyKey: `local:${toolCallId}`,
    attempt: 1,
    signal: new AbortController().signal,
    heartbeat: () => undefined,
  };
}
