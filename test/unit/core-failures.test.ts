// The one converter of Temporal failures to typed errors (src/core/failures.ts), as each call
// site uses it: model calls, store activities, tool calls and tool-approval updates.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { AgentRuntimeError } from '../../src/core/errors';
import { fromActivityFailure, fromApplicationFailure } from '../../src/core/failures';

const failed = (cause: Error) =>
  new ActivityFailure(
    'Activity task failed',
    'act',
    '1',
    RetryState.MAXIMUM_ATTEMPTS_REACHED,
    'w',
    cause,
  );
const app = (type: string, details?: Record<string, unknown>) =>
  ApplicationFailure.create({
    type,
    message: 'it broke',
    ...(details ? { details: [details] } : {}),
  });

function typed(value: unknown): AgentRuntimeError {
  expect(AgentRuntimeError.is(value)).toBe(true);
  return value as AgentRuntimeError;
}

test('an application failure keeps its code and details; a foreign type becomes the fallback', () => {
  const err = failed(app('LLM_RATE_LIMITED', { status: 429 }));
  const e = typed(fromActivityFailure(err, 'LLM_ERROR', { otherCode: 'LLM_TIMEOUT' }));
  expect([e.code, e.message, e.details, e.retryable, e.cause]).toEqual([
    'LLM_RATE_LIMITED',
    'it broke',
    { status: 429 },
    false,
    err,
  ]);
  expect(typed(fromActivityFailure(failed(app('TypeError')), 'TOOL_ERROR')).code).toBe(
    'TOOL_ERROR',
  );
});

test('other failures (a timeout) take otherCode and both prefixes; details are merged under the own', () => {
  const timeout = new TimeoutFailure('timed out', undefined, 'START_TO_CLOSE');
  const e = typed(
    fromActivityFailure(failed(timeout), 'LLM_ERROR', {
      otherCode: 'LLM_TIMEOUT',
      otherPrefix: 'Model call failed: ',
    }),
  );
  expect([e.code, e.message, e.details, e.retryable]).toEqual([
    'LLM_TIMEOUT',
    'Model call failed: timed out',
    {},
    false,
  ]);
  const store = typed(
    fromActivityFailure(failed(timeout), 'STORAGE_ERROR', { prefix: 'Could not save: ' }),
  );
  expect([store.code, store.message]).toEqual(['STORAGE_ERROR', 'Could not save: timed out']);
  const prefixed = typed(
    fromActivityFailure(failed(app('CONFLICT')), 'STORAGE_ERROR', { prefix: 'Could not save: ' }),
  );
  expect(prefixed.message).toBe('Could not save: it broke');
  const tool = typed(
    fromActivityFailure(failed(app('TOOL_ERROR', { name: 'own', extra: 1 })), 'TOOL_ERROR', {
      details: { name: 'add' },
    }),
  );
  expect(tool.details).toEqual({ name: 'own', extra: 1 });
});

test('cancellations and anything not an activity failure pass through', () => {
  const cancelled = failed(new CancelledFailure('cancelled'));
  expect(fromActivityFailure(cancelled, 'LLM_ERROR')).toBe(cancelled);
  const plain = new Error('x');
  expect(fromActivityFailure(plain, 'LLM_ERROR')).toBe(plain);
});

test('fromApplicationFailure: given details replace the failure own; retryability by code', () => {
  const e = fromApplicationFailure(app('CONFLICT', { a: 1 }), 'INVALID_INPUT', {
    details: { runId: 'r' },
  });
  expect([e.code, e.details, e.retryable]).toEqual(['CONFLICT', { runId: 'r' }, false]);
  expect(fromApplicationFailure(app('Nope'), 'STORAGE_ERROR').retryable).toBe(true);
});
