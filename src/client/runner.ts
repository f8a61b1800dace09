// Node side (clients): starts runs, watches their events, cancels them. A facade over @temporalio/client.
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import { durationMs, rejectRenamedOptions, type Duration } from '../core/durations';
import { AgentRuntimeError, normalizeErrorInfo } from '../core/errors';
import { fromApplicationFailure } from '../core/failures';
import { isTerminalEventType } from '../core/events';
import type { ErrorInfo, Message, RunEvent, RunResult, RunStatus } from '../core/types';
import { toRunResult } from '../core/types';
import { getConfig } from '../config';
import type { EventBus, TransientEvent, TransientSubscription } from '../events/event-bus';
import { readRunEvents } from '../events/read-run-events';
import type { AgentRuntime } from '../runtime/agent';
import {
  AGENT_RUN_WORKFLOW,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  eventsQuery,
  statusQuery,
  checkpointQuery,
  waitForEventsUpdate,
  approveToolCallUpdate,
  checkModelCallOptions,
  mergeModelCall,
  resolveModelCall,
  runTimeoutMs,
  type ApproveToolCallResponse,
  type AgentRunInput,
  type ModelCallOptions,
  type RunPersistenceOptions,
  type RunStatusInfo,
} from '../core/run-contract';

/** Settings of an `AgentRunner`. Unset fields come from `getConfig()`. */
export interface RunnerConfig {
  /**
   * Each run's time limit (a duration: `'300s'`, `'2h'`, or milliseconds); the run ends
   * `timed_out` after it. @default `getConfig().runTimeout` ('300s')
   */
  runTimeout?: Duration;
  /**
   * Timeouts and retry policy of each run's model calls: `{ startToCloseTimeout,
   * heartbeatTimeout, retry }`. Fields given here override `getConfig().modelCall` and the
   * defaults one by one (`retry` field by field).
   * @default `DEFAULT_MODEL_CALL`: `'300s'`, `'30s'`, `{ maximumAttempts: 4, initialInterval: '1s',
   *   backoffCoefficient: 2, maximumInterval: '60s' }`
   */
  modelCall?: ModelCallOptions;
  /** Task queue the workers poll. @default 'agent-runtime' */
  taskQueue?: string;
  /** Temporal namespace. @default 'default' */
  namespace?: string;
  /** Temporal frontend address (ignored when a `client` is given). @default '127.0.0.1:7233' */
  address?: string;
  /** Set the `AgentKey`/`AgentStatus` search attributes (they must be registered). @default true */
  searchAttributes?: boolean;
}

/** `RunnerConfig` with every field resolved (what `AgentRunner.config` holds). */
export interface ResolvedRunnerConfig {
  /** The runs' time limit, as given (checked at construction). */
  runTimeout: Duration;
  /** The model-call options, complete. */
  modelCall: Required<ModelCallOptions>;
  taskQueue: string;
  namespace: string;
  address: string;
  searchAttributes: boolean;
}

/** `RunnerConfig` names of earlier versions, with what replaced them. */
const RENAMED_RUNNER_OPTIONS: Readonly<Record<string, string>> = {
  runTimeoutSeconds: 'runTimeout',
  maxRetries: 'modelCall.retry.maximumAttempts (attempts in all: maxRetries + 1)',
  activityOptions: 'modelCall { startToCloseTimeout, heartbeatTimeout, retry }',
};

/** Input of a run, as in the seed's `input_data`. */
export interface RunInputData {
  /** Input messages. */
  messages: Message[];
  /** Conversation the run belongs to. */
  conversationId?: string;
  /** Free-form parameters for the agent. */
  params?: Record<string, unknown>;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
}

/** Arguments of `AgentRunner.start` / `execute`. */
export interface StartRunOptions {
  /** The agent, or its key. */
  agent: AgentRuntime | string;
  /** The run id (the workflow id). Starting an id that is running returns a handle to that run. */
  runId: string;
  /** What the run works on. */
  inputData: RunInputData;
}

/** Buses `RunHandle.events()` already warned about (see `warnNoTransient`). */
const warnedBuses = new WeakSet<EventBus>();

/**
 * Warns (once per bus, through `console.warn`) that `events()` follows the durable events only,
 * because the bus refused a transient subscription.
 */
function warnNoTransient(bus: EventBus, err: unknown): void {
  if (warnedBuses.has(bus)) return;
  warnedBuses.add(bus);
  const reason = err instanceof Error ? err.message : String(err);
  console.warn(
    `agent-runtime-core: RunHandle.events() yields durable events only (no token deltas): the event bus cannot subscribe to transient events: ${reason}`,
  );
}

