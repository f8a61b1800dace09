// Message documents of the earlier tool-call shape become the current shape at read time.
import { upgradeStoredMessage } from '../../../src/persistence/conversations/logic';
import { ConversationMessage } from '../../../src/persistence/conversations/models';

const ts = '2024-05-01T10:00:00.000Z';

test('a document in the current shape is returned as it is, metadata included', () => {
  const doc = {
    role: 'assistant',
    toolCalls: [{ id: 'c1', name: 'f', arguments: '{"x": ' }],
    metadata: { 'agentRuntime.rawToolArguments': { c1: 'the caller’s own' } },
  };
  expect(upgradeStoredMessage(doc)).toBe(doc);
  const plain = { role: 'user', content: 'hi' };
  expect(upgradeStoredMessage(plain)).toBe(plain);
  expect(upgradeStoredMessage(null)).toBeNull();
});

test('object arguments become JSON text, kept raw text wins, timestamps and the metadata key go', () => {
  const doc = {
    id: '4b0c9f4e-1d1f-4b8e-9a53-0d4c7a0e2c11',
    role: 'assistant',
    content: null,
    timestamp: ts,
    toolCalls: [
      { id: 'c1', name: 'f', arguments: { x: [1, 'é'] }, timestamp: ts },
      { id: 'c2', name: 'g', arguments: {}, timestamp: ts },
      { id: 'constructor', name: 'h', arguments: {}, timestamp: ts },
    ],
    usage: {},
    metadata: { 'agentRuntime.rawToolArguments': { c2: 'not json' }, keep: 1 },
  };
  const copy = structuredClone(doc);
  const message = ConversationMessage.parse(upgradeStoredMessage(doc));
  expect(message.toolCalls).toEqual([
    { id: 'c1', name: 'f', arguments: '{"x":[1,"é"]}' },
    { id: 'c2', name: 'g', arguments: 'not json' },
    // A call id that names an Object.prototype member finds no kept text.
    { id: 'constructor', name: 'h', arguments: '{}' },
  ]);
  expect(message.metadata).toEqual({ keep: 1 });
  // The decoded document is not mutated.
  expect(doc).toEqual(copy);
});

test('a legacy document without metadata gets none added', () => {
  const upgraded = upgradeStoredMessage({
    role: 'assistant',
    toolCalls: [{ id: 'c1', name: 'f', arguments: { a: null } }],
  });
  expect(upgraded).toEqual({
    role: 'assistant',
    toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":null}' }],
  });
});

test('the persistence ToolCall is the core ToolCall, not a second definition', async () => {
  const persistence = await import('../../../src/persistence');
  const core = await import('../../../src/core/types');
  expect(persistence.ToolCall).toBe(core.ToolCall);
});
