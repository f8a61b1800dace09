// What RunHandle.events() / result() retry, the paged events query, and the watch deadline setting.
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { AgentRunner } from '../../src/client/runner';
import { RunHandle } from '../../src/client/run-handle';
import {
  isNoPollerError,
  isTransientTemporalError,
  retryDelayMs,
  temporalUnavailable,
  workerUnavailable,
} from '../../src/client/watch-retry';
import { AgentRuntimeError, ERROR_CODES } from '../../src/core/errors';
import { MAX_EVENTS_PAGE, type EventsPage } from '../../src/core/run-contract';
import type { RunEvent } from '../../src/core/types';
import { answerEventsQuery } from '../../workflows/events-query';

/** gRPC status codes. */
const grpcStatus = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
} as const;

/** A gRPC failure as @temporalio/client wraps it. */
function grpc(code: number, details: string): ServiceError {
  const cause = Object.assign(new Error(`${code} ${details}`), { code, details });
  return new ServiceError('Failed to query Workflow', { cause });
}

describe('transient Temporal failures', () => {
  test('server down, timeouts, no poller, connection errors are retried', () => {
    expect(
      isTransientTemporalError(grpc(grpcStatus.UNAVAILABLE, 'No connection established')),
    ).toBe(true);
    expect(isTransientTemporalError(grpc(grpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'))).toBe(
      true,
    );
    expect(isTransientTemporalError(grpc(grpcStatus.CANCELLED, 'Call cancelled'))).toBe(true);
    const noPoller = grpc(
      grpcStatus.FAILED_PRECONDITION,
      'no poller seen for task queue recently, worker may be down',
    );
    expect(isTransientTemporalError(noPoller)).toBe(true);
    expect(isNoPollerError(noPoller)).toBe(true);
    expect(isTransientTemporalError(new Error('connect ECONNREFUSED 127.0.0.1:7233'))).toBe(true);
  });

  test('a missing run, a bad argument, another precondition are not', () => {
    expect(isTransientTemporalError(new WorkflowNotFoundError('not found', 'w', undefined))).toBe(
      false,
    );
    expect(isTransientTemporalError(grpc(grpcStatus.INVALID_ARGUMENT, 'unknown query'))).toBe(
      false,
    );
    expect(isTransientTemporalError(grpc(grpcStatus.FAILED_PRECONDITION, 'something else'))).toBe(
      false,
    );
    expect(isTransientTemporalError(grpc(grpcStatus.PERMISSION_DENIED, 'no'))).toBe(false);
    expect(isTransientTemporalError(new AgentRuntimeError('INVALID_INPUT', 'bad'))).toBe(false);
    expect(isNoPollerError(grpc(grpcStatus.UNAVAILABLE, 'down'))).toBe(false);
  });

  test('backoff doubles from 250 ms to 5 s', () => {
    for (let i = 0; i < 20; i++) {
      expect(retryDelayMs(1)).toBeGreaterThanOrEqual(200);
      expect(retryDelayMs(1)).toBeLessThanOrEqual(300);
      expect(retryDelayMs(3)).toBeGreaterThanOrEqual(800);
      expect(retryDelayMs(30)).toBeLessThanOrEqual(6000);
    }
  });

  test('the typed errors are retryable and say what to do', () => {
    expect(ERROR_CODES.TEMPORAL_UNAVAILABLE).toBe(true);
    expect(ERROR_CODES.WORKER_UNAVAILABLE).toBe(true);
    const down = temporalUnavailable('r1', 'events()', 300_000, grpc(14, 'down'), 7);
    expect(down).toMatchObject({ code: 'TEMPORAL_UNAVAILABLE', retryable: true });
    expect(down.details).toEqual({ runId: 'r1', waitedMs: 300_000, lastSeq: 7 });
    expect(down.message).toContain('afterSeq: 7');
    expect(down.message).toContain('watchTimeout');
    const ended = workerUnavailable('r1', {
      taskQueue: 'q',
      closed: true,
      waitedMs: 1,
      lastSeq: 0,
      hasEventStore: false,
      cause: grpc(9, 'no poller'),
    });
    expect(ended.code).toBe('WORKER_UNAVAILABLE');
    expect(ended.message).toContain('Start a worker on the run\'s task queue "q"');
    expect(ended.message).toContain('runEvents: true');
  });
});

describe('the events query', () => {
  const log: RunEvent[] = Array.from({ length: 5 }, (_, i) => ({
    seq: i + 1,
    runId: 'r',
    type: i === 4 ? 'run.succeeded' : 'x',
    payload: { i },
    timestamp: new Date(0).toISOString(),
  }));

  test('pages: events after afterSeq, up to limit, with lastSeq and done at the end', () => {
    const first = answerEventsQuery(log, { afterSeq: 1, limit: 2 }) as EventsPage;
    expect(first.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(first).toMatchObject({ lastSeq: 5, done: false });
    const last = answerEventsQuery(log, { afterSeq: 3, limit: 2 }) as EventsPage;
    expect(last.events.map((e) => e.seq)).toEqual([4, 5]);
    expect(last.done).toBe(true);
    expect(answerEventsQuery(log, { afterSeq: 5 })).toEqual({ events: [], lastSeq: 5, done: true });
    expect((answerEventsQuery(log.slice(0, 3), {}) as EventsPage).events.map((e) => e.seq)).toEqual(
      [1, 2, 3],
    );
  });

  test('an answer is bounded in size; at least one event comes whatever its size', () => {
    const big: RunEvent[] = Array.from({ length: 4 }, (_, i) => ({
      seq: i + 1,
      runId: 'r',
      type: 'x',
      payload: { text: 'y'.repeat(400_000) },
      timestamp: new Date(0).toISOString(),
    }));
    const page = answerEventsQuery(big, { limit: MAX_EVENTS_PAGE * 10 }) as EventsPage;
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
    const huge = [{ ...big[0]!, payload: { text: 'z'.repeat(3_000_000) } }];
    expect((answerEventsQuery(huge, {}) as EventsPage).events).toHaveLength(1);
  });

  test('a number (clients of earlier versions) gets the plain array; bad arguments throw', () => {
    expect(answerEventsQuery(log, 3)).toEqual(log.slice(3));
    expect(answerEventsQuery(log, undefined)).toEqual(log);
    expect(() => answerEventsQuery(log, { afterSeq: -1 })).toThrow(/afterSeq/);
    expect(() => answerEventsQuery(log, { limit: 1.5 })).toThrow(/limit/);
  });
});

describe('RunnerConfig.watchTimeout', () => {
  function thrown(f: () => unknown): AgentRuntimeError | undefined {
    try {
      f();
    } catch (err) {
      return err as AgentRuntimeError;
    }
    return undefined;
  }

  test("defaults to '5m' and is checked at construction", () => {
    expect(new AgentRunner().config.watchTimeout).toBe('5m');
    expect(new AgentRunner({ config: { watchTimeout: '30s' } }).config.watchTimeout).toBe('30s');
    const bad = thrown(() => new AgentRunner({ config: { watchTimeout: 'soon' as never } }));
    expect(bad?.code).toBe('CONFIG_INVALID');
    expect(bad?.message).toContain('watchTimeout');
    expect(thrown(() => new AgentRunner({ config: { watchTimeout: -5 } }))?.code).toBe(
      'CONFIG_INVALID',
    );
  });
});

describe('RunHandle.result() through outages', () => {
  test('each outage gets its own watchTimeout: a second one, long after the first, is retried too', async () => {
    // result() fails (Temporal down), then works; later (after more than watchTimeout) it fails
    // again and then answers. describe() is the probe that tells Temporal is back.
    const outcomes: (() => Promise<unknown>)[] = [
      async () => {
        throw grpc(grpcStatus.UNAVAILABLE, 'down (first outage)');
      },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 500)); // longer than watchTimeout
        throw grpc(grpcStatus.UNAVAILABLE, 'down (second outage)');
      },
      async () => ({ finalOutput: { ok: true }, finalMessages: [], usage: {}, artifacts: {} }),
    ];
    let calls = 0;
    const workflow = {
      result: () => outcomes[calls++]!(),
      describe: async () => ({}),
      client: { connection: { withDeadline: (_d: number, fn: () => unknown) => fn() } },
    };
    const handle = new RunHandle('r', workflow as never, undefined, { watchTimeout: 300 });
    await expect(handle.result()).resolves.toMatchObject({ finalOutput: { ok: true } });
    expect(calls).toBe(3);
  });
});

test('events(): the long-poll wait of earlier versions is refused, naming pollInterval', async () => {
  const handle = new RunHandle('r', {} as never);
  for (const old of [{ pollTimeout: '30s' }, { pollTimeoutMs: 30_000 }]) {
    await expect(handle.events(old as never).next()).rejects.toThrow(
      /was renamed: use pollInterval/,
    );
  }
});
