// Payload limits without payload storage: the activities returning user data fail with a
// non-retryable PAYLOAD_TOO_LARGE before returning an oversize result; the options that wire
// payload storage are checked.
import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExecuteTool } from '../../activities/execute-tool';
import { createInvokeModel } from '../../activities/invoke-model';
import { createRunStep } from '../../activities/run-step';
import { AgentRunner } from '../../src/client/runner';
import type {
  ExecuteToolInput,
  ExecuteToolOutput,
  InvokeModelInput,
  InvokeModelOutput,
} from '../../src/core/activity-contract';
import { AgentRuntimeError, isRetryableCode } from '../../src/core/errors';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PAYLOAD_THRESHOLD,
  MemoryPayloadDriver,
  PostgresPayloadDriver,
  checkPayloadSize,
  toExternalStorage,
} from '../../src/payloads';
import { defineSteps } from '../../src/steps';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { isToolCallError } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { z } from 'zod';
import { createRunStores } from '../../worker/run-stores';

const BIG = 'y'.repeat(2_000_000);

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('PAYLOAD_TOO_LARGE is not retryable, and a tool call reports it to the model', () => {
  expect(isRetryableCode('PAYLOAD_TOO_LARGE')).toBe(false);
  expect(isToolCallError(new AgentRuntimeError('PAYLOAD_TOO_LARGE', 'big'))).toBe(true);
});

test('checkPayloadSize: below passes, above throws with the field and size, Infinity skips', () => {
  expect(() => checkPayloadSize({ a: 'x' }, 'f', 100)).not.toThrow();
  expect(() => checkPayloadSize({ a: BIG }, 'f', Infinity)).not.toThrow();
  let err: unknown;
  try {
    checkPayloadSize({ a: 'é'.repeat(60) }, 'The field', 100, { name: 't' });
  } catch (e) {
    err = e;
  }
  expect(AgentRuntimeError.is(err)).toBe(true);
  expect(err).toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    retryable: false,
    // UTF-8 bytes of the JSON, not characters: 60 × 2 + 8.
    details: { field: 'The field', sizeBytes: 128, maxBytes: 100, name: 't' },
  });
  expect((err as Error).message).toMatch(/^The field is 128 bytes, above the 100 bytes/);
});

test('toExternalStorage: one driver, 256 KiB by default, a bad threshold is CONFIG_INVALID', () => {
  const driver = new MemoryPayloadDriver();
  const storage = toExternalStorage({ driver });
  expect(storage.payloadSizeThreshold).toBe(DEFAULT_PAYLOAD_THRESHOLD);
  expect(storage.getDriver(driver.name)).toBe(driver);
  expect(toExternalStorage({ driver, threshold: 0 }).payloadSizeThreshold).toBe(0);
  expect(() => toExternalStorage({ driver, threshold: -1 })).toThrow(
    'payloadStorage.threshold must be a number of bytes >= 0',
  );
  expect(DEFAULT_MAX_PAYLOAD_BYTES).toBeLessThan(2 * 1024 * 1024);
  // Above Temporal's payload limit, payloads between the two would be neither stored nor accepted.
  expect(toExternalStorage({ driver, threshold: 2 * 1024 * 1024 }).payloadSizeThreshold).toBe(
    2 * 1024 * 1024,
  );
  let tooHigh: unknown;
  try {
    toExternalStorage({ driver, threshold: 3_000_000 });
  } catch (err) {
    tooHigh = err;
  }
  expect(tooHigh).toMatchObject({
    code: 'CONFIG_INVALID',
    details: { field: 'payloadStorage.threshold' },
  });
  expect((tooHigh as Error).message).toContain("above Temporal's payload limit");
});

