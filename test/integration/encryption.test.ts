// Encrypted history: with `encryption` on the worker and the runner, questions, tool arguments,
// answers and error texts reach the Temporal server only encrypted. A client without the codec
// reads the raw history and finds none of them; the runner with the keys reads the result; an
// old key still decrypts after rotation; the codec endpoint decodes for the Web UI.
// Real Temporal dev server; the official openai client against the local LLM server.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { AgentRunner } from '../../src/client/runner';
import { AgentRuntimeError } from '../../src/core/errors';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_FAILURE_CONVERTER_PATH,
  codecServerHandler,
  encryptedDataConverter,
} from '../../src/encryption';
import { OpenAIClient } from '../../src/llm/openai';
import { startMockLLMServer, type MockLLMServer } from '../../src/testing/llm-server';
import { createAgentWorker } from '../../worker';
import { alwaysFails, slowEcho } from '../fixtures/tool-defs';
import { historyText } from './history-text';
import { connectTestEnv, uniqueQueue, type TestEnv } from './helpers';

let env: TestEnv;
let server: MockLLMServer;
let codePath: string;
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32);
const v1 = { keys: { v1: oldKey }, encryptWith: 'v1' };
const v2 = { keys: { v1: oldKey, v2: newKey }, encryptWith: 'v2' };

beforeAll(async () => {
  env = await connectTestEnv();
  server = await startMockLLMServer();
  // A prebuilt bundle needs the failure converter too (the workflow's own failures).
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/workflows'),
    failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  codePath = join(mkdtempSync(join(tmpdir(), 'enc-bundle-')), 'bundle.js');
  writeFileSync(codePath, bundle.code);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await env?.close();
});

async function encryptedWorker(tq: string, errText: string): Promise<Worker> {
  return createAgentWorker({
    connection: env.nativeConnection,
    taskQueue: tq,
    workflowBundle: { codePath },
    encryption: v1,
    activities: {
      llm: new OpenAIClient({
        apiKey: 'sk-test',
        baseURL: server.openaiBaseURL,
        defaultModel: 'm',
      }),
      tools: [
        slowEcho.implement(({ text }) => ({ echo: text })),
        {
          ...alwaysFails,
          handler: () => {
            throw new Error(errText);
          },
        },
      ],
    },
  });
}

