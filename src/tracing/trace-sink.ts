// Node side (worker): trace events, the `TraceSink` interface, and the dispatcher that feeds the
// sinks without ever failing or holding up a run.

/** Fields every trace event carries. */
interface TraceEventBase {
  /** The run the event belongs to. */
  runId: string;
  /** When it happened (ISO 8601, worker clock). */
  timestamp: string;
}

/** A run started (its first execution, or a retry of the whole run). */
export interface RunStartTraceEvent extends TraceEventBase {
  type: 'run.start';
  agentKey: string;
  /** The execution's attempt (1 unless the whole run was retried). */
  attempt: number;
}

/** A run ended. */
export interface RunEndTraceEvent extends TraceEventBase {
  type: 'run.end';
  agentKey: string;
  /** `succeeded`, `failed`, `cancelled` or `timed_out`. */
  status: string;
  /** The run's total tokens and cost (cost absent when no model was priced). */
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd?: number;
  /** Model calls the run made. */
  modelCalls?: number;
  /** Why it did not succeed. */
  error?: { type: string; message: string };
}

/** One attempt of one model call (`invokeModel`). */
export interface ModelCallTraceEvent extends TraceEventBase {
  type: 'model.call';
  /** Which model call of the run (1, 2, …). */
  turn: number;
  /** The Temporal attempt of this call (2 and up are retries). */
  attempt: number;
  /** The model asked for (absent when the call named none). */
  requestModel?: string;
  /** The model that answered (absent when the attempt failed). */
  model?: string;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Cost by the worker's `modelPrices`; absent when unpriced. */
  costUsd?: number;
  /** Wall time of the attempt, in milliseconds. */
  latencyMs: number;
  /** Why generation stopped (absent when the attempt failed). */
  finishReason?: string;
  /** Set when the attempt failed. */
  error?: { type: string; message: string };
}

/** One attempt of one tool call (`executeTool`). */
export interface ToolCallTraceEvent extends TraceEventBase {
  type: 'tool.call';
  tool: string;
  toolCallId: string;
  attempt: number;
  latencyMs: number;
  /** Set when the attempt failed. */
  error?: { type: string; message: string };
}

/** One attempt of one `StepExecutor` step (`runStep`). */
export interface StepTraceEvent extends TraceEventBase {
  type: 'step';
  step: string;
  stepIndex: number;
  attempt: number;
  latencyMs: number;
  /** Set when the attempt failed. */
  error?: { type: string; message: string };
}

/** Something failed: a model call, tool call or step attempt, or the run itself. */
export interface ErrorTraceEvent extends TraceEventBase {
  type: 'error';
  /** What failed: `model.call`, `tool.call`, `step` or `run`. */
  source: string;
  errorType: string;
  message: string;
  attempt?: number;
}

/** Every trace event, discriminated by `type`. */
export type TraceEvent =
  | RunStartTraceEvent
  | RunEndTraceEvent
  | ModelCallTraceEvent
  | ToolCallTraceEvent
  | StepTraceEvent
  | ErrorTraceEvent;

/**
 * Receives the trace events of the runs a worker executes (register it with
 * `createAgentWorker({ traceSinks })` or `configure({ traceSinks })`). Calls are made off the
 * run's path: a sink that throws, rejects or never settles costs the run nothing (the dispatcher
 * counts the failure and moves on after `sinkTimeout`).
 */
export interface TraceSink {
  /** Handles one event. May be async. */
  trace(event: TraceEvent): void | Promise<void>;
}

/** Options of `TraceDispatcher`. */
export interface TraceDispatcherOptions {
  /** Events waiting per sink before the oldest is dropped. @default 1000 */
  bufferSize?: number;
  /** How long one `trace()` call may take before the dispatcher moves on. @default 5000 */
  sinkTimeoutMs?: number;
}

/** What a dispatcher has done so far. */
export interface TraceDispatcherStats {
  /** Calls that returned (or resolved) in time. */
  delivered: number;
  /** Calls that threw or rejected. */
  errors: number;
  /** Calls that did not settle within `sinkTimeoutMs`. */
  timedOut: number;
  /** Events dropped because a sink's buffer was full. */
  dropped: number;
}

/** One sink with its own bounded queue, drained one event at a time. */
class SinkQueue {
  private readonly queue: TraceEvent[] = [];
  private draining = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly sink: TraceSink,
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly stats: TraceDispatcherStats,
  ) {}

  push(event: TraceEvent): void {
    if (this.queue.length >= this.size) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(event);
    if (!this.draining) {
      this.draining = true;
      // Never on the caller's stack: a synchronous sink that blocks still runs later.
      setImmediate(() => void this.drain());
    }
  }

  whenIdle(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      await this.deliver(event);
    }
    this.draining = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async deliver(event: TraceEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => this.sink.trace(event))
          .then(() => 'ok' as const),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
          timer.unref();
        }),
      ]);
      if (outcome === 'ok') this.stats.delivered++;
      else this.stats.timedOut++;
    } catch {
      this.stats.errors++;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/**
 * Hands trace events to sinks: `trace()` returns at once; each sink has a bounded buffer drained
 * in the background; errors and timeouts are counted (`stats()`), never thrown.
 */
export class TraceDispatcher {
  private readonly queues: SinkQueue[];
  private readonly counters: TraceDispatcherStats = {
    delivered: 0,
    errors: 0,
    timedOut: 0,
    dropped: 0,
  };

  constructor(sinks: readonly TraceSink[], options: TraceDispatcherOptions = {}) {
    const size = options.bufferSize ?? 1000;
    const timeoutMs = options.sinkTimeoutMs ?? 5000;
    if (!(size >= 1) || !(timeoutMs > 0)) {
      throw new RangeError('TraceDispatcher: bufferSize must be >= 1 and sinkTimeoutMs > 0');
    }
    this.queues = sinks.map((s) => new SinkQueue(s, size, timeoutMs, this.counters));
  }

  /** Whether any sink is registered (callers skip building events otherwise). */
  get enabled(): boolean {
    return this.queues.length > 0;
  }

  /** Queues `event` for every sink; never throws, never waits. */
  trace(event: TraceEvent): void {
    for (const q of this.queues) q.push(event);
  }

  /** Resolves when every queue is empty (or `timeoutMs` passed). */
  async flush(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.queues.map((q) => q.whenIdle())),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    if (timer) clearTimeout(timer);
  }

  /** Counts of delivered, failed, timed-out and dropped calls. */
  stats(): TraceDispatcherStats {
    return { ...this.counters };
  }
}

/** Options of `ConsoleTraceSink`. */
export interface ConsoleTraceSinkOptions {
  /** Where lines go. @default console.log */
  write?: (line: string) => void;
}

/** A sink that writes one JSON line per event (to stdout by default). */
export class ConsoleTraceSink implements TraceSink {
  private readonly write: (line: string) => void;

  constructor(options: ConsoleTraceSinkOptions = {}) {
    this.write = options.write ?? ((line) => console.log(line));
  }

  trace(event: TraceEvent): void {
    this.write(`[agent-trace] ${JSON.stringify(event)}`);
  }
}
