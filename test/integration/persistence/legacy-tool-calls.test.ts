// Conversation messages stored before tool calls took the library's one shape (`arguments` an
// object, a per-call `timestamp`, malformed arguments kept in metadata by the run mapping), written
// with SQL as the earlier release wrote them, read back through the Postgres store in the current
// shape on both engines: nothing stored is lost.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresConversationStore } from '../../../src/persistence';
import { toChatMessage } from '../../../src/persistence/conversations/message-mapping';
import { createTestPglite, createTestSchema } from './pg-helpers';

interface Engine {
  pool: Pool;
  close(): Promise<void>;
}

const engines: { name: string; open: () => Promise<Engine> }[] = [
  {
    name: 'postgres',
    open: async () => {
      const db = await createTestSchema('it_legacy_calls');
      return { pool: db.pool, close: () => db.drop() };
    },
  },
  {
    name: 'pglite',
    open: async () => {
      const db = await createTestPglite();
      return { pool: db.pool, close: () => db.close() };
    },
  },
];

const ts = '2024-05-01T10:00:00.000Z';

/** Message documents exactly as the earlier release encoded them (`encodeJson` of the parsed model). */
function legacyDocs(ids: string[]): Record<string, unknown>[] {
  return [
    {
      id: ids[0],
      role: 'assistant',
      content: null,
      timestamp: ts,
      toolCalls: [
        { id: 'call_1', name: 'search', arguments: { q: 'docs', n: 2 }, timestamp: ts },
        // A malformed and a non-object text: stored as `{}`, the text kept in metadata.
        { id: 'call_2', name: 'search', arguments: {}, timestamp: ts },
        { id: 'call_3', name: 'sum', arguments: {}, timestamp: ts },
      ],
      usage: {},
      metadata: {
        'agentRuntime.rawToolArguments': { call_2: '{"q": \u0000\ud800', call_3: '[1,2]' },
        'agentRuntime.name': 'bot',
        mine: true,
      },
    },
    {
      id: ids[1],
      role: 'tool',
      content: '{"hits":3}',
      timestamp: ts,
      toolCalls: [],
      toolCallId: 'call_1',
      usage: {},
      metadata: {},
    },
  ];
}

describe.each(engines)('$name', ({ open }) => {
  let db: Engine;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => db.close());

  test('old-shape tool calls written with SQL read back in the current shape, nothing lost', async () => {
    const projectId = `p-${randomUUID()}`;
    const store = new PostgresConversationStore({ pool: db.pool, projectId });
    const conv = await store.save({ title: 'from the earlier release' });
    const ids = [randomUUID(), randomUUID()];
    for (const [i, doc] of legacyDocs(ids).entries()) {
      await db.pool.query(
        `INSERT INTO conversation_messages (scope, scope_id, conversation_id, id, seq, branch_id, ts, doc)
         VALUES ('project', $1, $2, $3, $4, '', $5, $6)`,
        [projectId, conv.id, doc.id, i + 1, ts, JSON.stringify(doc)],
      );
    }
    await db.pool.query(
      `UPDATE conversations SET next_seq = 3 WHERE scope = 'project' AND scope_id = $1 AND id = $2`,
      [projectId, conv.id],
    );

    const expectedCalls = [
      { id: 'call_1', name: 'search', arguments: '{"q":"docs","n":2}' },
      { id: 'call_2', name: 'search', arguments: '{"q": \u0000\ud800' },
      { id: 'call_3', name: 'sum', arguments: '[1,2]' },
    ];
    const [assistant, tool] = await store.getMessages(conv.id);
    expect(assistant?.toolCalls).toEqual(expectedCalls);
    // The kept texts moved into the calls; the caller's own metadata stays.
    expect(assistant?.metadata).toEqual({ 'agentRuntime.name': 'bot', mine: true });
    expect(assistant?.timestamp.toISOString()).toBe(ts);
    expect(tool?.toolCallId).toBe('call_1');
    expect(tool?.toolCalls).toEqual([]);
    // Every read path decodes the same way.
    expect((await store.get(conv.id))?.messages[0]?.toolCalls).toEqual(expectedCalls);
    const all = await store.getMessages(conv.id, { allBranches: true });
    expect(all[0]?.toolCalls).toEqual(expectedCalls);

    // A run loading this conversation gets the chat messages the earlier release gave it.
    expect(toChatMessage(assistant!)).toEqual({
      role: 'assistant',
      content: null,
      name: 'bot',
      tool_calls: expectedCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
      metadata: { mine: true },
    });

    // Saving the loaded conversation back rewrites the rows in the current shape.
    await store.save((await store.get(conv.id))!);
    const rows = await db.pool.query<{ doc: string }>(
      `SELECT doc FROM conversation_messages WHERE scope = 'project' AND scope_id = $1 AND conversation_id = $2 ORDER BY seq`,
      [projectId, conv.id],
    );
    const rewritten = JSON.parse(rows.rows[0]!.doc) as Record<string, unknown>;
    expect(rewritten.toolCalls).toEqual(expectedCalls);
    expect(rewritten.metadata).toEqual({ 'agentRuntime.name': 'bot', mine: true });
    expect((await store.getMessages(conv.id))[0]?.toolCalls).toEqual(expectedCalls);
  });
});
