// Sandbox-safe: tool definitions. A tool is defined ONCE (name, description, zod schema, options)
// and used on both sides: workflow code reads only its spec (name, description, JSON Schema,
// options); the worker calls its handler inside the `executeTool` activity.
import { z } from 'zod';
import {
  checkRetryPolicy,
  optionalDurationMs,
  rejectRenamedOptions,
  type Duration,
  type RetryPolicy,
} from '../core/durations';
import { AgentRuntimeError } from '../core/errors';

/** What a tool's handler is told about the call it serves (worker side, inside `executeTool`). */
export interface ToolExecutionContext {
  /** The run making the call (`'local'` outside a run). */
  readonly runId: string;
  /** The model's tool-call id (a generated `exec-N` for a direct `ToolRegistry.execute`). */
  readonly toolCallId: string;
  /**
   * `runId:executionChainId:toolCallId` (the chain id is the Temporal run id of the run's first
   * execution): the same on every retry of this call and after a worker restart, different for
   * every other call, including the calls of a later execution that reuses the run id. A
   * side-effecting tool that dedupes on it performs its effect once.
   */
  readonly idempotencyKey: string;
  /** Which try of this call this is: 1, then 2, … on retries. */
  readonly attempt: number;
  /** Aborted when the run is cancelled (it reaches the worker through activity heartbeats). */
  readonly signal: AbortSignal;
  /** Records progress (activity heartbeat details). Heartbeats are also sent automatically. */
  heartbeat(details?: unknown): void;
}

/** A tool's handler: receives the validated arguments object; sync or async. */
export type ToolHandler<Args = Record<string, unknown>> = (
  args: Args,
  ctx: ToolExecutionContext,
) => unknown;

/** The retry policy of a tool's calls when it sets none (see `ToolOptions.retry`). */
export const DEFAULT_TOOL_RETRY = {
  maximumAttempts: 3,
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
} as const satisfies RetryPolicy;

/** How a tool runs inside a run: side effects, retries, timeouts, approval. */
export interface ToolOptions {
  /**
   * The tool changes the world (sends, writes, charges). Such a call is not retried, so a worker
   * crash cannot repeat it, unless the tool is also `idempotent`. @default false
   */
  hasSideEffects?: boolean;
  /**
   * Running the call twice with the same `ctx.idempotencyKey` has the effect of running it once
   * (the handler dedupes on the key). Lets a side-effecting tool be retried. @default false
   */
  idempotent?: boolean;
  /**
   * A human must approve each call (`RunHandle.approveToolCall`) before it runs; the run waits
   * durably and emits `tool.approval_requested`. @default false
   */
  requiresConfirmation?: boolean;
  /**
   * How long a call waits for approval before it is rejected (a duration: `'4m'`, `'2h'`, or
   * milliseconds). The run's own timeout (`RunnerConfig.runTimeout`, default '300s') still
   * applies and ends the whole run: keep this below it.
   * @default '240s'
   */
  approvalTimeout?: Duration;
  /**
   * Longest one attempt of the call may take (activity start-to-close timeout).
   * @default '60s' ('10s' for a `local` tool)
   */
  startToCloseTimeout?: Duration;
  /**
   * An attempt whose worker stops heartbeating this long is considered lost (and retried only if
   * retries are allowed; heartbeats are sent automatically). @default '30s'
   */
  heartbeatTimeout?: Duration;
  /**
   * Retry policy of the call's `executeTool` activity, merged field by field over the default.
   * `maximumAttempts` counts every attempt; side-effecting tools that are not idempotent are
   * always tried once. @default `DEFAULT_TOOL_RETRY`: `{ maximumAttempts: 3, initialInterval:
   *   '1s', backoffCoefficient: 2, maximumInterval: '30s' }`
   */
  retry?: RetryPolicy;
  /**
   * Run each call as a Temporal local activity, inside the workflow task of the run's worker,
   * instead of an `executeTool` activity on the task queue. For quick calls (well under the
   * workflow task timeout of 10 s): the run's history records only the call's result (one marker
   * event), not an activity's scheduled, started and completed events and the workflow task that
   * follows them, and the call skips a round trip through the server. The call runs on the worker
   * that runs the workflow, so that worker needs the tool's handler. A local activity sends no
   * heartbeats, so `heartbeatTimeout` cannot be set; and a worker lost during the call makes the
   * next worker run it again, so a side-effecting tool must be `idempotent` to be local.
   * Runs recorded before a tool became local keep running it as an activity; making a local tool
   * ordinary again breaks the replay of open runs that called it locally (drain them first).
   * @default false
   */
  local?: boolean;
  /** Free-form metadata. @default {} */
  metadata?: Record<string, unknown>;
}

