// The seed README's "Creating an Agent" and "Testing" examples, in TypeScript, with no Temporal.
import {
  AgentRuntime,
  EventType,
  getLLMClient,
  type RunContext,
  type RunResultInit,
} from '../../src/index';
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
  const mockLlm = new MockLLMClient({ responses: [{ role: 'assistant', content: 'Hi there!' }] });
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

test('getLLMClient outside a run builds a client from configuration (missing key: clear error)', () => {
  expect(() => getLLMClient('openai', { apiKey: '' })).toThrow(/no API key/);
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
