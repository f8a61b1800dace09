// The run-input check of agentRunWorkflow (a plain check, no zod schema per run) accepts and
// rejects what the zod schema of the same input accepts and rejects.
import { z } from 'zod';
import { Message } from '../../../src/core/types';
import { checkMessage, checkRunInput } from '../../../workflows/run-input-check';

const InputSchema = z.object({
  agentKey: z.string().min(1),
  runId: z.string().min(1),
  conversationId: z.string().optional(),
  messages: z.array(Message),
  params: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  runTimeout: z.union([z.string(), z.number()]).optional(),
  modelCall: z.record(z.string(), z.unknown()).optional(),
  persistence: z
    .object({
      runEvents: z.boolean().optional(),
      conversations: z.boolean().optional(),
      checkpoints: z.boolean().optional(),
    })
    .optional(),
});

const valid = { agentKey: 'a', runId: 'r', messages: [{ role: 'user', content: 'hi' }] };

const messages: unknown[] = [
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: null, tool_calls: [] },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
  },
  { role: 'tool', tool_call_id: 'c', content: 'r', name: 'f', metadata: { x: 1 } },
  { role: 'user', content: [{ type: 'text', text: 'hi' }] },
  { role: 'system' },
  { role: 'robot', content: 'hi' },
  { content: 'hi' },
  { role: 'user', content: 3 },
  { role: 'user', content: [1] },
  { role: 'user', content: [null] },
  { role: 'user', content: [[]] },
  { role: 'user', name: 1 },
  { role: 'tool', tool_call_id: null },
  { role: 'assistant', tool_calls: {} },
  {
    role: 'assistant',
    tool_calls: [{ id: 'c', type: 'other', function: { name: 'f', arguments: '' } }],
  },
  { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] },
  {
    role: 'assistant',
    tool_calls: [{ id: 1, type: 'function', function: { name: 'f', arguments: '' } }],
  },
  { role: 'user', metadata: [] },
  { role: 'user', metadata: null },
  null,
  'hi',
  [],
];

const inputs: unknown[] = [
  valid,
  { ...valid, conversationId: 'c', params: {}, metadata: { a: 1 }, runTimeout: '5m' },
  { ...valid, runTimeout: 3000, modelCall: { transcript: 'full' } },
  { ...valid, persistence: { runEvents: true, conversations: false } },
  { ...valid, persistence: {} },
  { ...valid, agentKey: '' },
  { ...valid, agentKey: 1 },
  { ...valid, runId: undefined },
  { ...valid, conversationId: 1 },
  { ...valid, messages: undefined },
  { ...valid, messages: {} },
  { ...valid, messages: [{ role: 'robot' }] },
  { ...valid, params: [] },
  { ...valid, params: null },
  { ...valid, metadata: 'x' },
  { ...valid, runTimeout: true },
  { ...valid, runTimeout: null },
  { ...valid, modelCall: 'x' },
  { ...valid, persistence: { runEvents: 'yes' } },
  { ...valid, persistence: null },
  null,
  undefined,
  'input',
  [],
];

describe('checkRunInput', () => {
  it.each(messages.map((m) => [JSON.stringify(m), m]))(
    'agrees with the Message schema on %s',
    (_, m) => {
      expect(checkMessage(m, 'm') === undefined).toBe(Message.safeParse(m).success);
    },
  );

  it.each(inputs.map((i) => [JSON.stringify(i) ?? 'undefined', i]))(
    'agrees with the zod run-input schema on %s',
    (_, input) => {
      expect(checkRunInput(input) === undefined).toBe(InputSchema.safeParse(input).success);
    },
  );

  it('names the path of the first problem', () => {
    expect(checkRunInput({ ...valid, messages: [valid.messages[0], { role: 'robot' }] })).toBe(
      'messages.1.role: expected one of system, user, assistant, tool',
    );
    expect(checkRunInput({ ...valid, agentKey: '' })).toBe('agentKey: expected a non-empty string');
    expect(checkRunInput(null)).toBe('(root): expected object, received null');
  });
});