test('questions, tool arguments, answers and errors are encrypted in history; the keyed runner reads them', async () => {
  const tag = randomUUID().replace(/-/g, '');
  const question = `QUESTION-${tag}`;
  const arg = `TOOLARG-${tag}`;
  const errText = `TOOLERR-${tag}`;
  const answer = `ANSWER-${tag}`;
  server.reset();
  server.enqueue(
    {
      type: 'tool_calls',
      toolCalls: [
        { id: 'c1', name: 'slow_echo', arguments: { text: arg, delayMs: 0 } },
        { id: 'c2', name: 'always_fails', arguments: {} },
      ],
    },
    { type: 'text', content: answer },
  );
  const tq = uniqueQueue('enc');
  const worker = await encryptedWorker(tq, errText);
  const runner = new AgentRunner({
    config: { taskQueue: tq, address: env.address },
    encryption: v1,
    payloadStorage: false,
  });
  const runId = `run-${randomUUID()}`;
  const failedId = `run-${randomUUID()}`;
  try {
    await worker.runUntil(async () => {
      const handle = await runner.start({
        agent: 'tool-calling',
        runId,
        inputData: { messages: [{ role: 'user', content: question }] },
      });
      const result = await handle.result();
      expect(result.error).toBeUndefined();
      expect(result.finalOutput).toEqual({ response: answer });
      // The tool's error reached the model (through the encrypted failure) and the decoded result.
      expect(JSON.stringify(result.finalMessages)).toContain(errText);
      const failed = await runner.execute({
        agent: 'failing',
        runId: failedId,
        inputData: { messages: [{ role: 'user', content: question }] },
      });
      expect(failed.error?.message).toContain('the agent broke');
    });

    // Raw history through a client WITHOUT the codec.
    const plain = new Client({ connection: env.connection });
    for (const id of [runId, failedId]) {
      const raw = historyText(await plain.workflow.getHandle(id).fetchHistory());
      // The search finds what is there: the encoding marker and activity names are visible.
      expect(raw).toContain('binary/encrypted');
      expect(raw).toContain('agentRunWorkflow');
      if (id === runId) expect(raw).toContain('executeTool');
      for (const secret of [question, arg, errText, answer, 'the agent broke']) {
        expect([id, secret, raw.includes(secret)]).toEqual([id, secret, false]);
      }
    }
    // With the codec, the raw payloads decode to the plaintexts.
    const keyed = new Client({
      connection: env.connection,
      dataConverter: encryptedDataConverter(v1),
    });
    const decodedResult: unknown = await keyed.workflow.getHandle(runId).result();
    expect(JSON.stringify(decodedResult)).toContain(answer);

    // Rotation: a client whose new key encrypts still decrypts the runs of the old key.
    const rotated = new AgentRunner({
      config: { address: env.address, taskQueue: tq },
      encryption: v2,
      payloadStorage: false,
    });
    expect((await (await rotated.getHandle(runId)).result()).finalOutput).toEqual({
      response: answer,
    });
    await rotated.close();
    // A client missing the key gets a clear error, not garbage.
    const lacking = new Client({
      connection: env.connection,
      dataConverter: encryptedDataConverter({ keys: { v2: newKey }, encryptWith: 'v2' }),
    });
    await expect(lacking.workflow.getHandle(runId).result()).rejects.toThrow(/key "v1"/);
  } finally {
    await runner.close();
  }
});

test('the codec endpoint decodes a raw history payload for the Web UI', async () => {
  const codec = new AesGcmPayloadCodec(v2);
  const [enc] = await codec.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"secret text"') },
  ]);
  let srv: Server | undefined;
  try {
    srv = createServer(
      codecServerHandler({
        codecs: [codec],
        allowOrigins: ['http://localhost:8233'],
        authorize: (req) => req.headers.authorization === 'Bearer ok',
      }),
    );
    await new Promise<void>((r) => srv?.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(enc?.metadata ?? {}).map(([k, v]) => [
              k,
              Buffer.from(v).toString('base64'),
            ]),
          ),
          data: Buffer.from(enc?.data ?? new Uint8Array()).toString('base64'),
        },
      ],
    });
    const post = (auth: string) =>
      fetch(`${url}/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'http://localhost:8233',
          authorization: auth,
        },
        body,
      });
    expect((await post('Bearer no')).status).toBe(403);
    const ok = await post('Bearer ok');
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const out = (await ok.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(out.payloads[0]?.data ?? '', 'base64').toString()).toBe('"secret text"');
  } finally {
    await new Promise((r) => srv?.close(r));
  }
});

test('bad keys and failure converter instances are refused with clear errors', async () => {
  expect(() => new AesGcmPayloadCodec({ keys: { a: 'short' }, encryptWith: 'a' })).toThrow(
    /32 bytes/,
  );
  expect(() => new AesGcmPayloadCodec({ keys: { a: newKey }, encryptWith: 'b' })).toThrow(
    /encryptWith names key "b"/,
  );
  const err = await createAgentWorker({
    connection: env.nativeConnection,
    taskQueue: uniqueQueue(),
    workflowBundle: { codePath },
    activities: { llm: new OpenAIClient({ apiKey: 'sk-test', baseURL: server.openaiBaseURL }) },
    workerOptions: { dataConverter: { failureConverter: {} } as never },
  }).catch((e: unknown) => e);
  expect(AgentRuntimeError.is(err) && err.code).toBe('CONFIG_INVALID');
  expect((err as Error).message).toMatch(/failureConverterPath/);
  expect(() => new AgentRunner({ client: env.client, encryption: v1 })).toThrow(
    /encryption cannot be added to a given client/,
  );
});
