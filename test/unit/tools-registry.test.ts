// Tool definitions and the ToolRegistry outside a run (handlers called in-process).
import { z } from 'zod';
import { AgentRuntimeError } from '../../src/core/errors';
import { fromMessageToolCall, type RunEvent } from '../../src/core/types';
import { ToolRegistry } from '../../src/tools/registry';
import { Tool, defineTool, defineToolSpec } from '../../src/tools/tool';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return AgentRuntimeError.is(err) ? err.code : 'not-an-AgentRuntimeError';
  }
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<AgentRuntimeError> {
  try {
    await p;
  } catch (err) {
    if (AgentRuntimeError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers.',
  parameters: z.object({ a: z.number(), b: z.number().default(10) }),
  execute: ({ a, b }) => ({ sum: a + b }),
});

function events() {
  const list: Pick<RunEvent, 'type' | 'payload'>[] = [];
  return {
    list,
    async emit(type: string, payload: Record<string, unknown> = {}) {
      list.push({ type, payload });
    },
  };
}

describe('defining tools', () => {
  test('defineTool derives the JSON Schema from zod (input side: defaults are optional)', () => {
    expect(add.name).toBe('add');
    expect(add.parameters).toEqual({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number', default: 10 } },
      required: ['a'],
    });
    expect(add.hasSideEffects).toBeUndefined();
    expect(add.metadata).toEqual({});
  });

  test('the JSON Schema is made on first read, once, and shared by the spec and the tool made from it', () => {
    // z.lazy's getter runs when the schema is converted (or used to parse), not when defined.
    let converted = 0;
    const spec = defineToolSpec({
      name: 'lazy',
      description: 'Converted when read.',
      parameters: z.object({
        q: z.lazy(() => {
          converted++;
          return z.string();
        }),
      }),
    });
    const tool = spec.implement(({ q }) => q);
    // Workflow code defines its tools in every run: one that no model is offered costs no conversion.
    expect(converted).toBe(0);
    expect(tool.parameters).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    });
    const after = converted;
    expect(after).toBeGreaterThan(0);
    expect(spec.parameters).toBe(tool.parameters);
    expect((JSON.parse(JSON.stringify(tool)) as { parameters: unknown }).parameters).toEqual(
      tool.parameters,
    );
    expect(converted).toBe(after);
    // Assigning replaces that tool's schema only, as it did when it was a plain property.
    tool.parameters = { type: 'object', properties: {} };
    expect(tool.parameters).toEqual({ type: 'object', properties: {} });
    expect(spec.parameters).not.toBe(tool.parameters);
  });

  test('a schema that cannot be converted fails when a registry takes the tool (a worker at start)', () => {
    const when = defineTool({
      name: 'when',
      description: 'Takes a Date, which JSON Schema cannot describe.',
      parameters: z.object({ at: z.date() }),
      execute: () => 'ok',
    });
    expect(() => new ToolRegistry([when])).toThrow(
      /Tool "when": its parameters cannot be described as JSON Schema for the model: .*Date/,
    );
    // Not a zod object: refused at definition, as before.
    expect(
      codeOf(() =>
        defineTool({
          name: 'bad',
          description: '',
          parameters: z.string() as unknown as z.ZodObject,
          execute: () => 'x',
        }),
      ),
    ).toBe('INVALID_INPUT');
  });

  test('Tool.fromFunction takes the name from the function; sync and async handlers both work', async () => {
    function get_weather({ location }: { location: string }): string {
      return `sunny in ${location}`;
    }
    const tool = Tool.fromFunction(get_weather, {
      parameters: z.object({ location: z.string() }).describe('Get the weather.'),
    });
    expect(tool.name).toBe('get_weather');
    expect(tool.description).toBe('Get the weather.');
    const slow = Tool.fromFunction(
      async ({ q }: { q: string }) => {
        await new Promise((r) => setTimeout(r, 5));
        return { q };
      },
      { name: 'slow', description: 'async', parameters: z.object({ q: z.string() }) },
    );
    const reg = new ToolRegistry([tool, slow]);
    await expect(reg.execute('get_weather', { location: 'Oslo' })).resolves.toBe('sunny in Oslo');
    await expect(reg.execute('slow', '{"q":"x"}')).resolves.toEqual({ q: 'x' });
  });

  test('bad definitions are INVALID_INPUT errors at definition time', () => {
    expect(
      codeOf(() => Tool.fromFunction((_args: object) => 1, { parameters: z.object({}) })),
    ).toBe('INVALID_INPUT');
    const p = z.object({});
    expect(
      codeOf(() =>
        defineTool({ name: 'has space', description: '', parameters: p, execute: () => 1 }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      codeOf(() =>
        defineTool({
          name: 'pay',
          description: '',
          parameters: p,
          hasSideEffects: true,
          retry: { maximumAttempts: 3 },
          execute: () => 1,
        }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      codeOf(() =>
        defineTool({
          name: 't',
          description: '',
          parameters: p,
          startToCloseTimeout: -1,
          execute: () => 1,
        }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      codeOf(() =>
        defineTool({
          name: 'pay',
          description: '',
          parameters: p,
          hasSideEffects: true,
          idempotent: true,
          retry: { maximumAttempts: 3 },
          execute: () => 1,
        }),
      ),
    ).toBeUndefined();
  });

  test('timeouts and retries are Temporal durations and a RetryPolicy; bad ones name the option', () => {
    const p = z.object({});
    const message = (options: object): string => {
      try {
        defineTool({ name: 't', description: '', parameters: p, execute: () => 1, ...options });
      } catch (err) {
        return AgentRuntimeError.is(err) ? `${err.code}: ${err.message}` : String(err);
      }
      return 'accepted';
    };
    expect(
      message({
        startToCloseTimeout: '2m',
        heartbeatTimeout: 5000,
        approvalTimeout: '1h',
        retry: { maximumAttempts: 5, initialInterval: '250ms', nonRetryableErrorTypes: ['X'] },
      }),
    ).toBe('accepted');
    expect(message({ startToCloseTimeout: 'soon' })).toMatch(
      /^INVALID_INPUT: Tool "t": Option startToCloseTimeout must be a duration/,
    );
    expect(message({ approvalTimeout: 0 })).toMatch(/approvalTimeout must be greater than zero/);
    expect(message({ retry: { initialIntervalSeconds: 1 } })).toMatch(
      /retry\.initialIntervalSeconds is unknown/,
    );
    expect(message({ retry: { initialInterval: '1m' } })).toMatch(
      // Against the default maximumInterval ('30s').
      /retry\.maximumInterval must not be less than initialInterval/,
    );
    // The names of earlier versions say what replaced them (for JavaScript callers).
    expect(message({ timeoutSeconds: 10 })).toMatch(
      /option timeoutSeconds was renamed: use startToCloseTimeout/,
    );
    expect(message({ approvalTimeoutSeconds: 10 })).toMatch(/use approvalTimeout/);
  });
});

describe('ToolRegistry', () => {
  test('register, get, list; a duplicate name is an error unless replacing is asked for', () => {
    const reg = new ToolRegistry();
    reg.register(add);
    expect(codeOf(() => reg.register(add))).toBe('INVALID_INPUT');
    const add2 = defineTool({ ...add, parameters: z.object({ a: z.number() }), execute: () => 2 });
    reg.register(add2, { replace: true });
    expect(reg.get('add')).toBe(add2);
    expect(reg.get('nope')).toBeUndefined();
    expect(reg.list().map((t) => t.name)).toEqual(['add']);
  });

  test('toOpenAIFormat and toAnthropicFormat', () => {
    const reg = new ToolRegistry([add]);
    expect(reg.toOpenAIFormat()).toEqual([
      {
        type: 'function',
        function: { name: 'add', description: 'Adds two numbers.', parameters: add.parameters },
      },
    ]);
    expect(reg.toAnthropicFormat()).toEqual([
      { name: 'add', description: 'Adds two numbers.', input_schema: add.parameters },
    ]);
  });

  test('execute accepts an object or a JSON string and applies the schema (defaults included)', async () => {
    const reg = new ToolRegistry([add]);
    await expect(reg.execute('add', { a: 1, b: 2 })).resolves.toEqual({ sum: 3 });
    await expect(reg.execute('add', '{"a": 1}')).resolves.toEqual({ sum: 11 });
  });

  test('bad arguments, unknown tools and throwing handlers are typed errors naming the problem', async () => {
    const boom = defineTool({
      name: 'boom',
      description: '',
      parameters: z.object({}),
      execute: () => {
        throw new Error('kaput');
      },
    });
    const reg = new ToolRegistry([add, boom]);
    const badJson = await rejection(reg.execute('add', '{"a": 1,'));
    expect(badJson.code).toBe('TOOL_INVALID_ARGUMENTS');
    expect(badJson.message).toMatch(/not valid JSON/);
    const badType = await rejection(reg.execute('add', { a: 'x' }));
    expect(badType.code).toBe('TOOL_INVALID_ARGUMENTS');
    expect(badType.message).toMatch(/failed validation: a: .*expected number/i);
    expect((await rejection(reg.execute('add', '[1,2]'))).code).toBe('TOOL_INVALID_ARGUMENTS');
    const missing = await rejection(reg.execute('nope', {}));
    expect(missing.code).toBe('TOOL_NOT_FOUND');
    expect(missing.message).toMatch(/Available tools: add, boom/);
    const thrown = await rejection(reg.execute('boom', {}));
    expect(thrown.code).toBe('TOOL_ERROR');
    expect(thrown.message).toBe('Tool boom failed: kaput');
  });

  test('results are JSON: undefined becomes null, a BigInt is a TOOL_ERROR', async () => {
    const p = z.object({});
    const reg = new ToolRegistry([
      defineTool({ name: 'nothing', description: '', parameters: p, execute: () => undefined }),
      defineTool({ name: 'big', description: '', parameters: p, execute: () => ({ n: 1n }) }),
    ]);
    await expect(reg.execute('nothing', {})).resolves.toBeNull();
    expect((await rejection(reg.execute('big', {}))).code).toBe('TOOL_ERROR');
  });

  test('a spec-only tool has no handler outside the worker', async () => {
    const spec = defineToolSpec({ name: 'remote', description: 'r', parameters: z.object({}) });
    const err = await rejection(new ToolRegistry([spec]).execute('remote', {}));
    expect(err.code).toBe('TOOL_NOT_FOUND');
    expect(err.message).toMatch(/no handler/);
    const impl = spec.implement(() => 'ran');
    await expect(new ToolRegistry([impl]).execute('remote', {})).resolves.toBe('ran');
  });

  test('outside a run a requiresConfirmation tool needs an approver', async () => {
    let runs = 0;
    const danger = defineTool({
      name: 'danger',
      description: '',
      parameters: z.object({}),
      requiresConfirmation: true,
      execute: () => ++runs,
    });
    expect((await rejection(new ToolRegistry([danger]).execute('danger', {}))).code).toBe(
      'TOOL_APPROVAL_REJECTED',
    );
    const approving = new ToolRegistry([danger], { approve: () => ({ approved: true }) });
    await expect(approving.execute('danger', {})).resolves.toBe(1);
    expect(runs).toBe(1);
  });

  test('executeWithEvents emits tool.call and tool.result, and turns failures into error outcomes', async () => {
    const reg = new ToolRegistry([add]);
    const ev = events();
    const ok = await reg.executeWithEvents(
      { id: 'c1', name: 'add', arguments: '{"a":2,"b":3}' },
      ev,
    );
    expect(ok).toEqual({
      toolCall: { id: 'c1', name: 'add', arguments: '{"a":2,"b":3}' },
      isError: false,
      result: { sum: 5 },
      message: { role: 'tool', tool_call_id: 'c1', content: '{"sum":5}' },
    });
    const bad = await reg.executeWithEvents(
      fromMessageToolCall({
        id: 'c2',
        type: 'function',
        function: { name: 'add', arguments: 'nope' },
      }),
      ev,
    );
    expect(bad.isError).toBe(true);
    expect(bad.errorCode).toBe('TOOL_INVALID_ARGUMENTS');
    expect(bad.message.content).toMatch(/^Error: Arguments of add are not valid JSON/);
    expect(ev.list).toEqual([
      {
        type: 'tool.call',
        payload: { toolCall: { id: 'c1', name: 'add', arguments: '{"a":2,"b":3}' } },
      },
      { type: 'tool.result', payload: { toolCallId: 'c1', name: 'add', result: { sum: 5 } } },
      { type: 'tool.call', payload: { toolCall: { id: 'c2', name: 'add', arguments: 'nope' } } },
      {
        type: 'tool.result',
        payload: {
          toolCallId: 'c2',
          name: 'add',
          error: expect.stringMatching(/not valid JSON/) as unknown,
          isError: true,
          errorCode: 'TOOL_INVALID_ARGUMENTS',
        },
      },
    ]);
  });

  test('executeWithEvents hooks see the validated arguments and may replace the result', async () => {
    const reg = new ToolRegistry([add]);
    const seen: unknown[] = [];
    const out = await reg.executeWithEvents(
      { id: 'c1', name: 'add', arguments: '{"a":1}' },
      events(),
      {
        onToolCall: (name, args) => {
          seen.push([name, args]);
        },
        onToolResult: (_name, result) => ({ wrapped: result }),
      },
    );
    expect(seen).toEqual([['add', { a: 1, b: 10 }]]);
    expect(out.result).toEqual({ wrapped: { sum: 11 } });
  });
});