/**
 * What workflow code needs of a tool: its name, description and argument schema (as JSON Schema
 * for the model, and as zod for validation) and its options. No handler.
 */
export interface ToolDeclaration extends ToolOptions {
  /** Unique name the model calls it by (`^[a-zA-Z0-9_-]{1,64}$`). */
  name: string;
  /** What the tool does, for the model. */
  description: string;
  /** JSON Schema of the arguments object (derived from `schema` when defined with zod). */
  parameters: Record<string, unknown>;
  /** The zod schema arguments are validated with; without one, any JSON object is accepted. */
  schema?: z.ZodType;
}

/** A tool the model may call: a declaration plus its handler. */
export interface Tool<Args = Record<string, unknown>> extends ToolDeclaration {
  /** The implementation; sync or async. Runs on the worker (inside `executeTool`) in a run. */
  handler: ToolHandler<Args>;
}

/** A tool with any argument type (what registries and workers accept). */
export type AnyTool = Tool<never>;

/** A zod object schema describing a tool's arguments. */
export type ToolArgsSchema = z.ZodObject;

/** Arguments of `defineToolSpec`. */
export interface ToolSpecDefinition<S extends ToolArgsSchema> extends ToolOptions {
  /** Unique name the model calls it by. */
  name: string;
  /** What the tool does, for the model. */
  description: string;
  /** The arguments' zod object schema (the single source of the JSON Schema). */
  parameters: S;
}

/** Arguments of `defineTool`. */
export interface ToolDefinition<S extends ToolArgsSchema> extends ToolSpecDefinition<S> {
  /** The handler; its argument type is inferred from `parameters`. */
  execute: ToolHandler<z.output<S>>;
}

