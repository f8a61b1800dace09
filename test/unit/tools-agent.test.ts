// ToolCallingAgent without Temporal (tools run in-process): the loop, hooks, usage, budget.
import { z } from 'zod';
import type { JsonValue, RunResultInit } from '../../src/core/types';
import type { RunContext } from '../../src/runtime/context';
import { ToolCallingAgent } from '../../src/runtime/tool-calling-agent';
import { createTestContext, runAgentTest } from '../../src/testing/mock-context';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { defineTool } from '../../src/tools/tool';

const add = defineTool({
  name: 'add',
  description: 'Adds.',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});

function toolCall(id: string, name: string, args: string) {
  return { id, type: 'function' as const, function: { name, arguments: args } };
}

class Calc extends ToolCallingAgent {
  readonly log: string[] = [];
  constructor(private readonly budget = 10) {
    super();
  }
  get key() {
    return 'calc';
  }
  get systemPrompt() {
    return 'You add numbers.';
  }
  get tools() {
    return [add];
  }
  override get maxIterations() {
    return this.budget;
  }
  override get model() {
    return 'calc-model';
  }
  override async beforeRun() {
    this.log.push('beforeRun');
  }
  override async onToolCall(_ctx: RunContext, name: string, args: Record<string, unknown>) {
    this.log.push(`call ${name} ${JSON.stringify(args)}`);
  }
  override async onToolResult(_ctx: RunContext, name: string, result: JsonValue) {
    this.log.push(`result ${name} ${JSON.stringify(result)}`);
    return { value: result };
  }
  override async afterRun(_ctx: RunContext, result: RunResultInit) {
    this.log.push('afterRun');
    return { ...result, artifacts: { checked: true } };
  }
}

test('the loop: parallel calls, errors shown to the model, hooks, whole conversation, summed usage', async () => {
  const llm = new MockLLMClient({
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    responses: [
      {
        role: 'assistant',
        content: null,
        tool_calls: [toolCall('a', 'add', '{"a":1,"b":2}'), toolCall('b', 'nope', '{}')],
      },
      { role: 'assistant', content: '3' },
    ],
  });
  const agent = new Calc();
  const ctx = createTestContext({ inputMessages: [{ role: 'user', content: '1+2?' }], llm });
  const result = await runAgentTest(agent, ctx);
  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({ response: '3' });
  expect(result.artifacts).toEqual({ checked: true });
  expect(result.usage).toEqual({ promptTokens: 20, completionTokens: 10, totalTokens: 30 });
  expect(result.finalMessages.map((m) => m.role)).toEqual([
    'system',
    'user',
    'assistant',
    'tool',
    'tool',
    'assistant',
  ]);
  expect(result.finalMessages[3]).toEqual({
    role: 'tool',
    tool_call_id: 'a',
    content: '{"value":3}',
  });
  expect(result.finalMessages[4]?.content).toMatch(/^Error: Tool not found: nope/);
  expect(agent.log).toEqual(['beforeRun', 'call add {"a":1,"b":2}', 'result add 3', 'afterRun']);
  expect(llm.calls[0]?.options.tools?.map((t) => t.function.name)).toEqual(['add']);
  expect(llm.calls[0]?.options.model).toBe('calc-model');
  // (assistant.* events, if the LLM client emits them, are not the agent's business here)
  expect(ctx.eventTypes().filter((t) => !t.startsWith('assistant.'))).toEqual([
    'run.started',
    'tool.call',
    'tool.call',
    'tool.result',
    'tool.result',
    'run.succeeded',
  ]);
});

test('running out of iterations is a MAX_ITERATIONS_EXCEEDED error, not an empty answer', async () => {
  const llm = new MockLLMClient({
    respond: () => ({
      role: 'assistant',
      content: null,
      tool_calls: [toolCall('x', 'add', '{"a":1,"b":1}')],
    }),
  });
  const result = await runAgentTest(new Calc(3), createTestContext({ llm }));
  expect(result.error?.type).toBe('MAX_ITERATIONS_EXCEEDED');
  expect(llm.calls).toHaveLength(3);
});

test('maxIterations below 1 is CONFIG_INVALID', async () => {
  const result = await runAgentTest(new Calc(0), createTestContext());
  expect(result.error?.type).toBe('CONFIG_INVALID');
});
