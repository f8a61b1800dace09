// The documented CLI path for approvals: `temporal workflow query … --type toolApprovals` lists the
// waiting call, `temporal workflow update execute --name approveToolCall --input …` approves it,
// and the run finishes; afterwards `toolApprovals` answers []. The timers carry their summaries.
// Real Temporal dev server and the official `temporal` CLI.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { OpenAIClient } from '../../src/llm/openai';
import { toolApprovalsQuery } from '../../src/core/run-contract';
import { resolveTemporalCli } from '../../src/testing/temporal-server';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { ToolRegistry } from '../../src/tools/registry';
import { deleteFile } from '../fixtures/tool-defs';
import { connectTestEnv, createTestWorker, testRunner, uniqueQueue, type TestEnv } from './helpers';
import { waitUntil } from './tools-helpers';
import { decodePayload } from './tools-helpers';

const run = promisify(execFile);
let env: TestEnv;
let server: MockLLMServer;

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(resolveTemporalCli({ install: false }), [
    ...args,
    '--address',
    env.address,
    '-o',
    'json',
  ]);
  return stdout;
}

test('approve from the CLI as the README shows; labelled timers; toolApprovals [] when done', async () => {
  const tq = uniqueQueue('obs-cli');
  const deleted: string[] = [];
  const worker = await createTestWorker(
    env,
    tq,
    new OpenAIClient({
      apiKey: 'sk-test',
      baseURL: server.openaiBaseURL,
      defaultModel: 'test-model',
    }),
    { tools: new ToolRegistry([deleteFile.implement(({ path }) => void deleted.push(path))]) },
  );
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [{ id: 'call_1', name: 'delete_file', arguments: { path: '/tmp/x' } }],
    },
    { type: 'text', content: 'deleted' },
  );
  const runId = `obs-cli-${randomUUID()}`;
  await worker.runUntil(async () => {
    const handle = await testRunner(env, tq).start({
      agent: 'tool-calling',
      runId,
      inputData: { messages: [{ role: 'user', content: 'delete /tmp/x' }] },
    });
    const wf = env.client.workflow.getHandle(runId);
    await waitUntil(
      async () => (await wf.query(toolApprovalsQuery)).length === 1,
      15_000,
      'the approval request',
    );
    const listed = JSON.parse(
      await cli('workflow', 'query', '--workflow-id', runId, '--type', 'toolApprovals'),
    ) as {
      queryResult: { toolCallId: string }[][];
    };
    expect(listed.queryResult[0]![0]!.toolCallId).toBe('call_1');
    await cli(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      runId,
      '--name',
      'approveToolCall',
      '--input',
      '{"toolCallId":"call_1","approved":true,"reason":"checked by Ana"}',
    );
    const result = await handle.result();
    expect(result.error).toBeUndefined();
    expect(deleted).toEqual(['/tmp/x']);
    expect(await wf.query(toolApprovalsQuery)).toEqual([]);
  });
  // Every timer has a summary: the run timeout and the approval wait.
  const history = await env.client.workflow.getHandle(runId).fetchHistory();
  const summaries = (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => decodePayload(e.userMetadata?.summary));
  expect(summaries.sort()).toEqual(['approval wait: delete_file', 'run timeout']);
}, 60_000);
