// The seed README's "Creating an Agent" and "Testing" examples, in TypeScript, with no Temporal.
import { z } from 'zod';
import { AgentRuntimeError, EventType, type LLMClient, createLLMClient } from '../../src/index';
import { AgentRuntime, getLLMClient, type RunContext, type RunResultInit } from '../../workflows';
import { MockLLMClient, createTestContext, runAgentTest } from '../../src/testing';

class MyAgent extends AgentRuntime {
  get key(): string {
    return 'my-agent';
  }

  async run(ctx: RunContext): Promise<RunResultInit> {
    const messages = ctx.inputMessages;
    const llm = getLLMClient();
    const response = await llm.generate(messages);
    await ctx.emit(EventType.ASSISTANT_MESSAGE, { content: response.message.content });
    return {
      finalOutput: { response: response.message.content },
      finalMessages: [response.message],
    };
  }
}

test('runAgentTest runs the seed example with MockLLMClient', async () => {
  const mockLlm = new MockLLMClient({
    responses: [{ role: 'assistant', content: 'Hi there!' }],
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  });
  const ctx = createTestContext({
    inputMessages: [{ role: 'user', content: 'Hello!' }],
    llm: mockLlm,
  });
  const result = await runAgentTest(new MyAgent(), ctx);
  expect(result.error).toBeUndefined();
  expect(result.finalOutput.response).toBe('Hi there!');
  expect(result.finalMessages).toEqual([{ role: 'assistant', content: 'Hi there!' }]);
  expect(result.usage).toEqual({ promptTokens: 10, completionTokens: 5, totalTokens: 15 });
  // The runtime's own assistant.message (with usage), then the one the agent emits.
  expect(ctx.eventTypes()).toEqual([
    'run.started',
    'assistant.message',
    'assistant.message',
    'run.succeeded',
  ]);
  expect(ctx.events[1]?.payload).toMatchObject({
    turn: 1,
    content: 'Hi there!',
    usage: { totalTokens: 15 },
  });
  expect(mockLlm.calls[0]?.messages).toEqual([{ role: 'user', content: 'Hello!' }]);
});

test('a response function answers once scripted responses run out; running dry is a clear error', async () => {
  const llm = new MockLLMClient({
    responses: [{ role: 'assistant', content: 'first' }],
    respond: (msgs) => ({ role: 'assistant', content: `echo ${msgs.length}` }),
  });
  expect((await llm.generate([{ role: 'user', content: 'a' }])).content).toBe('first');
  expect(
    (
      await llm.generate([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ])
    ).content,
  ).toBe('echo 2');
  const dry = new MockLLMClient();
  await expect(dry.generate([])).rejects.toThrow(/no scripted response/);
});

test('tool calls in a scripted message come back as toolCalls; stream yields the text', async () => {
  const llm = new MockLLMClient([
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }],
    },
    { role: 'assistant', content: 'two words' },
  ]);
  const r = await llm.generate([]);
  expect(r.toolCalls).toEqual([{ id: 'c1', name: 'f', arguments: '{"x":1}' }]);
  expect(r.finishReason).toBe('tool_calls');
  let text = '';
  for await (const c of llm.stream([])) text += c.delta;
  expect(text).toBe('two words');
});

test('an agent that throws gives a result with error and a run.failed event', async () => {
  class Broken extends AgentRuntime {
    get key() {
      return 'broken';
    }
    async run(): Promise<RunResultInit> {
      throw new TypeError('bad');
    }
  }
  const ctx = createTestContext();
  const result = await runAgentTest(new Broken(), ctx);
  expect(result.error).toMatchObject({ type: 'TypeError', message: 'bad' });
  expect(ctx.eventTypes()).toEqual(['run.started', 'run.failed']);
});

test('checkpoint and getState keep a copy; cancel sets isCancelled', async () => {
  const ctx = createTestContext();
  const state = { step: 1 };
  await ctx.checkpoint(state);
  state.step = 2;
  expect(await ctx.getState()).toEqual({ step: 1 });
  expect(ctx.isCancelled()).toBe(false);
  ctx.cancel();
  expect(ctx.isCancelled()).toBe(true);
});

