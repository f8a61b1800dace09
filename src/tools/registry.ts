// Sandbox-safe: tool definitions and a registry of them.
import { AgentRuntimeError } from '../core/errors';
import type { ToolSpec } from '../llm/types';

/** A tool's handler: receives the parsed arguments object. */
export type ToolHandler = (args: Record<string, unknown>) => unknown;

/** A tool the model may call. */
export interface Tool {
  /** Unique name the model calls it by. */
  name: string;
  /** What the tool does, for the model. */
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** The implementation; sync or async. */
  handler: ToolHandler;
  /** The tool changes the world (not retried unless idempotent). @default false */
  hasSideEffects?: boolean;
  /** A human must approve each call. @default false */
  requiresConfirmation?: boolean;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
}

/** Options of `ToolRegistry.register`. */
export interface RegisterToolOptions {
  /** Replace a tool already registered under the same name. @default false */
  replace?: boolean;
}

/** A set of tools by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  /** Adds a tool; a duplicate name is an error unless `replace` is set. */
  register(tool: Tool, options: RegisterToolOptions = {}): this {
    if (this.tools.has(tool.name) && !options.replace) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `A tool named "${tool.name}" is already registered.`,
      );
    }
    this.tools.set(tool.name, tool);
    return this;
  }

  /** The tool with this name, or `undefined`. */
  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  /** All tools, in registration order. */
  list(): Tool[] {
    return [...this.tools.values()];
  }

  /** The tools in the OpenAI function-tool format. */
  toOpenAIFormat(): ToolSpec[] {
    return this.list().map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }

  /** Runs a tool with arguments given as an object or a JSON string. */
  async execute(name: string, args: Record<string, unknown> | string): Promise<unknown> {
    const tool = this.tools.get(name);
    if (!tool) {
      throw new AgentRuntimeError('TOOL_NOT_FOUND', `Tool not found: ${name}`, {
        details: { name },
      });
    }
    let parsed: unknown = args;
    if (typeof args === 'string') {
      try {
        parsed = args.trim() === '' ? {} : JSON.parse(args);
      } catch (err) {
        throw new AgentRuntimeError(
          'TOOL_INVALID_ARGUMENTS',
          `Arguments of ${name} are not valid JSON: ${(err as Error).message}`,
          {
            details: { name },
          },
        );
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AgentRuntimeError(
        'TOOL_INVALID_ARGUMENTS',
        `Arguments of ${name} must be a JSON object.`,
        { details: { name } },
      );
    }
    return await tool.handler(parsed as Record<string, unknown>);
  }
}
