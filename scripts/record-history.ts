// Records the history of one run as a replay fixture (test/fixtures/histories/<name>.json):
// `npx tsx scripts/record-history.ts <name>` (starts its own dev server). After an intended,
// patched change to workflow code, record a fixture under a NEW name and commit it: the existing
// fixtures stand for histories recorded by earlier versions, which must keep replaying (e.g.
// multi-turn.json was recorded before model calls by reference, and covers the old path).
// Fixtures: multi-turn (two plain model calls), tool-loop-by-reference (a ToolCallingAgent with
// three tool turns by reference, one of them sent again whole after TRANSCRIPT_MISSING).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import { AgentRunner } from '../src/client/runner';
import type { Message } from '../src/core/types';
import { MockLLMClient } from '../src/testing/mock-llm';
import { startTemporalDevServer } from '../src/testing/temporal-server';
import { InMemoryTranscriptStore, type TranscriptEntry } from '../src/transcripts';
import { addTool } from '../test/fixtures/tool-defs';
import { createAgentWorker } from '../worker';

interface Fixture {
  agent: string;
  runId: string;
  messages: Message[];
  params?: Record<string, unknown>;
  activities: () => ActivityDeps;
}

/** A memory store that cannot give the transcript once (as a restarted worker's memory). */
class ForgetsOnce extends InMemoryTranscriptStore {
  private reads = 0;
  override async read(id: string, length: number): Promise<TranscriptEntry[] | null> {
    return ++this.reads === 2 ? null : super.read(id, length);
  }
}

const FIXTURES: Record<string, Fixture> = {
  'multi-turn': {
    agent: 'multi-turn',
    runId: 'replay-fixture-multi-turn',
    messages: [{ role: 'user', content: 'hi' }],
    params: { turns: 2 },
    activities: () => ({
      llm: new MockLLMClient({
        respond: (m) => ({ role: 'assistant', content: `answer to ${m.length} messages` }),
        // The usage the committed fixture was recorded with (the mock reports none by default).
        usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      }),
    }),
  },
  'tool-loop-by-reference': {
    agent: 'tool-calling',
    runId: 'replay-fixture-tool-loop-by-reference',
    messages: [{ role: 'user', content: 'Add 1 and 2, three times.' }],
    activities: () => ({
      llm: new MockLLMClient({
        respond: (m) => {
          const done = m.filter((x) => x.role === 'tool').length;
          if (done >= 3) return { role: 'assistant', content: 'Three times 3.' };
          return {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: `call_${done}`,
                type: 'function',
                function: { name: 'add', arguments: '{"a":1,"b":2}' },
              },
            ],
          };
        },
        usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      }),
      tools: [addTool],
      transcriptStore: new ForgetsOnce(),
    }),
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const fixture = FIXTURES[name];
  if (!fixture) {
    throw new Error(`usage: record-history.ts <${Object.keys(FIXTURES).join('|')}>`);
  }
  const server = await startTemporalDevServer();
  try {
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await createAgentWorker({
      connection: native,
      taskQueue: 'record',
      workflowsPath: require.resolve('../test/fixtures/workflows'),
      activities: fixture.activities(),
    });
    const runner = new AgentRunner({
      client: new Client({ connection }),
      config: { taskQueue: 'record' },
    });
    const out = join(__dirname, `../test/fixtures/histories/${name}.json`);
    await worker.runUntil(async () => {
      const handle = await runner.start({
        agent: fixture.agent,
        runId: fixture.runId,
        inputData: {
          messages: fixture.messages,
          ...(fixture.params ? { params: fixture.params } : {}),
        },
      });
      for await (const ev of handle.events()) void ev;
      await handle.result();
      const history = await handle.workflow.fetchHistory();
      writeFileSync(out, historyToJSON(history));
    });
    await connection.close();
    await native.close();
    console.log(`wrote ${out}`);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