/** Options of `RunHandle.events`. */
export interface EventsOptions {
  /** Deliver events with `seq` greater than this. @default 0 */
  afterSeq?: number;
  /** Keep waiting for new events until the run ends. @default true */
  follow?: boolean;
  /** Longest wait of one long-poll (a duration; the run caps it at one minute). @default '30s' */
  pollTimeout?: Duration;
  /**
   * Interleave transient token-streaming events when the runner has an `eventBus` (following
   * only). @default true
   */
  transient?: boolean;
}

/** A handle to one run. */
export class RunHandle {
  constructor(
    /** The run id. */
    readonly runId: string,
    /** The underlying Temporal workflow handle. */
    readonly workflow: WorkflowHandle,
    /**
     * The runner's event bus (`AgentRunnerOptions.eventBus`), if any: the event store for
     * `storedEvents()` and the source of transient events (token deltas) for `events()`.
     */
    readonly eventBus?: EventBus,
  ) {}

  /**
   * The run's events as the event store holds them (runs started with `persistence: {
   * runEvents: true }`): readable from any process long after the run, when Temporal no longer
   * answers for it. A run id started more than once holds every execution's events, in order,
   * numbered on (see docs/persistence.md). Throws `CONFIG_MISSING` when the runner has no
   * `eventBus`.
   */
  async storedEvents(options: { afterSeq?: number } = {}): Promise<RunEvent[]> {
    if (!this.eventBus) {
      throw new AgentRuntimeError(
        'CONFIG_MISSING',
        'storedEvents() needs the event store: pass `eventBus` to the AgentRunner',
      );
    }
    return readRunEvents(this.eventBus, this.runId, options);
  }