test('getLLMClient outside a run is a clear error; createLLMClient builds one from settings', () => {
  expect(() => getLLMClient()).toThrow(/outside a run/);
  expect(() => createLLMClient(undefined, 'openai', { apiKey: '' })).toThrow(/no API key/);
});

test('a test context with a conversation history behaves like a run that loaded it', async () => {
  const ctx = createTestContext({
    history: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ],
    inputMessages: [{ role: 'user', content: 'And then?' }],
    llm: new MockLLMClient({
      respond: (msgs) => ({ role: 'assistant', content: `${msgs.length}` }),
    }),
  });
  expect(ctx.history).toHaveLength(2);
  expect(ctx.inputMessages.map((m) => m.content)).toEqual(['Hi', 'Hello!', 'And then?']);
  const result = await runAgentTest(new MyAgent(), ctx);
  expect(result.finalOutput.response).toBe('3');
});

test('MockLLMClient estimates usage from the content unless the script or options give some', async () => {
  const llm = new MockLLMClient([
    { role: 'assistant', content: 'twelve chars' },
    {
      message: { role: 'assistant', content: 'paid' },
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    },
  ]);
  // About one token per 4 characters: 16 characters sent, 12 answered.
  expect((await llm.generate([{ role: 'user', content: 'sixteen chars...' }])).usage).toEqual({
    promptTokens: 4,
    completionTokens: 3,
    totalTokens: 7,
  });
  expect((await llm.generate([])).usage).toEqual({
    promptTokens: 3,
    completionTokens: 2,
    totalTokens: 5,
  });
  const fixed = new MockLLMClient({
    responses: [{ role: 'assistant', content: 'x' }],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
  });
  expect((await fixed.generate([])).usage.totalTokens).toBe(0);
});

test('the seed Testing block as written: a MockLLMClient created after the context is picked up', async () => {
  const ctx = createTestContext({ inputMessages: [{ role: 'user', content: 'Hello!' }] });
  const mockLlm = new MockLLMClient({ responses: [{ role: 'assistant', content: 'Hi there!' }] });
  const result = await runAgentTest(new MyAgent(), ctx);
  expect(result.finalOutput).toEqual({ response: 'Hi there!' });
  expect(ctx.modelClient).toBe(mockLlm);
  expect(mockLlm.calls).toHaveLength(1);
  // Taken once: a later context without llm does not reuse it.
  expect(createTestContext().modelClient).not.toBe(mockLlm);
});

test('assertComplete fails on an unexpected call even if the agent caught its error', async () => {
  const llm = new MockLLMClient([{ role: 'assistant', content: 'only one' }]);
  await llm.generate([]);
  await expect(llm.generate([])).rejects.toMatchObject({ code: 'LLM_ERROR' });
  expect(() => llm.assertComplete()).toThrow(/1 unexpected call/);
});

test('assertComplete throws while scripted responses are left; a respond function is no script', async () => {
  const llm = new MockLLMClient([
    { role: 'assistant', content: 'one' },
    { role: 'assistant', content: 'two' },
  ]);
  await llm.generate([]);
  expect(llm.remaining).toBe(1);
  expect(() => llm.assertComplete()).toThrow(/1 scripted response\(s\) not used after 1 call/);
  await llm.generate([]);
  expect(() => llm.assertComplete()).not.toThrow();
  const open = new MockLLMClient({ respond: () => ({ role: 'assistant', content: 'any' }) });
  expect(() => open.assertComplete()).not.toThrow();
});

test('runAgentTest rejects when the agent left scripted responses unused (unless told not to check)', async () => {
  const script = () =>
    new MockLLMClient([
      { role: 'assistant', content: 'used' },
      { role: 'assistant', content: 'never asked for' },
    ]);
  await expect(runAgentTest(new MyAgent(), createTestContext({ llm: script() }))).rejects.toThrow(
    /1 scripted response\(s\) not used/,
  );
  const result = await runAgentTest(new MyAgent(), createTestContext({ llm: script() }), {
    assertComplete: false,
  });
  expect(result.finalOutput.response).toBe('used');
});

