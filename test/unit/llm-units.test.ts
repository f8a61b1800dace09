// Pure parts of the LLM layer: streamed-text assembly, cost, Anthropic message translation, the
// in-memory bus's transient channel.
import { addUsage } from '../../src/core/types';
import { InMemoryEventBus } from '../../src/events';
import { toAnthropicMessages } from '../../src/llm/anthropic';
import { estimateCost } from '../../src/llm/cost';
import { StreamedText } from '../../src/llm/deltas';
import { checkStructured, toResponseFormat } from '../../src/runtime/structured-output';
import { z } from 'zod';

const delta = (turn: number, attempt: number, index: number, text: string) => ({
  type: 'assistant.delta',
  payload: { turn, attempt, index, delta: text },
});

test('StreamedText keeps only the latest attempt of each call, whatever order events arrive in', () => {
  const t = new StreamedText();
  t.apply(delta(1, 1, 0, 'bro'));
  t.apply(delta(1, 1, 1, 'ken'));
  expect(t.text(1)).toBe('broken');
  expect(t.apply({ type: 'assistant.retry', payload: { turn: 1, attempt: 2 } })).toBe(true);
  expect(t.text(1)).toBe('');
  t.apply(delta(1, 2, 0, 'good '));
  // A late delta of the failed attempt is ignored.
  expect(t.apply(delta(1, 1, 2, ' junk'))).toBe(false);
  t.apply(delta(1, 2, 1, 'text'));
  t.apply(delta(2, 1, 0, 'next call'));
  expect(t.text(1)).toBe('good text');
  expect(t.text(2)).toBe('next call');
  expect(t.turnNumbers).toEqual([1, 2]);
  expect(t.apply({ type: 'run.started', payload: {} })).toBe(false);
});

test('estimateCost uses exact names, then the longest prefix; unknown models have no cost', () => {
  const prices = {
    'gpt-4o': { promptPerMillion: 2.5, completionPerMillion: 10 },
    'gpt-4o-mini': { promptPerMillion: 0.15, completionPerMillion: 0.6 },
  };
  const u = { promptTokens: 1_000_000, completionTokens: 1_000_000, totalTokens: 2_000_000 };
  expect(estimateCost(u, 'gpt-4o', prices)).toBe(12.5);
  expect(estimateCost(u, 'gpt-4o-mini-2024-07-18', prices)).toBeCloseTo(0.75);
  expect(estimateCost(u, 'claude-x', prices)).toBeUndefined();
  expect(estimateCost(u, 'gpt-4o', undefined)).toBeUndefined();
  expect(addUsage({ ...u, cost: 1 }, { ...u, cost: 2 }).cost).toBe(3);
  expect(addUsage(u, u).cost).toBeUndefined();
});

test('toAnthropicMessages: system prompts collected, tool turns merged, arguments as objects', () => {
  const { system, messages } = toAnthropicMessages([
    { role: 'system', content: 'A' },
    { role: 'user', content: 'q' },
    { role: 'system', content: 'B' },
    {
      role: 'assistant',
      content: 'thinking aloud',
      tool_calls: [
        { id: 't1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
        { id: 't2', type: 'function', function: { name: 'g', arguments: 'not json' } },
      ],
    },
    { role: 'tool', tool_call_id: 't1', content: 'r1' },
    { role: 'tool', tool_call_id: 't2', content: 'r2' },
    { role: 'user', content: 'more' },
    { role: 'user', content: 'and more' },
  ]);
  expect(system).toBe('A\n\nB');
  expect(messages).toEqual([
    { role: 'user', content: [{ type: 'text', text: 'q' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'thinking aloud' },
        { type: 'tool_use', id: 't1', name: 'f', input: { x: 1 } },
        { type: 'tool_use', id: 't2', name: 'g', input: { _raw_arguments: 'not json' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'r1' },
        { type: 'tool_result', tool_use_id: 't2', content: 'r2' },
        { type: 'text', text: 'more' },
        { type: 'text', text: 'and more' },
      ],
    },
  ]);
});

test('structured output helpers: JSON Schema from zod, fenced JSON accepted, clear messages', () => {
  const S = z.object({ a: z.number() });
  expect(toResponseFormat(S).schema).toMatchObject({
    type: 'object',
    properties: { a: { type: 'number' } },
  });
  expect(checkStructured(S, '```json\n{"a":1}\n```')).toEqual({ ok: true, value: { a: 1 } });
  const bad = checkStructured(S, '{"a":"x"}');
  expect(bad.ok).toBe(false);
  expect(!bad.ok && bad.error).toContain('a: Invalid input');
  expect(() => toResponseFormat(z.object({ d: z.date() }))).toThrow(/JSON Schema/);
});

test('in-memory bus: transient events reach live subscribers in order, are not stored, close ends them', async () => {
  const bus = new InMemoryEventBus();
  const sub = await bus.subscribeTransient('run-1');
  const other = await bus.subscribeTransient('run-2');
  const ts = new Date().toISOString();
  for (let i = 0; i < 5; i++) {
    await bus.publishTransient({
      runId: 'run-1',
      type: 'assistant.delta',
      payload: { i },
      timestamp: ts,
    });
  }
  const got: number[] = [];
  for await (const e of sub) {
    got.push(e.payload.i as number);
    if (got.length === 5) break;
  }
  expect(got).toEqual([0, 1, 2, 3, 4]);
  expect(await bus.getEvents('run-1')).toEqual([]);
  await other.close();
  const after: unknown[] = [];
  for await (const e of other) after.push(e);
  expect(after).toEqual([]);
  await expect(
    bus.publishTransient({ runId: 'bad\u0000id', type: 'x', payload: {}, timestamp: ts }),
  ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  await bus.close();
});