  /**
   * Waits for the run to end and returns its result. A failed, cancelled or timed-out run
   * resolves too, with `error` set (`RUN_CANCELLED`, `RUN_TIMED_OUT`, or the failure's code).
   */
  async result(): Promise<RunResult> {
    try {
      return (await this.workflow.result()) as RunResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) return resultFromFailure(err);
      throw err;
    }
  }

  /**
   * The run's events in order, each once. With `follow` (the default) it waits for new events
   * (a long-poll Update) and ends after the terminal event; without, it returns what exists now.
   *
   * When the runner has an `eventBus`, following also yields the transient streaming events
   * (`assistant.delta` `{ turn, attempt, index, delta }`, `assistant.retry` `{ turn, attempt }`)
   * as they arrive, interleaved with the durable ones. They are not in the durable log: their
   * `seq` repeats the seq of the last durable event yielded before them (so resuming with
   * `afterSeq` still works), and deltas published before this call started are not replayed.
   * `isTransientEventType(e.type)` tells them apart; `StreamedText` assembles their text. The
   * durable `assistant.message` event always carries the complete answer. A bus that cannot
   * subscribe to transient events (a `PostgresEventBus` without LISTEN, as on PGlite) gives the
   * durable events alone, with one `console.warn` per bus.
   */
  async *events(options: EventsOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const bus = this.eventBus;
    if (!bus?.subscribeTransient || options.follow === false || options.transient === false) {
      yield* this.durableEvents(options);
      return;
    }
    let sub: TransientSubscription;
    try {
      sub = await bus.subscribeTransient(this.runId);
    } catch (err) {
      // A bus that cannot carry transient events here (a PostgresEventBus without LISTEN, as
      // on PGlite; LISTEN failing): the durable events alone, and a warning once per bus.
      warnNoTransient(bus, err);
      yield* this.durableEvents(options);
      return;
    }
    type Item = { durable: RunEvent } | { transient: TransientEvent } | { end: true };
    const items: Item[] = [];
    let wake: (() => void) | undefined;
    let failure: { error: unknown } | undefined;
    let stopped = false;
    const push = (item: Item) => {
      items.push(item);
      wake?.();
    };
    const durable = (async () => {
      try {
        for await (const e of this.durableEvents(options)) {
          if (stopped) return;
          push({ durable: e });
        }
      } catch (error) {
        failure = { error };
      } finally {
        push({ end: true });
      }
    })();
    const transient = (async () => {
      for await (const t of sub) push({ transient: t });
    })();
    let seq = options.afterSeq ?? 0;
    try {
      for (;;) {
        const item = items.shift();
        if (!item) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if ('end' in item) {
          if (failure) throw failure.error;
          return;
        }
        if ('durable' in item) {
          seq = item.durable.seq;
          yield item.durable;
        } else {
          const t = item.transient;
          yield {
            seq,
            runId: this.runId,
            type: t.type,
            payload: t.payload,
            timestamp: t.timestamp,
          };
        }
      }
    } finally {
      stopped = true;
      await sub.close();
      await transient;
      // The durable loop stops at its next event or poll answer; do not wait for it here.
      void durable;
    }
  }

  /** The durable events only (the long-poll loop). */
  private async *durableEvents(
    options: EventsOptions = {},
  ): AsyncGenerator<RunEvent, void, undefined> {
    let seq = options.afterSeq ?? 0;
    const follow = options.follow ?? true;
    const pollMs = durationMs(options.pollTimeout ?? '30s', 'pollTimeout', 'INVALID_INPUT');
    let failures = 0;
    for (;;) {
      let batch: { events: RunEvent[]; done: boolean };
      if (!follow) {
        batch = { events: await this.workflow.query(eventsQuery, seq), done: true };
      } else {
        try {
          batch = await this.workflow.executeUpdate(waitForEventsUpdate, {
            args: [{ afterSeq: seq, timeout: pollMs }],
          });
          failures = 0;
        } catch (err) {
          // The run closed (Temporal then refuses or aborts updates, reporting "not found") or
          // the update was cancelled with the run: read the rest with a query, which closed runs
          // still answer. describe() tells a closed run from one that never existed.
          const closed = await this.isClosed();
          const events = await this.workflow.query(eventsQuery, seq);
          batch = { events, done: closed || events.some((e) => isTerminalEventType(e.type)) };
          // Anything else while the run is still going is retried a few times, then reported.
          if (!batch.done && ++failures > 3) throw err;
        }
      }
      for (const event of batch.events) {
        if (event.seq <= seq) continue;
        seq = event.seq;
        yield event;
      }
      if (batch.done) return;
    }
  }

  private async isClosed(): Promise<boolean> {
    try {
      return (await this.workflow.describe()).status.name !== 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(this.runId, err);
      throw err;
    }
  }

  /** The run's status. Works while running and after the end (then from Temporal's record if no worker answers). */
  async status(): Promise<RunStatusInfo> {
    try {
      const s = await this.workflow.query(statusQuery);
      return s.error ? { ...s, error: normalizeErrorInfo(s.error) } : s;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(this.runId, err);
      const d = await this.workflow.describe();
      const map: Record<string, RunStatus> = {
        RUNNING: 'running',
        COMPLETED: 'succeeded',
        FAILED: 'failed',
        CANCELLED: 'cancelled',
        TERMINATED: 'failed',
        TIMED_OUT: 'timed_out',
        CONTINUED_AS_NEW: 'running',
      };
      const key = d.typedSearchAttributes.get(AgentKeySearchAttribute);
      return {
        runId: this.runId,
        agentKey: key ?? '',
        status: map[d.status.name] ?? 'running',
        lastSeq: -1,
      };
    }
  }

  /** The last state the agent saved with `ctx.checkpoint`, or null. */
  async checkpoint(): Promise<Record<string, unknown> | null> {
    return this.workflow.query(checkpointQuery);
  }

  /**
   * Approves or rejects a tool call waiting for human approval (announced by a
   * `tool.approval_requested` event carrying its `toolCallId`). A rejection, with its `reason`,
   * goes back to the model as the tool's result. Throws `AgentRuntimeError` `NOT_FOUND` when no
   * such call awaits approval, `CONFLICT` when it was decided already (or timed out) or the run
   * has ended, `INVALID_INPUT` for a malformed decision, `RUN_NOT_FOUND` for an unknown run.
   */
  async approveToolCall(
    toolCallId: string,
    decision: { approved: boolean; reason?: string },
  ): Promise<ApproveToolCallResponse> {
    if (typeof toolCallId !== 'string' || toolCallId === '') {
      throw new AgentRuntimeError('INVALID_INPUT', 'toolCallId must be a non-empty string');
    }
    if (!decision || typeof decision.approved !== 'boolean') {
      throw new AgentRuntimeError('INVALID_INPUT', 'decision.approved must be a boolean');
    }
    try {
      return await this.workflow.executeUpdate(approveToolCallUpdate, {
        args: [
          {
            toolCallId,
            approved: decision.approved,
            ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
          },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw fromApplicationFailure(err.cause, 'INVALID_INPUT', {
          details: { runId: this.runId, toolCallId },
          cause: err,
        });
      }
      if (err instanceof WorkflowNotFoundError) {
        // Temporal says "not found" for a run that has ended, too; tell the two apart.
        if (await this.isClosed()) {
          throw new AgentRuntimeError(
            'CONFLICT',
            `Run "${this.runId}" has ended: its tool calls can no longer be approved or rejected.`,
            { details: { runId: this.runId, toolCallId }, cause: err },
          );
        }
        throw notFound(this.runId, err);
      }
      throw err;
    }
  }

  /** Asks the run to stop. The run ends `cancelled`; in-flight model calls are aborted. */
  async cancel(): Promise<void> {
    await this.workflow.cancel();
  }
}

function notFound(runId: string, cause: unknown): AgentRuntimeError {
  return new AgentRuntimeError('RUN_NOT_FOUND', `No run with id "${runId}".`, {
    details: { runId },
    cause,
  });
}

function resultFromFailure(err: WorkflowFailedError): RunResult {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    return toRunResult({ error: info('RUN_CANCELLED', 'Run cancelled') });
  }
  if (cause instanceof TerminatedFailure) {
    return toRunResult({ error: info('RUN_FAILED', `Run terminated: ${cause.message}`) });
  }
  if (cause instanceof TimeoutFailure) {
    return toRunResult({ error: info('RUN_TIMED_OUT', `Run timed out (${cause.timeoutType})`) });
  }
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { error?: unknown; result?: RunResult } | undefined;
    // Runs of earlier versions wrote `retriable`: read either spelling.
    const error = detail?.error
      ? normalizeErrorInfo(detail.error)
      : info(cause.type ?? 'RUN_FAILED', cause.message);
    return { ...toRunResult(detail?.result), error };
  }
  return toRunResult({ error: info('RUN_FAILED', cause?.message ?? err.message) });
}

