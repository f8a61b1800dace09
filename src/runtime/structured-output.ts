// Sandbox-safe: structured output shared by the worker-side clients and the in-run client. Turns
// a zod schema into the JSON Schema providers take, parses and validates answers, and re-asks the
// model (with the validation message) when the answer does not fit.
import { z } from 'zod';
import { AgentRuntimeError } from '../core/errors';
import type { Message, Usage } from '../core/types';
import { addUsage } from '../core/types';
import type { GenerateOptions, LLMClient, LLMResponse, ResponseFormat } from '../core/llm-types';

/** The JSON Schema form of a zod schema, for `ResponseFormat.schema`. */
export function toResponseFormat(schema: z.ZodType, name = 'response'): ResponseFormat {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'throw' });
  } catch (err) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      `responseSchema cannot be expressed as JSON Schema: ${(err as Error).message}`,
      { cause: err },
    );
  }
  delete json.$schema;
  return { type: 'json_schema', name, schema: json };
}

/** The outcome of checking one answer against a schema. */
export type StructuredCheck<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses the answer's text as JSON and validates it with the schema. */
export function checkStructured<T>(schema: z.ZodType<T>, content: string): StructuredCheck<T> {
  let value: unknown;
  const text = stripFence(content);
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `the answer is not valid JSON (${(err as Error).message})` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, error: `the answer does not match the schema: ${issues}` };
}

/** Models sometimes wrap JSON in a Markdown code fence even when asked not to. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return (m?.[1] ?? text).trim();
}

/** One raw model call (no schema handling): the provider request, or an activity in a run. */
export type RawModelCall = (
  messages: readonly Message[],
  options: Omit<GenerateOptions, 'responseSchema' | 'structuredRetries'>,
) => Promise<LLMResponse>;

/**
 * `generate` for any client: a raw call, or structured generation when `options.responseSchema`
 * is set. Every `LLMClient` implementation routes its `generate` through this.
 */
export function generateWith<T>(
  call: RawModelCall,
  messages: readonly Message[],
  options: GenerateOptions<T>,
): Promise<LLMResponse<T>> {
  const { responseSchema } = options;
  if (!responseSchema) return call(messages, options) as Promise<LLMResponse<T>>;
  return generateStructured(call, messages, { ...options, responseSchema });
}

/**
 * Structured generation: sends `responseFormat`, validates the answer, re-asks up to
 * `structuredRetries` times with the validation message, then throws `LLM_OUTPUT_INVALID`.
 * The returned response's `usage` totals every call made.
 */
export async function generateStructured<T>(
  call: RawModelCall,
  messages: readonly Message[],
  options: GenerateOptions<T> & { responseSchema: z.ZodType<T> },
): Promise<LLMResponse<T>> {
  const { responseSchema, structuredRetries, ...rest } = options;
  const retries = structuredRetries ?? 1;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new AgentRuntimeError('INVALID_INPUT', 'structuredRetries must be an integer >= 0');
  }
  const format = rest.responseFormat ?? toResponseFormat(responseSchema);
  const conversation: Message[] = [...messages];
  let usage: Usage | undefined;
  let lastError = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    const response = await call(conversation, { ...rest, responseFormat: format });
    usage = usage ? addUsage(usage, response.usage) : response.usage;
    const check = checkStructured(responseSchema, response.content);
    if (check.ok) return { ...response, usage, parsed: check.value };
    lastError = check.error;
    conversation.push(
      { role: 'assistant', content: response.content },
      {
        role: 'user',
        content: `Your previous answer was rejected: ${check.error}. Answer again with only a JSON value that matches the requested schema.`,
      },
    );
  }
  throw new AgentRuntimeError(
    'LLM_OUTPUT_INVALID',
    `Structured output invalid after ${retries + 1} attempt(s): ${lastError}`,
    { details: { attempts: retries + 1, validationError: lastError, usage: usage ?? null } },
  );
}

/**
 * Typed structured output with any `LLMClient`: returns the validated object.
 *
 * @example
 * const { object } = await generateObject(ctx.llm, messages, z.object({ city: z.string() }));
 */
export async function generateObject<T>(
  llm: LLMClient,
  messages: readonly Message[],
  schema: z.ZodType<T>,
  options: Omit<GenerateOptions<T>, 'responseSchema'> = {},
): Promise<{ object: T; response: LLMResponse<T> }> {
  const response = (await llm.generate(messages, {
    ...options,
    responseSchema: schema,
  })) as LLMResponse<T>;
  if (response.parsed === undefined) {
    throw new AgentRuntimeError(
      'LLM_OUTPUT_INVALID',
      `The ${llm.provider} client returned no parsed object: it does not support responseSchema`,
    );
  }
  return { object: response.parsed, response };
}