/** A spec-only tool: safe to import into workflow code; `implement` it on the worker. */
export interface ToolSpecHandle<S extends ToolArgsSchema> extends ToolDeclaration {
  /** The zod schema. */
  schema: S;
  /** The same tool with a handler (call this in worker code, where I/O imports are allowed). */
  implement(handler: ToolHandler<z.output<S>>): Tool<z.output<S>>;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** `ToolOptions` names of earlier versions (times in seconds), with what replaced them. */
const RENAMED_TOOL_OPTIONS: Readonly<Record<string, string>> = {
  timeoutSeconds: 'startToCloseTimeout',
  heartbeatTimeoutSeconds: 'heartbeatTimeout',
  approvalTimeoutSeconds: 'approvalTimeout',
};

/** Checks a tool's name and options; throws `INVALID_INPUT` naming the problem. */
export function validateToolDeclaration(tool: ToolDeclaration): void {
  checkToolDeclaration(tool, true);
}

/** `validateToolDeclaration`, optionally without reading `parameters` (a lazy JSON Schema). */
function checkToolDeclaration(tool: ToolDeclaration, parameters: boolean): void {
  const fail = (m: string) => {
    throw new AgentRuntimeError('INVALID_INPUT', `Tool "${String(tool?.name)}": ${m}`, {
      details: { name: tool?.name },
    });
  };
  if (!tool || typeof tool !== 'object') fail('a tool must be an object');
  if (typeof tool.name !== 'string' || !NAME.test(tool.name)) {
    fail('name must be 1-64 letters, digits, "_" or "-"');
  }
  if (typeof tool.description !== 'string') fail('description must be a string');
  if (
    parameters &&
    (typeof tool.parameters !== 'object' ||
      tool.parameters === null ||
      Array.isArray(tool.parameters))
  ) {
    fail('parameters must be a JSON Schema object');
  }
  const where = `Tool "${String(tool.name)}"`;
  const named = (check: () => void) => {
    try {
      check();
    } catch (err) {
      if (!AgentRuntimeError.is(err)) throw err;
      throw new AgentRuntimeError('INVALID_INPUT', `${where}: ${err.message}`, {
        details: { name: tool.name, ...err.details },
      });
    }
  };
  rejectRenamedOptions(tool, RENAMED_TOOL_OPTIONS, where, 'INVALID_INPUT');
  named(() => {
    optionalDurationMs(tool.startToCloseTimeout, 'startToCloseTimeout', 'INVALID_INPUT');
    optionalDurationMs(tool.heartbeatTimeout, 'heartbeatTimeout', 'INVALID_INPUT');
    optionalDurationMs(tool.approvalTimeout, 'approvalTimeout', 'INVALID_INPUT');
    checkRetryPolicy(tool.retry, 'retry', 'INVALID_INPUT');
    // The merged policy too: an interval given against a default one must still fit it.
    if (tool.retry)
      checkRetryPolicy({ ...DEFAULT_TOOL_RETRY, ...tool.retry }, 'retry', 'INVALID_INPUT');
  });
  if (tool.local !== undefined && typeof tool.local !== 'boolean') fail('local must be a boolean');
  if (tool.local === true && tool.heartbeatTimeout !== undefined) {
    fail('a local tool sends no heartbeats: drop heartbeatTimeout or set local: false');
  }
  if (tool.local === true && tool.hasSideEffects && !tool.idempotent) {
    fail(
      'a local call lost with its worker runs again on the next worker: a side-effecting tool ' +
        'must be idempotent (dedupe on ctx.idempotencyKey) to be local, or set local: false',
    );
  }
  const attempts = tool.retry?.maximumAttempts;
  if (tool.hasSideEffects && !tool.idempotent && attempts !== undefined && attempts > 1) {
    fail(
      'a side-effecting tool is not retried unless it is idempotent: set idempotent: true (and ' +
        'dedupe on ctx.idempotencyKey) or drop retry.maximumAttempts',
    );
  }
}

/**
 * The JSON Schema the model is given for a zod object schema (input side: fields with defaults
 * are optional), without the `$schema` marker providers do not want.
 */
export function toolJsonSchema(schema: z.ZodType): Record<string, unknown> {
  checkObjectSchema(schema);
  const json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

function checkObjectSchema(schema: z.ZodType): void {
  if (!(schema instanceof z.ZodObject)) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      'Tool parameters must be a zod object schema (z.object({...})): tool arguments are a JSON object.',
    );
  }
}

/**
 * Gives `tool` a `parameters` JSON Schema made from `schema` on first read, once for every object
 * made with it. Workflow code defines its tools again in every run (the workflows module is
 * evaluated per run), and converting a schema costs more than the rest of a tool's definition:
 * a run converts only the schemas of the tools it offers a model (its registry reads them), not
 * those of every tool the module defines. A worker registers its tools at start, so a schema
 * that cannot be converted still fails there.
 */
