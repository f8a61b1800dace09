// How a tool's options become its executeTool activity options (retries, timeouts).
import { z } from 'zod';
import { defineToolSpec } from '../../src/tools/tool';
import { RuntimeConfig } from '../../src/config';
import {
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  toolActivityOptions,
} from '../../workflows/tool-execution';

const p = z.object({});

test('defaults: 60 s per try, 30 s heartbeat, 3 tries from 1 s doubling to 30 s', () => {
  const o = toolActivityOptions(defineToolSpec({ name: 'read', description: '', parameters: p }));
  expect(o.startToCloseTimeout).toBe(60_000);
  expect(o.heartbeatTimeout).toBe(30_000);
  expect(o.retry).toEqual({
    maximumAttempts: 3,
    initialInterval: 1000,
    backoffCoefficient: 2,
    maximumInterval: 30_000,
  });
});

test('a side-effecting tool is tried once unless it is idempotent', () => {
  const once = toolActivityOptions(
    defineToolSpec({ name: 'charge', description: '', parameters: p, hasSideEffects: true }),
  );
  expect(once.retry?.maximumAttempts).toBe(1);
  const idem = toolActivityOptions(
    defineToolSpec({
      name: 'email',
      description: '',
      parameters: p,
      hasSideEffects: true,
      idempotent: true,
      retry: { maximumAttempts: 5, initialIntervalSeconds: 0.5 },
      timeoutSeconds: 2.5,
      heartbeatTimeoutSeconds: 2,
    }),
  );
  expect(idem.retry?.maximumAttempts).toBe(5);
  expect(idem.retry?.initialInterval).toBe(500);
  expect(idem.startToCloseTimeout).toBe(2500);
  expect(idem.heartbeatTimeout).toBe(2000);
});

test('the default approval timeout is below the default run timeout, so it can take effect', () => {
  const runDefault = RuntimeConfig.parse({}).runTimeoutSeconds;
  expect(DEFAULT_APPROVAL_TIMEOUT_SECONDS).toBeLessThan(runDefault);
});