describe('activities without payload storage', () => {
  // The activities' own failure logs would only be noise here.
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  test('invokeModel: an oversize reply fails PAYLOAD_TOO_LARGE, not retried, usage kept', async () => {
    const llm = new MockLLMClient({
      responses: [
        {
          message: { role: 'assistant', content: BIG },
          usage: { promptTokens: 3, completionTokens: 9, totalTokens: 12 },
        },
      ],
    });
    const invokeModel = createInvokeModel({ llm });
    const input: InvokeModelInput = {
      runId: 'r',
      turn: 1,
      messages: [{ role: 'user', content: 'hi' }],
      options: {},
    };
    const f = await failure(env.run(invokeModel, input));
    expect(f).toMatchObject({ type: 'PAYLOAD_TOO_LARGE', nonRetryable: true });
    const details = f.details?.[0] as Record<string, unknown>;
    expect(details).toMatchObject({ field: 'The model reply (invokeModel result)' });
    expect(details.sizeBytes as number).toBeGreaterThan(BIG.length);
    expect(details.failedAttemptsUsage).toMatchObject({ promptTokens: 3, completionTokens: 9 });
    expect(llm.calls).toHaveLength(1);
  });

  test('invokeModel: a reply under the limit (or any with maxPayloadBytes Infinity) returns', async () => {
    const llm = new MockLLMClient({ responses: [{ role: 'assistant', content: BIG }] });
    const invokeModel = createInvokeModel({ llm, maxPayloadBytes: Infinity });
    const input: InvokeModelInput = { runId: 'r', turn: 1, messages: [], options: {} };
    const r = await env.run<[InvokeModelInput], InvokeModelOutput, typeof invokeModel>(
      invokeModel,
      input,
    );
    expect(r.content).toBe(BIG);
  });

  test('executeTool: an oversize result fails PAYLOAD_TOO_LARGE naming the tool, not retried', async () => {
    let runs = 0;
    const big = defineTool({
      name: 'big',
      description: 'Returns a lot.',
      parameters: z.object({}),
      execute: () => {
        runs += 1;
        return BIG;
      },
    });
    const executeTool = createExecuteTool({ tools: [big] });
    const f = await failure(
      env.run(executeTool, {
        runId: 'r',
        toolCallId: 'c',
        name: 'big',
        arguments: {},
        idempotencyKey: 'r:c',
      }),
    );
    expect(f).toMatchObject({ type: 'PAYLOAD_TOO_LARGE', nonRetryable: true });
    expect(f.message).toMatch(/^The result of tool big is 1\.\d\d MiB/);
    expect(f.details?.[0]).toMatchObject({ name: 'big', field: 'The result of tool big' });
    expect(runs).toBe(1);
    const small = createExecuteTool({ tools: [big], maxPayloadBytes: 3_000_000 });
    const ok = await env.run<[ExecuteToolInput], ExecuteToolOutput, typeof small>(small, {
      runId: 'r',
      toolCallId: 'c',
      name: 'big',
      arguments: {},
      idempotencyKey: 'r:c',
    });
    expect(ok.result).toBe(BIG);
  });

  test('runStep: an oversize step result fails PAYLOAD_TOO_LARGE, not retried', async () => {
    const runStep = createRunStep({ steps: defineSteps({ big: async () => BIG }) });
    const f = await failure(
      env.run(runStep, {
        runId: 'r',
        executionId: 'e',
        stepName: 'load',
        fn: 'big',
        stepIndex: 0,
        totalSteps: 1,
        attempt: 1,
        maxAttempts: 3,
        state: {},
        results: {},
      }),
    );
    expect(f).toMatchObject({ type: 'PAYLOAD_TOO_LARGE', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({ stepName: 'load' });
  });
});

describe('createRunStores payload storage', () => {
  const memory = { eventBusBackend: 'memory', stateStoreBackend: 'memory' } as const;

  test('a database URL gives a Postgres driver; PGlite (no URL) gives none', async () => {
    const shared = createRunStores({
      config: { ...memory, databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test' },
    });
    expect(shared.payloadStorage?.driver).toBeInstanceOf(PostgresPayloadDriver);
    await shared.close();
    const local = createRunStores({ config: memory, projectDir: '/tmp/never-opened' });
    expect(local.payloadStorage).toBeUndefined();
    await local.close();
    const off = createRunStores({
      config: { ...memory, databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test' },
      payloads: false,
    });
    expect(off.payloadStorage).toBeUndefined();
    await off.close();
  });
});

describe('AgentRunner payload storage', () => {
  test('payloadStorage with a given client that lacks external storage is CONFIG_INVALID', () => {
    const payloadStorage = { driver: new MemoryPayloadDriver() };
    expect(() => new AgentRunner({ client: new Client(), payloadStorage })).toThrow(
      /payloadStorage cannot be added to a given client/,
    );
    const withStorage = new Client({
      dataConverter: { externalStorage: toExternalStorage(payloadStorage) },
    });
    expect(() => new AgentRunner({ client: withStorage, payloadStorage })).not.toThrow();
    expect(() => new AgentRunner({ payloadStorage: { ...payloadStorage, threshold: -5 } })).toThrow(
      /threshold/,
    );
  });
});