test('a failed run is not checked for unused scripted responses: it stopped early', async () => {
  const llm = new MockLLMClient([
    { role: 'assistant', content: 'first' },
    { role: 'assistant', content: 'never reached' },
  ]);
  class FailsAfterOneCall extends AgentRuntime {
    get key() {
      return 'fails-after-one-call';
    }
    async run(ctx: RunContext): Promise<RunResultInit> {
      await ctx.llm.generate(ctx.inputMessages);
      throw new TypeError('bad');
    }
  }
  const result = await runAgentTest(new FailsAfterOneCall(), createTestContext({ llm }));
  expect(result.error).toMatchObject({ type: 'TypeError' });
  expect(llm.remaining).toBeGreaterThan(0);
});

test('run events carry what a real run puts in them: run.started fields, the model call, run.succeeded', async () => {
  const ctx = createTestContext({
    runId: 'run-1',
    conversationId: 'conv-1',
    history: [{ role: 'user', content: 'earlier' }],
    inputMessages: [{ role: 'user', content: 'now' }],
    llm: new MockLLMClient([{ role: 'assistant', content: 'ok' }]),
  });
  await runAgentTest(new MyAgent(), ctx);
  expect(ctx.events.map((e) => [e.seq, e.runId])).toEqual([1, 2, 3, 4].map((n) => [n, 'run-1']));
  expect(ctx.events[0]?.payload).toEqual({
    agentKey: 'my-agent',
    conversationId: 'conv-1',
    messageCount: 1,
    attempt: 1,
  });
  expect(Object.keys(ctx.events[1]?.payload ?? {})).toEqual([
    'turn',
    'model',
    'finishReason',
    'content',
    'toolCalls',
    'usage',
    'latencyMs',
  ]);
  expect(ctx.events[3]?.payload).toEqual({
    finalOutput: { response: 'ok' },
    usage: ctx.events[1]?.payload.usage,
  });
  expect(ctx.events[1]?.payload.usage).toMatchObject({ completionTokens: 1 });
});

test('as in a run: a streamed call is one chunk, structured output is validated and re-asked', async () => {
  const llm = new MockLLMClient([
    { role: 'assistant', content: 'streamed whole' },
    { role: 'assistant', content: 'not json' },
    { role: 'assistant', content: '{"n":2}' },
  ]);
  const ctx = createTestContext({ llm });
  const chunks: string[] = [];
  for await (const c of ctx.llm.stream([])) chunks.push(c.delta);
  expect(chunks).toEqual(['streamed whole']);
  const r = await ctx.llm.generate([], { responseSchema: z.object({ n: z.number() }) });
  expect(r.parsed).toEqual({ n: 2 });
  // The re-ask is a model call of its own, with its own event; the schema never reached the client.
  expect(ctx.eventTypes()).toEqual(['assistant.message', 'assistant.message', 'assistant.message']);
  expect(llm.calls[1]?.options).not.toHaveProperty('responseSchema');
  expect(llm.calls[1]?.options.responseFormat?.type).toBe('json_schema');
});

test('a failed model call reaches the agent as a run reports it, with its billed usage counted', async () => {
  const billed = { promptTokens: 8, completionTokens: 1, totalTokens: 9 };
  const broken: LLMClient = {
    provider: 'broken',
    generate: () =>
      Promise.reject(
        new AgentRuntimeError('LLM_SERVER_ERROR', 'stream broke', { details: { usage: billed } }),
      ),
    stream: () => {
      throw new TypeError('no stream');
    },
  };
  const ctx = createTestContext({ llm: broken });
  const result = await runAgentTest(new MyAgent(), ctx);
  // After the retry policy gave up, a run's error is not retryable any more.
  expect(result.error).toMatchObject({ type: 'LLM_SERVER_ERROR', retryable: false });
  expect(result.usage).toEqual(billed);
  expect(ctx.eventTypes()).toEqual(['run.started', 'run.failed']);
});

test("an onError hook that throws gives its own error's ErrorInfo, as in a run", async () => {
  class BadHook extends AgentRuntime {
    get key() {
      return 'bad-hook';
    }
    async run(): Promise<RunResultInit> {
      throw new Error('first');
    }
    override async onError(): Promise<undefined> {
      throw new RangeError('hook broke');
    }
  }
  const result = await runAgentTest(new BadHook());
  expect(result.error).toMatchObject({ type: 'RangeError', message: 'hook broke' });
});
