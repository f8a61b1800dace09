// The three LLM clients (OpenAI, Anthropic, any OpenAI-compatible endpoint) through their official
// SDKs over real HTTP against the local server: replies, tool loops, streaming, structured output,
// usage and error classification, the same way for every provider.
import { z } from 'zod';
import { AgentRuntimeError, type ErrorCode } from '../../src/core/errors';
import type { Message, Usage } from '../../src/core/types';
import { addUsage, emptyUsage } from '../../src/core/types';
import { AnthropicClient } from '../../src/llm/anthropic';
import { createLLMClient, generateObject } from '../../src/llm';
import { LiteLLMClient, OpenAIClient } from '../../src/llm/openai';
import type { LLMClient, LLMStreamChunk, ToolSpec } from '../../src/core/llm-types';
import { RuntimeConfig } from '../../src/config';
import {
  startMockLLMServer,
  type MockLLMServer,
  type RecordedRequest,
} from '../../src/testing/llm-server';

/** `expect.objectContaining`, typed (jest types it as `any`). */
const objectContaining = (o: Record<string, unknown>): unknown =>
  expect.objectContaining(o) as unknown;

let server: MockLLMServer;
beforeAll(async () => {
  server = await startMockLLMServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

type Provider = 'openai' | 'anthropic' | 'litellm';
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'litellm'];

function client(provider: Provider): LLMClient {
  switch (provider) {
    case 'openai':
      return new OpenAIClient({
        apiKey: 'sk-test-openai',
        baseURL: server.openaiBaseURL,
        defaultModel: 'gpt-test',
      });
    case 'anthropic':
      return new AnthropicClient({
        apiKey: 'sk-ant-test',
        baseURL: server.anthropicBaseURL,
        defaultModel: 'claude-test',
      });
    case 'litellm':
      return new LiteLLMClient({ baseURL: server.openaiBaseURL, defaultModel: 'ollama/llama3' });
  }
}

const WEATHER: ToolSpec = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

function modelRequests(): RecordedRequest[] {
  return server.requests.filter(
    (r) => r.path === '/v1/messages' || r.path === '/v1/chat/completions',
  );
}

function body(i: number): Record<string, unknown> {
  return modelRequests()[i]?.body as Record<string, unknown>;
}

async function collect(stream: AsyncIterable<LLMStreamChunk>): Promise<LLMStreamChunk[]> {
  const out: LLMStreamChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

async function failure(p: Promise<unknown>): Promise<AgentRuntimeError> {
  try {
    await p;
  } catch (err) {
    if (AgentRuntimeError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe.each(PROVIDERS)('%s client', (provider) => {
  const path = provider === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';

  test('plain reply: content, message, usage, model, finish reason; one HTTP request', async () => {
    server.enqueue({
      type: 'text',
      content: 'Hello there!',
      usage: { promptTokens: 12, completionTokens: 3 },
    });
    const r = await client(provider).generate([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(r.content).toBe('Hello there!');
    expect(r.message).toEqual({ role: 'assistant', content: 'Hello there!' });
    expect(r.toolCalls).toEqual([]);
    expect(r.usage).toEqual({ promptTokens: 12, completionTokens: 3, totalTokens: 15 });
    expect(r.finishReason).toBe('stop');
    expect(r.model).toBe(
      provider === 'anthropic'
        ? 'claude-test'
        : provider === 'openai'
          ? 'gpt-test'
          : 'ollama/llama3',
    );
    expect(modelRequests()).toHaveLength(1);
    expect(modelRequests()[0]?.path).toBe(path);
    if (provider === 'anthropic') {
      // System messages become the system prompt; max_tokens has a default.
      expect(body(0).system).toBe('Be brief.');
      expect(body(0).max_tokens).toBe(4096);
      expect(body(0).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
      // This SDK version sends the key as a bearer token.
      expect(modelRequests()[0]?.headers.authorization).toBe('Bearer sk-ant-test');
    } else {
      expect((body(0).messages as Message[])[0]).toEqual({ role: 'system', content: 'Be brief.' });
    }
  });

  test('tool call round trip over several turns, arguments as JSON strings', async () => {
    server.enqueue(
      { type: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      {
        type: 'tool_calls',
        toolCalls: [{ name: 'get_weather', arguments: { city: 'L\'Aquila "centre"' } }],
      },
      { type: 'text', content: 'Sunny in both.' },
    );
    const llm = client(provider);
    const messages: Message[] = [
      { role: 'system', content: 'You report weather.' },
      { role: 'user', content: 'Weather in Paris, then in L’Aquila?' },
    ];
    const seenArgs: unknown[] = [];
    let final = '';
    for (let turn = 0; turn < 5; turn++) {
      const r = await llm.generate(messages, { tools: [WEATHER] });
      messages.push(r.message);
      if (r.toolCalls.length === 0) {
        final = r.content;
        break;
      }
      expect(r.finishReason).toBe('tool_calls');
      for (const call of r.toolCalls) {
        expect(call.name).toBe('get_weather');
        const args = JSON.parse(call.arguments) as { city: string };
        seenArgs.push(args);
        messages.push({ role: 'tool', tool_call_id: call.id, content: `sunny in ${args.city}` });
      }
    }
    expect(final).toBe('Sunny in both.');
    expect(seenArgs).toEqual([{ city: 'Paris' }, { city: 'L\'Aquila "centre"' }]);
    expect(modelRequests()).toHaveLength(3);
    if (provider === 'anthropic') {
      const third = body(2).messages as { role: string; content: { type: string }[] }[];
      const firstId = `toolu_mock_${modelRequests()[0]?.id}_0`;
      expect(body(2).system).toBe('You report weather.');
      expect(third.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
      expect(third[1]?.content[0]).toEqual({
        type: 'tool_use',
        id: firstId,
        name: 'get_weather',
        input: { city: 'Paris' },
      });
      expect(third[2]?.content[0]).toEqual({
        type: 'tool_result',
        tool_use_id: firstId,
        content: 'sunny in Paris',
      });
      expect((body(0).tools as { input_schema: unknown }[])[0]?.input_schema).toEqual(
        WEATHER.function.parameters,
      );
    } else {
      const third = body(2).messages as Message[];
      expect(third.map((m) => m.role)).toEqual([
        'system',
        'user',
        'assistant',
        'tool',
        'assistant',
        'tool',
      ]);
    }
  });

  test('parallel tool calls; their results go back in one turn', async () => {
    server.enqueue(
      {
        type: 'tool_calls',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { type: 'text', content: 'Both sunny.' },
    );
    const llm = client(provider);
    const messages: Message[] = [{ role: 'user', content: 'Paris and Rome?' }];
    const r = await llm.generate(messages, { tools: [WEATHER], toolChoice: 'auto' });
    expect(r.toolCalls.map((c) => JSON.parse(c.arguments) as unknown)).toEqual([
      { city: 'Paris' },
      { city: 'Rome' },
    ]);
    expect(new Set(r.toolCalls.map((c) => c.id)).size).toBe(2);
    messages.push(r.message);
    for (const c of r.toolCalls)
      messages.push({ role: 'tool', tool_call_id: c.id, content: 'sun' });
    messages.push({ role: 'user', content: 'Summarise.' });
    const r2 = await llm.generate(messages, { tools: [WEATHER] });
    expect(r2.content).toBe('Both sunny.');
    if (provider === 'anthropic') {
      const sent = body(1).messages as { role: string; content: { type: string }[] }[];
      // Both results and the user's text in ONE user turn, results first.
      expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(sent[2]?.content.map((b) => b.type)).toEqual(['tool_result', 'tool_result', 'text']);
      expect(body(0).tool_choice).toEqual({ type: 'auto' });
    }
  });

  test('streaming text: several deltas that join to the answer, then usage and finish reason', async () => {
    server.enqueue({
      type: 'text',
      content: 'The quick brown fox jumps over the lazy dog.',
      usage: { promptTokens: 5, completionTokens: 10 },
    });
    const chunks = await collect(client(provider).stream([{ role: 'user', content: 'Go' }]));
    const deltas = chunks.map((c) => c.delta).filter(Boolean);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('The quick brown fox jumps over the lazy dog.');
    const last = chunks[chunks.length - 1];
    expect(last?.finishReason).toBe('stop');
    expect(last?.usage).toEqual({ promptTokens: 5, completionTokens: 10, totalTokens: 15 });
    expect(modelRequests()[0]?.stream).toBe(true);
  });

  test('streaming tool calls are assembled (parallel, arguments split across chunks)', async () => {
    server.enqueue({
      type: 'tool_calls',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'San Francisco, California' } },
        { id: 'call_given', name: 'get_weather', arguments: { city: 'Reykjavík' } },
      ],
    });
    const chunks = await collect(
      client(provider).stream([{ role: 'user', content: 'Weather?' }], { tools: [WEATHER] }),
    );
    const last = chunks[chunks.length - 1];
    expect(last?.finishReason).toBe('tool_calls');
    expect(last?.toolCalls?.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['get_weather', { city: 'San Francisco, California' }],
      ['get_weather', { city: 'Reykjavík' }],
    ]);
    expect(last?.toolCalls?.[1]?.id).toBe('call_given');
    expect(last?.usage?.totalTokens).toBeGreaterThan(0);
  });

  test('structured output: a validated object; invalid output is re-asked once, then a typed error', async () => {
    const City = z.object({ city: z.string(), population: z.number().int() });
    server.enqueue({ type: 'text', content: '{"city":"Paris","population":2100000}' });
    const llm = client(provider);
    const { object } = await generateObject(llm, [{ role: 'user', content: 'Paris?' }], City);
    expect(object).toEqual({ city: 'Paris', population: 2100000 });
    if (provider === 'anthropic') {
      expect(body(0).output_config).toEqual({
        format: { type: 'json_schema', schema: objectContaining({ type: 'object' }) },
      });
    } else {
      expect(body(0).response_format).toEqual({
        type: 'json_schema',
        json_schema: objectContaining({
          name: 'response',
          schema: objectContaining({ required: ['city', 'population'] }),
        }),
      });
    }

    // Invalid, then valid: the validation message goes back to the model.
    server.reset();
    server.enqueue(
      {
        type: 'text',
        content: '{"city":"Rome","population":"many"}',
        usage: { promptTokens: 4, completionTokens: 2 },
      },
      {
        type: 'text',
        content: '{"city":"Rome","population":2800000}',
        usage: { promptTokens: 9, completionTokens: 2 },
      },
    );
    const r = await llm.generate([{ role: 'user', content: 'Rome?' }], { responseSchema: City });
    expect(r.parsed).toEqual({ city: 'Rome', population: 2800000 });
    expect(r.usage).toEqual({ promptTokens: 13, completionTokens: 4, totalTokens: 17 });
    expect(JSON.stringify(body(1).messages)).toContain('population: Invalid input');

    // Invalid twice (structuredRetries 1 by default): LLM_OUTPUT_INVALID.
    server.reset();
    server.enqueue({ type: 'text', content: 'not json' }, { type: 'text', content: '{"city":1}' });
    const err = await failure(
      llm.generate([{ role: 'user', content: 'x' }], { responseSchema: City }),
    );
    expect(err.code).toBe('LLM_OUTPUT_INVALID');
    expect(err.retryable).toBe(false);
    expect(modelRequests()).toHaveLength(2);

    // structuredRetries: 0 gives up at once.
    server.reset();
    server.enqueue({ type: 'text', content: 'nope' });
    const err0 = await failure(
      llm.generate([{ role: 'user', content: 'x' }], {
        responseSchema: City,
        structuredRetries: 0,
      }),
    );
    expect(err0.code).toBe('LLM_OUTPUT_INVALID');
    expect(modelRequests()).toHaveLength(1);
  });

  test('usage totals over a multi-call conversation match what the server billed', async () => {
    const pinned = [
      { promptTokens: 10, completionTokens: 4 },
      { promptTokens: 25, completionTokens: 6 },
      { promptTokens: 40, completionTokens: 9 },
    ];
    server.enqueue(
      {
        type: 'tool_calls',
        toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
        usage: pinned[0],
      },
      { type: 'text', content: 'Cold.', usage: pinned[1] },
      { type: 'text', content: 'Still cold.', usage: pinned[2] },
    );
    const llm = client(provider);
    const messages: Message[] = [{ role: 'user', content: 'Oslo?' }];
    let total: Usage = emptyUsage();
    const r1 = await llm.generate(messages, { tools: [WEATHER] });
    total = addUsage(total, r1.usage);
    messages.push(r1.message, {
      role: 'tool',
      tool_call_id: r1.toolCalls[0]?.id ?? '',
      content: '-5C',
    });
    const r2 = await llm.generate(messages, { tools: [WEATHER] });
    total = addUsage(total, r2.usage);
    messages.push(r2.message, { role: 'user', content: 'And now?' });
    let streamed: Usage | undefined;
    for await (const c of llm.stream(messages)) if (c.usage) streamed = c.usage;
    total = addUsage(total, streamed);
    expect(total).toEqual({ promptTokens: 75, completionTokens: 19, totalTokens: 94 });
  });

  const errorCases: [number, Record<string, string>, string | undefined, ErrorCode, boolean][] = [
    [429, { 'retry-after': '3' }, undefined, 'LLM_RATE_LIMITED', true],
    [529, {}, undefined, 'LLM_OVERLOADED', true],
    [503, {}, undefined, 'LLM_OVERLOADED', true],
    [500, {}, undefined, 'LLM_SERVER_ERROR', true],
    [408, {}, undefined, 'LLM_TIMEOUT', true],
    [401, {}, undefined, 'LLM_AUTH_ERROR', false],
    [403, {}, undefined, 'LLM_AUTH_ERROR', false],
    [400, {}, 'Invalid value for temperature', 'LLM_BAD_REQUEST', false],
    [404, {}, undefined, 'LLM_NOT_FOUND', false],
    [
      400,
      {},
      provider === 'anthropic'
        ? 'prompt is too long: 210000 tokens > 200000 maximum'
        : "This model's maximum context length is 128000 tokens.",
      'LLM_CONTEXT_TOO_LONG',
      false,
    ],
  ];

  test.each(errorCases)(
    'HTTP %i %j is classified (%s → %s, retryable %s), with no SDK retry',
    async (status, headers, message, code, retryable) => {
      server.enqueue({
        type: 'error',
        status,
        headers,
        ...(message ? { message } : {}),
      });
      const err = await failure(client(provider).generate([{ role: 'user', content: 'x' }]));
      expect(err.code).toBe(code);
      expect(err.retryable).toBe(retryable);
      expect(err.details).toMatchObject({ provider, status });
      if (headers['retry-after']) expect(err.retryAfterSeconds).toBe(3);
      expect(modelRequests()).toHaveLength(1);
    },
  );

  test('the same classification when streaming, and a dropped stream is a retryable timeout', async () => {
    server.enqueue({ type: 'error', status: 529 });
    const overloaded = await failure(
      collect(client(provider).stream([{ role: 'user', content: 'x' }])),
    );
    expect(overloaded.code).toBe('LLM_OVERLOADED');

    server.enqueue({
      type: 'stream_then_fail',
      content: 'partial answer here',
      failAfterChunks: 2,
    });
    const seen: string[] = [];
    const dropped = await failure(
      (async () => {
        for await (const c of client(provider).stream([{ role: 'user', content: 'x' }]))
          seen.push(c.delta);
      })(),
    );
    expect(dropped.code).toBe('LLM_TIMEOUT');
    expect(dropped.retryable).toBe(true);
    expect(seen.join('')).toBe('partial answer');
    if (provider === 'anthropic') {
      // The input tokens billed before the break travel with the error.
      expect(dropped.details.usage).toMatchObject({ promptTokens: 1 });
    }
    expect(modelRequests()).toHaveLength(2);

    // An error event inside a stream that had started (no HTTP status): classified by its type.
    const type = provider === 'anthropic' ? 'overloaded_error' : 'server_error';
    server.enqueue({
      type: 'stream_then_fail',
      content: 'half an answer',
      failAfterChunks: 1,
      error: { type, message: 'Overloaded mid-stream' },
    });
    const midStream = await failure(
      collect(client(provider).stream([{ role: 'user', content: 'x' }])),
    );
    expect(midStream.code).toBe(provider === 'anthropic' ? 'LLM_OVERLOADED' : 'LLM_SERVER_ERROR');
    expect(midStream.retryable).toBe(true);
    expect(midStream.message).toContain('during the stream');
  });

  test('a key never appears in an error message', async () => {
    server.enqueue({
      type: 'error',
      status: 401,
      message: 'Incorrect API key provided: sk-test-openai',
    });
    const err = await failure(client(provider).generate([{ role: 'user', content: 'x' }]));
    expect(err.message).not.toContain('sk-test-openai');
    expect(err.code).toBe('LLM_AUTH_ERROR');
  });
});

describe('createLLMClient chooses by configuration', () => {
  test('each provider by name; a missing key is a configuration error', async () => {
    const base = RuntimeConfig.parse({});
    const thrown = (f: () => unknown): AgentRuntimeError => {
      try {
        f();
      } catch (err) {
        if (AgentRuntimeError.is(err)) return err;
        throw err;
      }
      throw new Error('expected a throw');
    };
    expect(thrown(() => createLLMClient(base, 'openai')).code).toBe('CONFIG_MISSING');
    const missing = thrown(() => createLLMClient(base, 'anthropic'));
    expect(missing.code).toBe('CONFIG_MISSING');
    expect(missing.message).toContain('ANTHROPIC_API_KEY');
    const anthropic = createLLMClient(
      RuntimeConfig.parse({
        modelProvider: 'anthropic',
        anthropicApiKey: 'sk-ant-x',
        anthropicBaseUrl: server.anthropicBaseURL,
      }),
    );
    expect(anthropic).toBeInstanceOf(AnthropicClient);
    expect((anthropic as AnthropicClient).defaultModel).toBe('claude-sonnet-4-6');
    server.enqueue({ type: 'text', content: 'from claude' });
    expect((await anthropic.generate([{ role: 'user', content: 'x' }])).content).toBe(
      'from claude',
    );

    const lite = createLLMClient(
      RuntimeConfig.parse({
        modelProvider: 'litellm',
        litellmBaseUrl: server.openaiBaseURL,
        defaultModel: 'ollama/qwen',
      }),
    );
    expect(lite.provider).toBe('litellm');
    server.enqueue({ type: 'text', content: 'from proxy' });
    const r = await lite.generate([{ role: 'user', content: 'x' }]);
    expect(r.content).toBe('from proxy');
    expect(r.model).toBe('ollama/qwen');
    // No key configured: no Authorization with a real key is sent.
    expect(String(modelRequests().at(-1)?.headers.authorization)).toBe('Bearer not-needed');

    const openai = createLLMClient(
      RuntimeConfig.parse({ openaiApiKey: 'sk-o', openaiBaseUrl: server.openaiBaseURL }),
    );
    expect(openai).toBeInstanceOf(OpenAIClient);
    expect(thrown(() => createLLMClient(base, 'bogus' as never)).code).toBe('CONFIG_INVALID');
  });
});