function info(type: string, message: string): ErrorInfo {
  return { type, message, stack: '', retryable: false, details: {} };
}

/** Options of `AgentRunner`. */
export interface AgentRunnerOptions {
  /** Run settings. */
  config?: RunnerConfig;
  /** A Temporal client to use (the runner then does not own the connection). */
  client?: Client;
  /**
   * Which stores the workers write runs to (they must have them: see docs/persistence.md).
   * Every run this runner starts carries it. Fields given here override the defaults one by one
   * (a field left out or `undefined` keeps its default). @default from the settings: `runEvents`
   * when `eventBusBackend` is not `memory`, `checkpoints` when `stateStoreBackend` is not
   * `memory`; otherwise none (runs schedule no store activity)
   */
  persistence?: RunPersistenceOptions;
  /**
   * The event bus the workers use (the same backend: memory in one process, Postgres or Redis
   * across processes). `RunHandle.storedEvents()` reads the event store from it, and
   * `RunHandle.events()` interleaves the transient `assistant.delta` / `assistant.retry` events
   * with the durable ones. @default none
   */
  eventBus?: EventBus;
}

/**
 * The persistence a runner asks for when none is given: what the shared settings say the workers
 * have (`eventBusBackend` / `stateStoreBackend` other than `memory`, as `worker.ts` builds them).
 */
function defaultPersistence(
  eventBusBackend: string,
  stateStoreBackend: string,
): RunPersistenceOptions | undefined {
  const runEvents = eventBusBackend !== 'memory';
  const checkpoints = stateStoreBackend !== 'memory';
  return runEvents || checkpoints ? { runEvents, checkpoints } : undefined;
}

/**
 * The runner's persistence: the settings-derived defaults, with each field the caller set
 * (not `undefined`) overriding its default, e.g. `{ conversations: true }` keeps the default
 * `runEvents`/`checkpoints`, and `{ runEvents: false }` turns only `runEvents` off.
 */
