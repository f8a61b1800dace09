// How a tool's options become its executeTool activity options (retries, timeouts).
import { z } from 'zod';
import { ActivityCancellationType, type Duration } from '@temporalio/common';
import { durationMs } from '../../src/core/durations';
import { defineToolSpec } from '../../src/tools/tool';
import { RuntimeConfig } from '../../src/config';
import {
  DEFAULT_APPROVAL_TIMEOUT,
  toolActivityOptions,
  toolLocalActivityOptions,
} from '../../workflows/tool-execution';

const p = z.object({});
/** A duration as Temporal schedules it, in milliseconds. */
const ms = (d: Duration | undefined): number => durationMs(d, 'test', 'INVALID_INPUT');

test('defaults: 60 s per attempt, 30 s heartbeat, 3 attempts from 1 s doubling to 30 s', () => {
  const o = toolActivityOptions(defineToolSpec({ name: 'read', description: '', parameters: p }));
  expect(ms(o.startToCloseTimeout)).toBe(60_000);
  expect(ms(o.heartbeatTimeout)).toBe(30_000);
  const { initialInterval, maximumInterval, ...rest } = o.retry ?? {};
  expect(rest).toEqual({ maximumAttempts: 3, backoffCoefficient: 2 });
  expect(ms(initialInterval)).toBe(1000);
  expect(ms(maximumInterval)).toBe(30_000);
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
      retry: { maximumAttempts: 5, initialInterval: '500ms', nonRetryableErrorTypes: ['QUOTA'] },
      startToCloseTimeout: '2.5s',
      heartbeatTimeout: 2000,
    }),
  );
  expect(idem.retry).toMatchObject({
    maximumAttempts: 5,
    backoffCoefficient: 2,
    nonRetryableErrorTypes: ['QUOTA'],
  });
  expect(ms(idem.retry?.initialInterval)).toBe(500);
  expect(ms(idem.retry?.maximumInterval)).toBe(30_000);
  expect(ms(idem.startToCloseTimeout)).toBe(2500);
  expect(ms(idem.heartbeatTimeout)).toBe(2000);
});

test('the default approval timeout is below the default run timeout, so it can take effect', () => {
  const runDefault = ms(RuntimeConfig.parse({}).runTimeout);
  expect(runDefault).toBe(300_000);
  expect(ms(DEFAULT_APPROVAL_TIMEOUT)).toBeLessThan(runDefault);
});

test('a local tool runs as a local activity with its timeout, retries and cancellation, no heartbeat', () => {
  const o = toolLocalActivityOptions(
    defineToolSpec({
      name: 'lookup',
      description: '',
      parameters: p,
      local: true,
      startToCloseTimeout: '5s',
      retry: { maximumAttempts: 4 },
    }),
  );
  expect(ms(o.startToCloseTimeout)).toBe(5000);
  expect(o.retry?.maximumAttempts).toBe(4);
  expect(o.cancellationType).toBe(ActivityCancellationType.TRY_CANCEL);
  expect(o).not.toHaveProperty('heartbeatTimeout');
  // An idempotent side-effecting tool may be local, and keeps its retries.
  const idem = toolLocalActivityOptions(
    defineToolSpec({
      name: 'upsert',
      description: '',
      parameters: p,
      local: true,
      hasSideEffects: true,
      idempotent: true,
    }),
  );
  expect(idem.retry?.maximumAttempts).toBe(3);
  // Quick calls by default: 10 s per attempt (an activity's default is 60 s).
  expect(ms(idem.startToCloseTimeout)).toBe(10_000);
});

test.each([
  [{ heartbeatTimeout: '10s' }, /local tool sends no heartbeats: drop heartbeatTimeout/],
  [{ hasSideEffects: true }, /side-effecting tool must be idempotent .* to be local/],
  [{ local: 'yes' }, /local must be a boolean/],
])(
  'a local tool with %j is refused at definition: INVALID_INPUT naming the fix',
  (extra, message) => {
    const define = () =>
      defineToolSpec({
        name: 'bad',
        description: '',
        parameters: p,
        local: true,
        ...(extra as object),
      });
    let caught: unknown;
    try {
      define();
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: unknown } | undefined)?.code).toBe('INVALID_INPUT');
    expect((caught as Error | undefined)?.message).toMatch(message);
  },
);
