// Node side (clients): how `RunHandle.events()` and `result()` ride out worker loss and Temporal
// outages: which failures are worth retrying, the backoff between tries, and the typed errors
// raised when the watch deadline (`RunnerConfig.watchTimeout`) passes.
import { WorkflowNotFoundError } from '@temporalio/client';
import { formatDuration } from '../core/durations';
import { AgentRuntimeError } from '../core/errors';

/** Default of `RunnerConfig.watchTimeout`. */
export const DEFAULT_WATCH_TIMEOUT = '5m';

/** gRPC status codes of failures that pass: the server or the network is briefly unavailable. */
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([
  1, // CANCELLED (our own per-attempt deadline, a connection torn down)
  4, // DEADLINE_EXCEEDED (query timeout: no worker answered in time)
  8, // RESOURCE_EXHAUSTED (rate limits)
  10, // ABORTED
  14, // UNAVAILABLE (server down or restarting, connection refused)
]);
/** FAILED_PRECONDITION: Temporal's answer to a query when no worker polls the run's task queue. */
const FAILED_PRECONDITION = 9;
const NO_POLLER = /no poller/i;
const CONNECTION_TROUBLE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|socket hang up|No connection established|Connection dropped|GOAWAY|RST_STREAM|TransportError/i;

/** The error and its causes, outermost first (bounded: causes can be cyclic). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  while (e !== undefined && e !== null && out.length < 8 && !out.includes(e)) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function grpcCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Whether a failed Temporal call may succeed when tried again: the server is unreachable or
 * restarting, a call timed out, or no worker answered a query (killed, restarting). A missing
 * run, an unknown query, a rejected argument or a permission error is not.
 */
export function isTransientTemporalError(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof WorkflowNotFoundError) return false;
    if (AgentRuntimeError.is(e)) return false;
    const code = grpcCode(e);
    const message = messageOf(e);
    if (code !== undefined && TRANSIENT_GRPC_CODES.has(code)) return true;
    if (code === FAILED_PRECONDITION && NO_POLLER.test(message)) return true;
    if (CONNECTION_TROUBLE.test(message)) return true;
  }
  return false;
}

/** Whether the failure says no worker polls the run's task queue (Temporal itself answered). */
export function isNoPollerError(err: unknown): boolean {
  return chain(err).some(
    (e) => grpcCode(e) === FAILED_PRECONDITION && NO_POLLER.test(messageOf(e)),
  );
}

/** The wait before try `n` (1, 2, …) after consecutive failures: 250 ms doubling to 5 s, ±20 %. */
export function retryDelayMs(n: number): number {
  const base = Math.min(5000, 250 * 2 ** Math.max(0, n - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The last error's message, for the typed errors below. */
function lastError(cause: unknown): string {
  const inner = chain(cause).at(-1);
  return messageOf(inner ?? cause);
}

/**
 * The error of a watch (`events()`, `result()`) after Temporal stayed unreachable for
 * `waitedMs`: the run itself is not affected.
 */
export function temporalUnavailable(
  runId: string,
  what: 'events()' | 'result()',
  waitedMs: number,
  cause: unknown,
  lastSeq?: number,
): AgentRuntimeError {
  const resume =
    what === 'events()'
      ? `call events({ afterSeq: ${lastSeq ?? 0} }) again to continue from the last event received`
      : 'call result() again';
  return new AgentRuntimeError(
    'TEMPORAL_UNAVAILABLE',
    `RunHandle.${what} for run "${runId}": Temporal did not answer for ${formatDuration(waitedMs)} ` +
      `(${lastError(cause)}). The run itself lives on in Temporal: check that the Temporal server is ` +
      `reachable, then ${resume}; RunnerConfig.watchTimeout sets how long to keep trying.`,
    { details: { runId, waitedMs, ...(lastSeq !== undefined ? { lastSeq } : {}) }, cause },
  );
}

/**
 * The error of `events()` when no worker answered the run's `events` query: Temporal answers
 * queries through a worker of the run's task queue, a finished run's too.
 */
export function workerUnavailable(
  runId: string,
  options: {
    taskQueue?: string;
    closed: boolean;
    waitedMs: number;
    lastSeq: number;
    hasEventStore: boolean;
    cause: unknown;
  },
): AgentRuntimeError {
  const queue = options.taskQueue ? ` "${options.taskQueue}"` : '';
  const start = `Start a worker on the run's task queue${queue}`;
  const store = options.hasEventStore
    ? 'the event store holds none of its events (was it started with persistence: { runEvents: true }, and do the runner and the workers share the event bus?)'
    : 'the runner has no eventBus to read its stored events from (runs started with persistence: { runEvents: true } are readable from the event store without a worker)';
  const message = options.closed
    ? `RunHandle.events() for run "${runId}": the run has ended and no worker answered its events ` +
      `query (Temporal answers a finished run's queries through a worker too), and ${store}. ${start}, ` +
      'or read the run from its event store.'
    : `RunHandle.events() for run "${runId}": no worker answered its events query for ` +
      `${formatDuration(options.waitedMs)}. ${start} (the run resumes where it stopped), then call ` +
      `events({ afterSeq: ${options.lastSeq} }) again; RunnerConfig.watchTimeout sets how long to wait.`;
  return new AgentRuntimeError('WORKER_UNAVAILABLE', message, {
    details: {
      runId,
      closed: options.closed,
      waitedMs: options.waitedMs,
      lastSeq: options.lastSeq,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
    },
    cause: options.cause,
  });
}
