// The mock LLM server, driven through the official `openai` client over real HTTP: what the client
// sees (shapes, streams, errors) and what the server records (headers, bodies, aborts).
import OpenAI, {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';

const API_KEY = 'sk-test-mock-123';
const USER = { role: 'user' as const, content: 'What is the weather in Paris?' };

let llm: MockLLMServer;
let openai: OpenAI;

beforeAll(async () => {
  llm = await startMockLLMServer();
  openai = new OpenAI({ apiKey: API_KEY, baseURL: llm.openaiBaseURL, maxRetries: 0 });
});

afterEach(() => llm.reset());

afterAll(async () => {
  await llm.close();
});

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Rebuilds streamed tool calls from their `index`-keyed deltas. */
function assembleToolCalls(chunks: ChatCompletionChunk[]) {
  const calls: Array<{ id?: string; name: string; arguments: string; argumentChunks: number }> = [];
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[delta.index] ??= { name: '', arguments: '', argumentChunks: 0 });
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) {
        call.arguments += delta.function.arguments;
        call.argumentChunks += 1;
      }
    }
  }
  return calls;
}

describe('startMockLLMServer', () => {
  it('answers a chat completion with the scripted text', async () => {
    llm.enqueue({ type: 'text', content: 'It is sunny in Paris.' });

    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [USER],
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'It is sunny in Paris.',
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(llm.queueLength).toBe(0);
  });

  it('plays enqueued replies in order, then falls back to the default reply quoting the user', async () => {
    llm.enqueue({ type: 'text', content: 'first' }, { type: 'text', content: 'second' });
    const ask = async (content: string) =>
      (
        await openai.chat.completions.create({
          model: 'm',
          messages: [
            { role: 'user', content: 'earlier question' },
            { role: 'assistant', content: 'earlier answer' },
            { role: 'user', content },
          ],
        })
      ).choices[0]?.message.content;

    expect(await ask('a')).toBe('first');
    expect(await ask('b')).toBe('second');
    const fallback = await ask('Tell me a joke');
    expect(fallback).toContain('"Tell me a joke"');
    expect(fallback).not.toContain('earlier question');
    expect(await ask('Tell me a joke')).toBe(fallback);
  });

  it('returns parallel tool calls with ids, names and JSON arguments', async () => {
    llm.enqueue({
      type: 'tool_calls',
      toolCalls: [
        { id: 'call_weather', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { name: 'get_time', arguments: { tz: 'Europe/Paris' } },
      ],
    });

    const completion = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [USER],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } },
      ],
    });

    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const calls = choice?.message.tool_calls ?? [];
    expect(calls).toHaveLength(2);
    const [weather, time] = calls;
    expect(weather?.id).toBe('call_weather');
    expect(weather?.type).toBe('function');
    expect(time?.id).toMatch(/^call_mock_\d+_1$/);
    if (weather?.type !== 'function' || time?.type !== 'function') throw new Error('not functions');
    expect(weather.function.name).toBe('get_weather');
    expect(JSON.parse(weather.function.arguments)).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(time.function.name).toBe('get_time');
    expect(JSON.parse(time.function.arguments)).toEqual({ tz: 'Europe/Paris' });
  });

  it('streams text in several chunks that assemble to the scripted content', async () => {
    const content = 'The weather in Paris is sunny with a light breeze and 21 degrees.';
    llm.enqueue({ type: 'text', content });

    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [USER],
      stream: true,
    });
    const chunks = await collect(stream);

    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(content);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason ?? null);
    expect(finishes.filter((f) => f !== null)).toEqual(['stop']);
    expect(finishes.at(-1)).toBe('stop');
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(llm.requests[0]?.stream).toBe(true);
  });

  it('streams parallel tool calls with arguments split over several deltas', async () => {
    llm.enqueue({
      type: 'tool_calls',
      content: 'Let me check.',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris', days: 3 } },
        { id: 'call_b', name: 'get_weather', arguments: { city: 'Lyon', days: 1 } },
      ],
    });

    const chunks = await collect(
      await openai.chat.completions.create({ model: 'm', messages: [USER], stream: true }),
    );

    const calls = assembleToolCalls(chunks);
    expect(calls.map((c) => [c.id, c.name])).toEqual([
      ['call_a', 'get_weather'],
      ['call_b', 'get_weather'],
    ]);
    expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual({ city: 'Paris', days: 3 });
    expect(JSON.parse(calls[1]?.arguments ?? '')).toEqual({ city: 'Lyon', days: 1 });
    expect(calls.every((c) => c.argumentChunks > 1)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Let me check.');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams chunks the official stream helper accumulates into a complete message', async () => {
    llm.enqueue({
      type: 'tool_calls',
      toolCalls: [{ id: 'call_x', name: 'lookup', arguments: { query: 'temporal workflows' } }],
    });

    const final = await openai.chat.completions
      .stream({ model: 'm', messages: [USER], stream_options: { include_usage: true } })
      .finalChatCompletion();

    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.id).toBe('call_x');
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function).toEqual({ name: 'lookup', arguments: '{"query":"temporal workflows"}' });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('reports deterministic word-count usage, and pinned usage when scripted', async () => {
    llm.enqueue(
      { type: 'text', content: 'It is sunny.' },
      { type: 'text', content: 'x', usage: { promptTokens: 11, completionTokens: 7 } },
    );

    const estimated = await openai.chat.completions.create({ model: 'm', messages: [USER] });
    const pinned = await openai.chat.completions.create({ model: 'm', messages: [USER] });

    // "What is the weather in Paris?" = 6 words; "It is sunny." = 3 words.
    expect(estimated.usage).toMatchObject({
      prompt_tokens: 6,
      completion_tokens: 3,
      total_tokens: 9,
    });
    expect(pinned.usage).toMatchObject({
      prompt_tokens: 11,
      completion_tokens: 7,
      total_tokens: 18,
    });
  });

  it('sends the final usage chunk when stream_options.include_usage is set', async () => {
    llm.enqueue({ type: 'text', content: 'one two three four five' });

    const chunks = await collect(
      await openai.chat.completions.create({
        model: 'm',
        messages: [USER],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );

    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 5, total_tokens: 11 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('returns a 429 whose retry-after header and error body reach the client', async () => {
    llm.enqueue({ type: 'error', status: 429, headers: { 'retry-after': '1' } });

    const error: unknown = await openai.chat.completions
      .create({ model: 'm', messages: [USER] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('1');
    expect(apiError.code).toBe('rate_limit_exceeded');
    expect(apiError.type).toBe('requests');
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]?.status).toBe(429);
  });

  it('returns a 500 with a scripted message, type and code', async () => {
    llm.enqueue({
      type: 'error',
      status: 500,
      message: 'upstream exploded',
      errorType: 'server_error',
      code: 'boom',
    });

    const error: unknown = await openai.chat.completions
      .create({ model: 'm', messages: [USER] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InternalServerError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(500);
    expect(apiError.message).toContain('upstream exploded');
    expect(apiError.type).toBe('server_error');
    expect(apiError.code).toBe('boom');
  });

  it('returns an error status for a streaming request before any chunk', async () => {
    llm.enqueue({ type: 'error', status: 503 });

    const error: unknown = await openai.chat.completions
      .create({ model: 'm', messages: [USER], stream: true })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(503);
  });

  it('keeps a hang open until the client aborts, and records the abort', async () => {
    llm.enqueue({ type: 'hang' });
    const controller = new AbortController();

    const pending = openai.chat.completions
      .create({ model: 'm', messages: [USER] }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await llm.waitFor((requests) => requests[0]?.reply?.type === 'hang');
    expect(llm.requests[0]?.completedAt).toBeUndefined();
    controller.abort();

    expect(await pending).toBeInstanceOf(APIUserAbortError);
    await llm.waitFor((requests) => requests[0]?.aborted === true);
    expect(llm.requests[0]).toMatchObject({ aborted: true, dropped: false });
    expect(llm.requests[0]?.status).toBeUndefined();
    expect(llm.requests[0]?.completedAt).toEqual(expect.any(Number));
  });

  it('sends malformed tool-call arguments verbatim, streamed or not', async () => {
    const broken = '{"city": "Par';
    llm.enqueue(
      { type: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: broken }] },
      { type: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: broken }] },
    );

    const completion = await openai.chat.completions.create({ model: 'm', messages: [USER] });
    const streamed = assembleToolCalls(
      await collect(
        await openai.chat.completions.create({ model: 'm', messages: [USER], stream: true }),
      ),
    );

    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.arguments).toBe(broken);
    expect(streamed[0]?.arguments).toBe(broken);
  });

  it('makes the client stream throw after some chunks with stream_then_fail', async () => {
    llm.enqueue({
      type: 'stream_then_fail',
      content: 'This answer will be cut off halfway through.',
      failAfterChunks: 3,
    });

    const seen: string[] = [];
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [USER],
      stream: true,
    });
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().then(
      () => undefined,
      (e: unknown) => e,
    );

    // An Error from Node's fetch (another realm than Jest's, so no toBeInstanceOf(Error)).
    expect(Object.prototype.toString.call(failure)).toBe('[object Error]');
    expect(seen.join('')).toBe('This answer will');
    await llm.waitFor((requests) => requests[0]?.completedAt !== undefined);
    expect(llm.requests[0]).toMatchObject({ status: 200, dropped: true, aborted: false });
  });

  it('makes a non-streaming request fail with a connection error with stream_then_fail', async () => {
    llm.enqueue({ type: 'stream_then_fail', content: 'cut', failAfterChunks: 0 });

    const error: unknown = await openai.chat.completions
      .create({ model: 'm', messages: [USER] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIConnectionError);
  });

  it('records the method, path, Authorization header and parsed body of each request', async () => {
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'Be brief.' }, USER],
      temperature: 0.2,
    });

    expect(llm.requests).toHaveLength(1);
    const [recorded] = llm.requests;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', stream: false });
    expect(recorded?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(recorded?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'Be brief.' }, USER],
      temperature: 0.2,
    });
    expect(recorded?.status).toBe(200);
    expect(recorded?.aborted).toBe(false);
  });

  it('lets a handler decide replies from the request when the queue is empty', async () => {
    const handler = jest.fn((request: { body: unknown }) => {
      const body = request.body as { model?: string };
      return { type: 'text' as const, content: `handled for ${body.model ?? '?'}` };
    });
    llm.setHandler(handler);
    llm.enqueue({ type: 'text', content: 'queued first' });

    const first = await openai.chat.completions.create({ model: 'alpha', messages: [USER] });
    const second = await openai.chat.completions.create({ model: 'beta', messages: [USER] });

    expect(first.choices[0]?.message.content).toBe('queued first');
    expect(second.choices[0]?.message.content).toBe('handled for beta');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers a handler that throws with a 500 that names the failure', async () => {
    llm.setHandler(() => {
      throw new Error('no script for this turn');
    });

    const error: unknown = await openai.chat.completions
      .create({ model: 'm', messages: [USER] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as APIError).message).toContain('no script for this turn');
  });

  it('reset() clears recorded requests, queued replies and the handler', async () => {
    llm.enqueue({ type: 'text', content: 'stale 1' }, { type: 'text', content: 'stale 2' });
    llm.setHandler(() => ({ type: 'text', content: 'custom handler' }));
    await openai.chat.completions.create({ model: 'm', messages: [USER] });
    expect(llm.requests).toHaveLength(1);
    expect(llm.queueLength).toBe(1);

    llm.reset();

    expect(llm.requests).toHaveLength(0);
    expect(llm.queueLength).toBe(0);
    const after = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'fresh start' }],
    });
    expect(after.choices[0]?.message.content).toContain('"fresh start"');
    expect(llm.requests).toHaveLength(1);
  });

  it('lists models on GET /v1/models', async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);

    expect(ids).toContain('mock-model');
    expect(llm.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models', status: 200 });
  });

  it('answers unknown routes with a 404 and bad JSON with a 400, in OpenAI error format', async () => {
    const unknown = await fetch(`${llm.url}/v1/embeddings-nope`, { method: 'POST', body: '{}' });
    const badJson = await fetch(`${llm.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "m", "messages": [',
    });
    const noMessages = await fetch(`${llm.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "m"}',
    });

    type ErrorBody = { error: { message: string; type: string; param: unknown; code: unknown } };
    expect(unknown.status).toBe(404);
    const notFound = (await unknown.json()) as ErrorBody;
    expect(notFound.error.message).toContain('Invalid URL (POST /v1/embeddings-nope)');
    expect(notFound.error).toMatchObject({
      type: 'invalid_request_error',
      param: null,
      code: 'unknown_url',
    });
    expect(badJson.status).toBe(400);
    const unparsable = (await badJson.json()) as ErrorBody;
    expect(unparsable.error.message).toContain('parse the JSON');
    expect(unparsable.error).toMatchObject({
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(noMessages.status).toBe(400);
    expect(await noMessages.json()).toMatchObject({ error: { param: 'messages' } });
    expect(llm.requests.map((r) => r.status)).toEqual([404, 400, 400]);
    expect(llm.requests[1]?.body).toBe('{"model": "m", "messages": [');
  });

  it('rejects malformed scripted replies when they are enqueued', () => {
    expect(() => llm.enqueue({ type: 'error', status: 200 })).toThrow(TypeError);
    expect(() => llm.enqueue({ type: 'tool_calls', toolCalls: [] })).toThrow(/non-empty/);
    expect(() =>
      llm.enqueue({ type: 'stream_then_fail', content: 'x', failAfterChunks: -1 }),
    ).toThrow(/failAfterChunks/);
    expect(llm.queueLength).toBe(0);
  });

  it('waitFor rejects with a summary of the recorded requests after its timeout', async () => {
    await openai.chat.completions.create({ model: 'm', messages: [USER] });

    await expect(llm.waitFor((requests) => requests.length > 5, 50)).rejects.toThrow(
      /not met within 50 ms \(1 request\(s\) recorded: #\d+ POST \/v1\/chat\/completions status=200/,
    );
  });
});

describe('MockLLMServer.close()', () => {
  let server: MockLLMServer;

  beforeEach(async () => {
    server = await startMockLLMServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it('ends hanging requests and stops listening', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: server.openaiBaseURL, maxRetries: 0 });
    server.enqueue({ type: 'hang' }, { type: 'hang' });
    const pending = [
      client.chat.completions.create({ model: 'm', messages: [USER] }).catch((e: unknown) => e),
      client.chat.completions
        .create({ model: 'm', messages: [USER], stream: true })
        .catch((e: unknown) => e),
    ];
    await server.waitFor(
      (requests) => requests.filter((r) => r.reply?.type === 'hang').length === 2,
    );

    await server.close();

    const errors = await Promise.all(pending);
    expect(errors[0]).toBeInstanceOf(APIConnectionError);
    expect(errors[1]).toBeInstanceOf(APIConnectionError);
    expect(server.requests.map((r) => [r.dropped, r.aborted])).toEqual([
      [true, false],
      [true, false],
    ]);
    await expect(fetch(`${server.url}/v1/models`)).rejects.toThrow();
  });
});