function mergePersistence(
  defaults: RunPersistenceOptions | undefined,
  given: RunPersistenceOptions | undefined,
): RunPersistenceOptions | undefined {
  if (!given) return defaults;
  const merged: RunPersistenceOptions = { ...defaults };
  for (const key of ['runEvents', 'conversations', 'checkpoints'] as const) {
    const value = given[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Starts agent runs on Temporal and gives handles to them. */
export class AgentRunner {
  /** The resolved settings. */
  readonly config: ResolvedRunnerConfig;
  private clientPromise: Promise<Client> | undefined;
  private ownedConnection: Connection | undefined;
  private readonly persistence: RunPersistenceOptions | undefined;
  private readonly eventBus: EventBus | undefined;

  constructor(options: AgentRunnerOptions = {}) {
    const c = options.config ?? {};
    rejectRenamedOptions(c, RENAMED_RUNNER_OPTIONS, 'RunnerConfig', 'CONFIG_INVALID');
    const g = getConfig();
    const runTimeout = c.runTimeout ?? g.runTimeout;
    runTimeoutMs(runTimeout, 'config.runTimeout', 'CONFIG_INVALID');
    checkModelCallOptions(c.modelCall, 'config.modelCall', 'CONFIG_INVALID');
    this.config = {
      runTimeout,
      modelCall: resolveModelCall(mergeModelCall(g.modelCall, c.modelCall)),
      taskQueue: c.taskQueue ?? g.taskQueue,
      namespace: c.namespace ?? options.client?.options.namespace ?? g.temporalNamespace,
      address: c.address ?? g.temporalAddress,
      searchAttributes: c.searchAttributes ?? true,
    };
    if (options.client) this.clientPromise = Promise.resolve(options.client);
    this.persistence = mergePersistence(
      defaultPersistence(g.eventBusBackend, g.stateStoreBackend),
      options.persistence,
    );
    this.eventBus = options.eventBus;
  }

  /** The Temporal client (connecting on first use). */
  async client(): Promise<Client> {
    this.clientPromise ??= (async () => {
      this.ownedConnection = await Connection.connect({ address: this.config.address });
      return new Client({ connection: this.ownedConnection, namespace: this.config.namespace });
    })();
    return this.clientPromise;
  }

  /** Starts a run and returns its handle; if a run with this id is running, a handle to it. */
  async start(options: StartRunOptions): Promise<RunHandle> {
    const agentKey = typeof options.agent === 'string' ? options.agent : options.agent.key;
    if (!options.runId || typeof options.runId !== 'string') {
      throw new AgentRuntimeError('INVALID_INPUT', 'runId must be a non-empty string');
    }
    if (!agentKey) throw new AgentRuntimeError('INVALID_INPUT', 'agent (or its key) is required');
    const data = options.inputData;
    if (!data || !Array.isArray(data.messages)) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'inputData.messages must be an array of messages',
      );
    }
    const input: AgentRunInput = {
      agentKey,
      runId: options.runId,
      messages: data.messages,
      runTimeout: this.config.runTimeout,
      modelCall: this.config.modelCall,
      ...(data.conversationId !== undefined ? { conversationId: data.conversationId } : {}),
      ...(data.params !== undefined ? { params: data.params } : {}),
      ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
      ...(this.persistence ? { persistence: this.persistence } : {}),
    };
    const client = await this.client();
    try {
      const handle = await client.workflow.start(AGENT_RUN_WORKFLOW, {
        workflowId: options.runId,
        taskQueue: this.config.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: summarize(agentKey, data.messages),
        staticDetails: `Agent **${agentKey}**, run \`${options.runId}\`${data.conversationId ? `, conversation \`${data.conversationId}\`` : ''}.`,
        ...(this.config.searchAttributes
          ? {
              typedSearchAttributes: [
                { key: AgentKeySearchAttribute, value: agentKey },
                { key: AgentStatusSearchAttribute, value: 'running' },
              ],
            }
          : {}),
      });
      return new RunHandle(options.runId, handle, this.eventBus);
    } catch (err) {
      const message = (err as Error)?.message ?? '';
      if (/search attribute/i.test(message)) {
        throw new AgentRuntimeError(
          'CONFIG_MISSING',
          'The Temporal namespace lacks the AgentKey/AgentStatus search attributes. Register them with ' +
            '`temporal operator search-attribute create --name AgentKey --type Keyword` (and AgentStatus), ' +
            'or pass { searchAttributes: false } in RunnerConfig.',
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Starts a run and waits for its result (see `RunHandle.result`). */
  async execute(options: StartRunOptions): Promise<RunResult> {
    return (await this.start(options)).result();
  }

  /** A handle to an existing run. */
  async getHandle(runId: string): Promise<RunHandle> {
    const client = await this.client();
    return new RunHandle(runId, client.workflow.getHandle(runId), this.eventBus);
  }

  /** Closes the connection the runner opened (not one it was given). */
  async close(): Promise<void> {
    await this.ownedConnection?.close();
    this.ownedConnection = undefined;
  }
}

/** A one-line UI summary (Temporal allows 200 bytes). */
function summarize(agentKey: string, messages: Message[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const text =
    typeof lastUser?.content === 'string' ? lastUser.content.replace(/\s+/g, ' ').trim() : '';
  const line = text ? `${agentKey}: ${text}` : agentKey;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
