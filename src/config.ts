// Node side only (worker, client, scripts). Never imported by workflow code.
import { z } from 'zod';
import { durationMs, type Duration } from './core/durations';
import { AgentRuntimeError } from './core/errors';
import type { TraceSink } from './tracing/trace-sink';
import {
  checkModelCallOptions,
  resolveModelCall,
  DEFAULT_RUN_TIMEOUT,
  type ModelCallOptions,
} from './core/run-contract';

/** A `Duration` setting, checked the way Temporal reads it. */
function durationSetting(option: string) {
  return z.custom<Duration>().superRefine((value, ctx) => {
    try {
      durationMs(value, option, 'CONFIG_INVALID');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
}

/** The model-call setting, checked field by field. */
const modelCallSetting = z.custom<ModelCallOptions>().superRefine((value, ctx) => {
  try {
    checkModelCallOptions(value, 'modelCall', 'CONFIG_INVALID');
    // Merged with the defaults it must hold together too (e.g. initialInterval above 60 s).
    checkModelCallOptions(
      resolveModelCall(value),
      'modelCall (with the defaults)',
      'CONFIG_INVALID',
    );
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Settings and environment variables of earlier versions, with what replaced them. */
const RENAMED: Readonly<Record<string, string>> = {
  runTimeoutSeconds: "runTimeout (a duration, e.g. '300s')",
  maxRetries: 'modelCall.retry.maximumAttempts (attempts in all: maxRetries + 1)',
  AGENT_RUNTIME_RUN_TIMEOUT_SECONDS: "AGENT_RUNTIME_RUN_TIMEOUT (a duration, e.g. '300s')",
  AGENT_RUNTIME_MAX_RETRIES:
    'AGENT_RUNTIME_MODEL_CALL (JSON, e.g. {"retry":{"maximumAttempts":4}}: attempts in all)',
};

/**
 * Seed settings this runtime has no use for, with why: refused with that reason rather than as an
 * unknown option.
 */
const REFUSED: Readonly<Record<string, string>> = {
  queueBackend:
    'there is no queue backend to choose: Temporal task queues are the queue (runs wait on the ' +
    'Temporal server, durably, until a worker polls them). Set taskQueue (AGENT_RUNTIME_TASK_QUEUE) ' +
    'to name the queue your worker and runner share',
  AGENT_RUNTIME_QUEUE_BACKEND:
    'there is no queue backend to choose: Temporal task queues are the queue. Set ' +
    'AGENT_RUNTIME_TASK_QUEUE to name the queue your worker and runner share',
};

/** The runtime's settings. Every field has a default; see `configure`. */
export const RuntimeConfig = z
  .object({
    /** LLM provider used by `getLLMClient()` on the worker. @default 'openai' */
    modelProvider: z.enum(['openai', 'anthropic', 'litellm']).default('openai'),
    /** Model used when a call names none. @default 'gpt-4o' */
    defaultModel: z.string().min(1).default('gpt-4o'),
    /** OpenAI API key; falls back to `OPENAI_API_KEY`. Read on the worker only. */
    openaiApiKey: z.string().min(1).optional(),
    /** OpenAI organization id. */
    openaiOrganization: z.string().min(1).optional(),
    /** Base URL of an OpenAI(-compatible) endpoint; falls back to `OPENAI_BASE_URL`. */
    openaiBaseUrl: z.string().url().optional(),
    /** Anthropic API key; falls back to `ANTHROPIC_API_KEY`. Read on the worker only. */
    anthropicApiKey: z.string().min(1).optional(),
    /** Base URL of an OpenAI-compatible proxy (LiteLLM, Ollama, vLLM…). */
    litellmBaseUrl: z.string().url().optional(),
    /** Base URL of the Anthropic API (a gateway or a local test server); falls back to `ANTHROPIC_BASE_URL`. */
    anthropicBaseUrl: z.string().url().optional(),
    /** API key of the OpenAI-compatible proxy, if it wants one; falls back to `LITELLM_API_KEY`. */
    litellmApiKey: z.string().min(1).optional(),
    /**
     * Prices per million tokens by model name, to turn usage into cost (`RunResult.cost`,
     * `estimateCost`). A model missing here has no cost. @default {}
     */
    modelPrices: z
      .record(
        z.string(),
        z.object({
          /** Price of one million prompt (input) tokens. */
          promptPerMillion: z.number().nonnegative(),
          /** Price of one million completion (output) tokens. */
          completionPerMillion: z.number().nonnegative(),
        }),
      )
      .default({}),
    /** Temporal frontend address; falls back to `TEMPORAL_ADDRESS`. @default '127.0.0.1:7233' */
    temporalAddress: z.string().min(1).default('127.0.0.1:7233'),
    /** Temporal namespace; falls back to `TEMPORAL_NAMESPACE`. @default 'default' */
    temporalNamespace: z.string().min(1).default('default'),
    /** Task queue of agent runs. @default 'agent-runtime' */
    taskQueue: z.string().min(1).default('agent-runtime'),
    /** Event bus backend. @default 'memory' */
    eventBusBackend: z.enum(['memory', 'postgres', 'redis']).default('memory'),
    /**
     * State store backend: `sqlite` keeps checkpoints in the file `sqlitePath` (one node; the
     * worker's). @default 'memory'
     */
    stateStoreBackend: z.enum(['memory', 'postgres', 'redis', 'sqlite']).default('memory'),
    /** File of the `sqlite` state store. @default './agent_state.db' */
    sqlitePath: z.string().min(1).optional(),
    /** Redis URL; falls back to `REDIS_URL`. */
    redisUrl: z.string().min(1).optional(),
    /** Postgres URL; falls back to `DATABASE_URL`. */
    databaseUrl: z.string().min(1).optional(),
    /**
     * Built-in trace sink of workers: `console` writes one JSON line per trace event; `langfuse`
     * is the same as `langfuseEnabled: true`. @default 'noop'
     */
    tracingBackend: z.enum(['noop', 'console', 'langfuse']).default('noop'),
    /**
     * Trace sinks every worker created after this call feeds (besides
     * `createAgentWorker({ traceSinks })`). Not read from the environment. @default []
     */
    traceSinks: z
      .array(
        z.custom<TraceSink>(
          (v) =>
            typeof v === 'object' && v !== null && typeof (v as TraceSink).trace === 'function',
          { message: 'a trace sink is an object with a trace(event) method' },
        ),
      )
      .default([]),
    /**
     * Workers send their traces (runs, model calls as generations with usage and cost, tool calls,
     * steps) to Langfuse's OpenTelemetry endpoint. Same as `tracingBackend: 'langfuse'`; needs
     * `langfusePublicKey` and `langfuseSecretKey`. @default false
     */
    langfuseEnabled: z.boolean().default(false),
    /** Langfuse public key (`pk-lf-…`); falls back to `LANGFUSE_PUBLIC_KEY`. Read on the worker only. */
    langfusePublicKey: z.string().min(1).optional(),
    /** Langfuse secret key (`sk-lf-…`); falls back to `LANGFUSE_SECRET_KEY`. Read on the worker only. */
    langfuseSecretKey: z.string().min(1).optional(),
    /** Langfuse base URL; falls back to `LANGFUSE_HOST`. @default 'https://cloud.langfuse.com' */
    langfuseHost: z.string().url().default('https://cloud.langfuse.com'),
    /**
     * Leave prompts and outputs out of the traces sent to Langfuse (usage, cost, model and timing
     * still go). @default false
     */
    langfuseMask: z.boolean().default(false),
    /**
     * Default run time limit of `AgentRunner` (a duration: `'300s'`, `'2h'`, or milliseconds);
     * the run ends `timed_out` after it. @default '300s'
     */
    runTimeout: durationSetting('runTimeout').default(DEFAULT_RUN_TIMEOUT),
    /**
     * Default timeouts and retry policy of model calls for `AgentRunner` (tools and steps set
     * their own): `{ startToCloseTimeout, heartbeatTimeout, retry }`, each field optional.
     * @default `DEFAULT_MODEL_CALL` (`'300s'`, `'30s'`, 4 attempts from 1 s doubling to 60 s)
     */
    modelCall: modelCallSetting.optional(),
    /**
     * More secrets to remove from every error text that leaves a worker (tool and step errors,
     * events, audit, logs, the model's next prompt): regular expressions, each replaced by
     * `[redacted]`. The API keys above and the passwords of `databaseUrl`/`redisUrl` are always
     * removed. @default []
     */
    redactPatterns: z
      .array(
        z.string().superRefine((value, ctx) => {
          try {
            new RegExp(value, 'g');
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        }),
      )
      .default([]),
  })
  .strict();

/** The runtime's settings, complete. */
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;
/** What `configure` accepts: any subset of the settings. */
export type RuntimeConfigInput = z.input<typeof RuntimeConfig>;

type Env = Record<string, string | undefined>;

const ENV_KEYS: Record<keyof RuntimeConfig, string[]> = {
  modelProvider: ['AGENT_RUNTIME_MODEL_PROVIDER'],
  defaultModel: ['AGENT_RUNTIME_DEFAULT_MODEL'],
  openaiApiKey: ['AGENT_RUNTIME_OPENAI_API_KEY', 'OPENAI_API_KEY'],
  openaiOrganization: ['AGENT_RUNTIME_OPENAI_ORGANIZATION', 'OPENAI_ORG_ID'],
  openaiBaseUrl: ['AGENT_RUNTIME_OPENAI_BASE_URL', 'OPENAI_BASE_URL'],
  anthropicApiKey: ['AGENT_RUNTIME_ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY'],
  litellmBaseUrl: ['AGENT_RUNTIME_LITELLM_BASE_URL', 'LITELLM_BASE_URL'],
  anthropicBaseUrl: ['AGENT_RUNTIME_ANTHROPIC_BASE_URL', 'ANTHROPIC_BASE_URL'],
  litellmApiKey: ['AGENT_RUNTIME_LITELLM_API_KEY', 'LITELLM_API_KEY'],
  modelPrices: ['AGENT_RUNTIME_MODEL_PRICES'],
  temporalAddress: ['AGENT_RUNTIME_TEMPORAL_ADDRESS', 'TEMPORAL_ADDRESS'],
  temporalNamespace: ['AGENT_RUNTIME_TEMPORAL_NAMESPACE', 'TEMPORAL_NAMESPACE'],
  taskQueue: ['AGENT_RUNTIME_TASK_QUEUE'],
  eventBusBackend: ['AGENT_RUNTIME_EVENT_BUS_BACKEND'],
  stateStoreBackend: ['AGENT_RUNTIME_STATE_STORE_BACKEND'],
  sqlitePath: ['AGENT_RUNTIME_SQLITE_PATH'],
  redisUrl: ['AGENT_RUNTIME_REDIS_URL', 'REDIS_URL'],
  databaseUrl: ['AGENT_RUNTIME_DATABASE_URL', 'DATABASE_URL'],
  tracingBackend: ['AGENT_RUNTIME_TRACING_BACKEND'],
  traceSinks: [],
  langfuseEnabled: ['AGENT_RUNTIME_LANGFUSE_ENABLED'],
  langfusePublicKey: ['AGENT_RUNTIME_LANGFUSE_PUBLIC_KEY', 'LANGFUSE_PUBLIC_KEY'],
  langfuseSecretKey: ['AGENT_RUNTIME_LANGFUSE_SECRET_KEY', 'LANGFUSE_SECRET_KEY'],
  langfuseHost: ['AGENT_RUNTIME_LANGFUSE_HOST', 'LANGFUSE_HOST'],
  langfuseMask: ['AGENT_RUNTIME_LANGFUSE_MASK'],
  runTimeout: ['AGENT_RUNTIME_RUN_TIMEOUT'],
  modelCall: ['AGENT_RUNTIME_MODEL_CALL'],
  redactPatterns: ['AGENT_RUNTIME_REDACT_PATTERNS'],
};

/** Durations: a number in the environment is milliseconds, as everywhere else. */
const DURATION_FIELDS = new Set<keyof RuntimeConfig>(['runTimeout']);
const BOOLEAN = new Set<keyof RuntimeConfig>(['langfuseEnabled', 'langfuseMask']);
/** Settings given as JSON text in the environment. */
const JSON_FIELDS = new Set<keyof RuntimeConfig>(['modelPrices', 'modelCall', 'redactPatterns']);

/** Reads settings from environment variables (`AGENT_RUNTIME_*`, then provider variables). */
export function configFromEnv(env: Env): RuntimeConfigInput {
  rejectRenamed(
    Object.keys(env).filter((k) => env[k] !== undefined && env[k] !== ''),
    'environment',
  );
  const out: Record<string, unknown> = {};
  for (const [field, names] of Object.entries(ENV_KEYS) as [keyof RuntimeConfig, string[]][]) {
    const name = names.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    const raw = env[name] as string;
    if (DURATION_FIELDS.has(field)) out[field] = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    else if (BOOLEAN.has(field)) out[field] = /^(1|true|yes|on)$/i.test(raw);
    else if (JSON_FIELDS.has(field)) out[field] = parseJsonSetting(name, raw);
    else out[field] = raw;
  }
  return out;
}

/** Throws `CONFIG_INVALID` naming the replacement of a setting that was renamed. */
function rejectRenamed(keys: readonly string[], source: string): void {
  const refused = keys.find((k) => Object.prototype.hasOwnProperty.call(REFUSED, k));
  if (refused !== undefined) {
    throw new AgentRuntimeError(
      'CONFIG_INVALID',
      `Configuration option ${refused} is not supported: ${REFUSED[refused]} (from ${source})`,
      { details: { field: refused } },
    );
  }
  const old = keys.find((k) => Object.prototype.hasOwnProperty.call(RENAMED, k));
  if (old === undefined) return;
  throw new AgentRuntimeError(
    'CONFIG_INVALID',
    `Configuration option ${old} was renamed: use ${RENAMED[old]} (from ${source})`,
    { details: { field: old } },
  );
}

function parse(input: Record<string, unknown>, source: string): RuntimeConfig {
  rejectRenamed(Object.keys(input), source);
  const result = RuntimeConfig.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  const message =
    issue?.code === 'unrecognized_keys'
      ? `Unknown configuration option: ${issue.keys.join(', ')}`
      : `Invalid configuration option ${path}: ${issue?.message ?? 'invalid'}`;
  throw new AgentRuntimeError('CONFIG_INVALID', `${message} (from ${source})`, {
    details: {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  });
}

let current: RuntimeConfig | undefined;

/**
 * Sets the global configuration: defaults, then environment variables, then `options`.
 * An unknown option or a bad value throws an `AgentRuntimeError` with code `CONFIG_INVALID`.
 */
export function configure(options: RuntimeConfigInput = {}, env: Env = process.env): RuntimeConfig {
  const fromEnv = parse(configFromEnv(env), 'environment');
  current = parse({ ...stripUndefined(fromEnv), ...stripUndefined(options) }, 'configure()');
  return current;
}

/** The global configuration, created from defaults and the environment on first use. */
export function getConfig(): RuntimeConfig {
  current ??= parse(configFromEnv(process.env), 'environment');
  return current;
}

/** Forgets the global configuration; the next `getConfig()` reads the environment again. */
export function resetConfig(): void {
  current = undefined;
}

function parseJsonSetting(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new AgentRuntimeError('CONFIG_INVALID', `${name} must be JSON`, {
      details: { variable: name },
    });
  }
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
