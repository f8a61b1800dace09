// Records the history of one multi-turn run as a replay fixture:
// `npx tsx scripts/record-history.ts` (starts its own dev server). Re-run after an intended,
// patched change to workflow code, and commit the new fixture.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { AgentRunner } from '../src/client/runner';
import { createAgentWorker } from '../worker';
import { MockLLMClient } from '../src/testing/mock-llm';
import { startTemporalDevServer } from '../src/testing/temporal-server';

async function main(): Promise<void> {
  const server = await startTemporalDevServer();
  try {
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    const llm = new MockLLMClient({
      respond: (m) => ({ role: 'assistant', content: `answer to ${m.length} messages` }),
      // The usage the committed fixture was recorded with (the mock reports none by default).
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    });
    const worker = await createAgentWorker({
      connection: native,
      taskQueue: 'record',
      workflowsPath: require.resolve('../test/fixtures/workflows'),
      activities: { llm },
    });
    const runner = new AgentRunner({
      client: new Client({ connection }),
      config: { taskQueue: 'record' },
    });
    const out = join(__dirname, '../test/fixtures/histories/multi-turn.json');
    await worker.runUntil(async () => {
      const handle = await runner.start({
        agent: 'multi-turn',
        runId: 'replay-fixture-multi-turn',
        inputData: { messages: [{ role: 'user', content: 'hi' }], params: { turns: 2 } },
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