function withLazyParameters<T extends object>(
  tool: T,
  json: () => Record<string, unknown>,
): T & { parameters: Record<string, unknown> } {
  return Object.defineProperty(tool, 'parameters', {
    get: json,
    // Assigning replaces this object's schema only, as with a plain property.
    set(this: T, value: Record<string, unknown>) {
      Object.defineProperty(this, 'parameters', {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
    enumerable: true,
    configurable: true,
  }) as T & { parameters: Record<string, unknown> };
}

function pickOptions(o: ToolOptions): ToolOptions {
  const out: ToolOptions = {};
  if (o.hasSideEffects !== undefined) out.hasSideEffects = o.hasSideEffects;
  if (o.idempotent !== undefined) out.idempotent = o.idempotent;
  if (o.requiresConfirmation !== undefined) out.requiresConfirmation = o.requiresConfirmation;
  if (o.approvalTimeout !== undefined) out.approvalTimeout = o.approvalTimeout;
  if (o.startToCloseTimeout !== undefined) out.startToCloseTimeout = o.startToCloseTimeout;
  if (o.heartbeatTimeout !== undefined) out.heartbeatTimeout = o.heartbeatTimeout;
  if (o.retry !== undefined) out.retry = { ...o.retry };
  if (o.local !== undefined) out.local = o.local;
  // Renamed options are copied too, so validation names them instead of dropping them silently.
  for (const old of Object.keys(RENAMED_TOOL_OPTIONS)) {
    if (Object.prototype.hasOwnProperty.call(o, old)) {
      (out as Record<string, unknown>)[old] = (o as Record<string, unknown>)[old];
    }
  }
  out.metadata = { ...(o.metadata ?? {}) };
  return out;
}

/**
 * Declares a tool without a handler: import it into workflow code (your agent), and give the
 * worker `spec.implement(handler)`. Use this when the handler needs I/O modules (database
 * clients, `fs`, …) that must stay out of the workflow bundle.
 *
 * @example
 * // tools.ts (imported by agents and worker)
 * export const sendEmail = defineToolSpec({
 *   name: 'send_email', description: 'Sends an email.',
 *   parameters: z.object({ to: z.string(), body: z.string() }),
 *   hasSideEffects: true, idempotent: true,
 * });
 * // worker.ts
 * const tools = [sendEmail.implement(async ({ to, body }, ctx) => mailer.send(to, body, ctx.idempotencyKey))];
 */
export function defineToolSpec<S extends ToolArgsSchema>(
  definition: ToolSpecDefinition<S>,
): ToolSpecHandle<S> {
  const { name, description, parameters } = definition;
  checkObjectSchema(parameters);
  let json: Record<string, unknown> | undefined;
  const jsonSchema = () => {
    if (json) return json;
    try {
      json = toolJsonSchema(parameters);
    } catch (err) {
      if (AgentRuntimeError.is(err)) throw err;
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `Tool "${name}": its parameters cannot be described as JSON Schema for the model: ${
          err instanceof Error ? err.message : String(err)
        }`,
        { details: { name }, cause: err },
      );
    }
    return json;
  };
  const options = pickOptions(definition);
  const handle = withLazyParameters(
    {
      name,
      description,
      schema: parameters,
      ...options,
      implement(handler: ToolHandler<z.output<S>>): Tool<z.output<S>> {
        if (typeof handler !== 'function') {
          throw new AgentRuntimeError(
            'INVALID_INPUT',
            `Tool "${name}": handler must be a function`,
          );
        }
        return withLazyParameters(
          { name, description, schema: parameters, ...options, handler },
          jsonSchema,
        );
      },
    },
    jsonSchema,
  );
  checkToolDeclaration(handle, false);
  return handle;
}

/**
 * Defines a tool from a zod object schema and a handler whose argument type is inferred from it.
 * The handler is only ever called on the worker; workflow code that imports the tool uses its
 * spec. Keep the handler free of I/O imports (or use `defineToolSpec` + `implement`).
 *
 * @example
 * const add = defineTool({
 *   name: 'add', description: 'Adds two numbers.',
 *   parameters: z.object({ a: z.number(), b: z.number() }),
 *   execute: ({ a, b }) => ({ sum: a + b }),
 * });
 */
export function defineTool<S extends ToolArgsSchema>(
  definition: ToolDefinition<S>,
): Tool<z.output<S>> {
  const { execute, ...spec } = definition;
  return defineToolSpec(spec).implement(execute);
}

/** Options of `Tool.fromFunction`. */
export interface FromFunctionOptions<S extends ToolArgsSchema> extends ToolOptions {
  /** The tool's name. @default the function's name */
  name?: string;
  /** What the tool does. @default the schema's `.describe()` text, else '' */
  description?: string;
  /** The arguments' zod object schema. */
  parameters: S;
}

/**
 * Makes a tool from a function taking one arguments object (the TypeScript form of the seed's
 * `Tool.from_function`). The name defaults to the function's name.
 */
function fromFunction<S extends ToolArgsSchema>(
  fn: ToolHandler<z.output<S>>,
  options: FromFunctionOptions<S>,
): Tool<z.output<S>> {
  if (typeof fn !== 'function') {
    throw new AgentRuntimeError('INVALID_INPUT', 'Tool.fromFunction: fn must be a function');
  }
  const name = options.name ?? fn.name;
  if (!name) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      'Tool.fromFunction: the function has no name; pass options.name',
    );
  }
  return defineTool({
    ...options,
    name,
    description: options.description ?? options.parameters.description ?? '',
    execute: fn,
  });
}

/** Ways to make a `Tool`: `Tool.fromFunction(fn, options)` and `Tool.define(definition)`. */
export const Tool = {
  fromFunction,
  define: defineTool,
};
