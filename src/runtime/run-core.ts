// Sandbox-safe: the run-context core. What a run does around its agent (the event log, the event
// after each model call, usage, checkpoints, the cancellation flag, history and input, the run's
// result and error) is decided here once, for real runs (workflows/run-context.ts, inside the
// workflow sandbox) and for test runs (src/testing/mock-context.ts, in-process), so the two cannot
// drift apart. The I/O comes in as functions (`RunCoreIO`, a clock): nothing here imports
// @temporalio/workflow.
//
// Awaits here mirror the workflow code this came from one for one: inside a workflow, one more or
// one fewer microtask could reorder the commands of concurrent branches and break the replay of
// recorded histories. Keep them so.
import { formatDuration } from '../core/durations';
import type { CompactEvent } from './transcript-chains';
import { toErrorInfo } from '../core/errors';
import { EventType } from '../core/events';
import { jsonCopy } from '../core/json';
import type {
  ErrorInfo,
  JsonObject,
  Message,
  RunEvent,
  RunResult,
  RunResultInit,
  Usage,
} from '../core/types';
import { addUsage, emptyUsage, toRunResult } from '../core/types';
import type { GenerateOptions, LLMClient, LLMResponse, LLMStreamChunk } from '../core/llm-types';
import type { InvokeModelOptions, InvokeModelResult } from '../core/activity-contract';
import type { RunBudget } from '../core/run-contract';
import { AgentRuntimeError } from '../core/errors';
import { ToolRegistry } from '../tools/registry';
import type { AgentRuntime } from './agent';
import type { RunContext } from './context';
import type { CarriedTranscript, ContinuedRun, RunTotals } from '../core/run-contract';
import { generateWith } from './structured-output';

/** Milliseconds since the epoch: workflow time inside a run, the wall clock in a test. */
export type RunClock = () => number;

/** The event log of one run: gap-free sequence numbers, timestamps from the run's clock. */
export class RunEventLog {
  /**
   * The events this log holds, in order (`seq` = `base` + index + 1): every event of the run, or
   * in an execution that continued an earlier one, the tail it carried and the events since.
   */
  readonly events: RunEvent[] = [];
  /** How many events of the run come before `events[0]` and are not held (0 unless continued). */
  readonly base: number;
  /** @internal Called with each event appended (run persistence flushes on some types). */
  onAppend: ((event: RunEvent) => void) | undefined;
  /**
   * @internal Called with each event appended: its form for publishing, with fields the workers
   * store sent by reference (see `ToolCallReferences.compactEvent`), or undefined.
   */
  compactor: ((event: RunEvent) => CompactEvent | undefined) | undefined;
  /** Compact forms of events not published yet, by seq. */
  private readonly compact = new Map<number, CompactEvent>();

  constructor(
    private readonly runId: string,
    private readonly now: RunClock,
    /** An earlier execution's last `seq` and the tail of its events (continue-as-new). */
    carried?: { lastSeq: number; tail: readonly RunEvent[] },
  ) {
    if (carried) {
      const tail = carried.tail.filter((e) => e.seq <= carried.lastSeq);
      this.base = carried.lastSeq - tail.length;
      this.events.push(...tail);
    } else {
      this.base = 0;
    }
  }

  /** Appends an event and returns it. */
  append(type: string, payload: Record<string, unknown>): RunEvent {
    const event: RunEvent = {
      seq: this.base + this.events.length + 1,
      runId: this.runId,
      type,
      payload,
      timestamp: new Date(this.now()).toISOString(),
    };
    this.events.push(event);
    const compact = this.compactor?.(event);
    if (compact) this.compact.set(event.seq, compact);
    this.onAppend?.(event);
    return event;
  }

  /** @internal The compact form of event `seq` (see `compactor`), if it has one. */
  compactOf(seq: number): CompactEvent | undefined {
    return this.compact.get(seq);
  }

  /** @internal Forgets the compact forms of the events up to `seq` (published). */
  forgetCompact(seq: number): void {
    for (const key of this.compact.keys()) if (key <= seq) this.compact.delete(key);
  }

  /** The events after sequence number `seq` (those this log holds). */
  after(seq: number): RunEvent[] {
    return this.events.slice(Math.max(0, seq - this.base));
  }

  /** The sequence number of the last event (0 before the first). */
  get lastSeq(): number {
    return this.base + this.events.length;
  }

  /**
   * The latest events, at most `n` of them and at most `maxChars` of JSON (what a continued
   * execution carries for watchers behind: it is written to history twice per continue-as-new).
   */
  tail(n: number, maxChars = Number.POSITIVE_INFINITY): RunEvent[] {
    const out: RunEvent[] = [];
    let chars = 0;
    for (let i = this.events.length - 1; i >= 0 && out.length < n; i--) {
      const event = this.events[i] as RunEvent;
      chars += JSON.stringify(event).length;
      if (chars > maxChars) break;
      out.push(event);
    }
    return out.reverse();
  }
}

/**
 * One model call as the core hands it to the run's I/O: the `invokeModel` activity's input
 * without the addressing (run id, provider), which the adapter adds.
 */
export interface ModelCallRequest {
  /** Which model call of the run this is (1, 2, …). */
  turn: number;
  /** The conversation to send (a copy). */
  messages: Message[];
  /** Call options without `signal`, `responseSchema` and `structuredRetries` (they stay here). */
  options: InvokeModelOptions;
  /** Whether the agent called `stream()`: the I/O streams, the agent gets the whole answer. */
  stream: boolean;
}

/** Where a run's checkpoints also go, so a later run with the same run id can resume. */
export interface RunCheckpointStoreIO {
  /** Whether to use the store now (asked at each checkpoint and at the first `getState()`). */
  enabled(): boolean;
  /** Saves the state. Return the I/O's own promise: it is awaited as is. */
  save(state: JsonObject): Promise<unknown>;
  /** The state saved by an earlier run with the same run id, or `null`. */
  load(): Promise<JsonObject | null>;
  /** The typed error of a failed save or load; `what` names it ("save the checkpoint"). */
  failure(err: unknown, what: string): unknown;
}

/** How a run continues as new (real runs only; a test context has none). */
export interface RunContinuationIO {
  /** Whether this execution should end at this safe point and the run continue as new. */
  should(): boolean;
  /**
   * How `messages` travel to the next execution: by reference where a durable store of the
   * workers holds them, else whole; with `anyStore`, by reference to any store that holds them
   * (a worker without them then fails the next execution's call with `TRANSCRIPT_MISSING`).
   */
  carry(messages: readonly Message[], options?: { anyStore?: boolean }): CarriedTranscript;
  /** The messages of a carried transcript, as the next execution's model calls continue them. */
  resume(carried: CarriedTranscript): Message[];
}

/**
 * Thrown by `ctx.continueAsNew` (and never caught by agents): the run workflow ends the execution
 * and starts the next with what this carries.
 */
export class ContinueAsNewRequest extends Error {
  constructor(
    /** The agent's state for the next execution. */
    readonly state: JsonObject,
    /** Conversations carried, by name. */
    readonly transcripts: Record<string, CarriedTranscript>,
    /**
     * The same conversations carried by reference to any store that holds them (see
     * `RunContinuationIO.carry`): for a carried state too large to go whole.
     */
    readonly byReference: () => Record<string, CarriedTranscript> = () => transcripts,
  ) {
    super('The run continues as new');
    this.name = 'ContinueAsNewRequest';
  }
}

/** Whether `err` is a `ContinueAsNewRequest`. */
export function isContinueAsNewRequest(err: unknown): err is ContinueAsNewRequest {
  return err instanceof ContinueAsNewRequest;
}

/** The I/O a run's context needs, given by the adapter (activities in a run, a client in tests). */
export interface RunCoreIO {
  /** `provider` of the run's LLM client (`ctx.llm`). */
  readonly provider: string;
  /**
   * Performs one model call. Return the I/O's own promise (an activity's, not one wrapped in an
   * `async` function): it is awaited as is.
   */
  invokeModel(request: ModelCallRequest): Promise<InvokeModelResult>;
  /** The error the agent sees for a failed model call. @default the failure itself */
  modelCallError?(err: unknown): unknown;
  /** Usage billed by failed attempts that a model call's failure carries. @default none */
  failedAttemptsUsage?(err: unknown): Usage | undefined;
  /** A state store for checkpoints. @default none: `getState()` starts from `null` */
  checkpointStore?: RunCheckpointStoreIO;
  /** Continue-as-new. @default none: `shouldContinueAsNew()` is always false */
  continuation?: RunContinuationIO;
}

/** What a `RunContextCore` is built from. */
export interface RunContextCoreInit {
  runId: string;
  conversationId?: string | undefined;
  /** The messages the run was started with (before any conversation history). */
  inputMessages: readonly Message[];
  params?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** @default an empty registry */
  tools?: ToolRegistry | undefined;
  /** The run's event log (the workflow creates it before the context, for `run.started`). */
  log: RunEventLog;
  io: RunCoreIO;
  /** What an earlier execution of the run carried over (continue-as-new). */
  continued?: ContinuedRun | undefined;
  /** Limits checked before every model call. @default none */
  budget?: RunBudget | undefined;
}

/**
 * The `RunContext` both runtimes share: a real run's context (`WorkflowRunContext`) and a test's
 * (`MockRunContext`) extend it and add only their I/O. Every model call through `llm` appends
 * `assistant.message` `{ turn, model, finishReason, content, toolCalls, usage, latencyMs }` and
 * adds its usage (and that of billed failed attempts) to the run's.
 */
export class RunContextCore implements RunContext {
  readonly runId: string;
  readonly conversationId: string | undefined;
  readonly inputMessages: readonly Message[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly tools: ToolRegistry;
  readonly llm: LLMClient;
  /** @internal Called before each model call (run persistence flushes events there). */
  beforeModelCall: (() => Promise<void>) | undefined;
  /** The run's event log. */
  protected readonly log: RunEventLog;
  private readonly io: RunCoreIO;
  private state: Record<string, unknown> | null = null;
  private stateLoaded = false;
  private runUsage: Usage = emptyUsage();
  private cancelled = false;
  private loadedHistory: readonly Message[] = Object.freeze([]);
  private turn = 0;
  private readonly carried: ContinuedRun | undefined;
  private readonly budget: RunBudget | undefined;

  constructor(init: RunContextCoreInit) {
    this.budget = init.budget;
    const c = init.continued;
    this.carried = c;
    if (c) {
      this.runUsage = { ...c.totals.usage };
      this.turn = c.totals.modelCalls;
      this.state = c.state === null ? null : jsonCopy(c.state);
      this.stateLoaded = true;
    }
    this.runId = init.runId;
    this.conversationId = init.conversationId;
    this.inputMessages = Object.freeze([...init.inputMessages]);
    this.params = Object.freeze({ ...(init.params ?? {}) });
    this.metadata = Object.freeze({ ...(init.metadata ?? {}) });
    this.tools = init.tools ?? new ToolRegistry();
    this.log = init.log;
    this.io = init.io;
    this.llm = new RunLLMClient(init.io.provider, (messages, options, stream) =>
      this.callModel(messages, options, stream),
    );
  }

  async emit(type: string, payload: Record<string, unknown> = {}): Promise<void> {
    this.emitSync(type, payload);
  }

  /** @internal */
  emitSync(type: string, payload: Record<string, unknown>): void {
    this.log.append(type, payload);
  }

  async checkpoint(state: Record<string, unknown>): Promise<void> {
    // A deep copy, so later mutation by the agent does not change the saved state.
    this.state = jsonCopy(state);
    this.stateLoaded = true;
    this.emitSync(EventType.STATE_CHECKPOINT, { state: this.state });
    // Also to the state store (when there is one), so a later run with the same run id can resume.
    const store = this.io.checkpointStore;
    if (store && store.enabled()) {
      try {
        await store.save(this.state as JsonObject);
      } catch (err) {
        throw store.failure(err, 'save the checkpoint');
      }
    }
  }

  /**
   * The state of the last `checkpoint` of this run; before the first one, the checkpoint saved in
   * the state store by an earlier run with the same run id (loaded once), or `null`.
   */
  async getState<T extends Record<string, unknown>>(): Promise<T | null> {
    const store = this.io.checkpointStore;
    if (this.state === null && !this.stateLoaded && store && store.enabled()) {
      this.stateLoaded = true;
      try {
        this.state = await store.load();
      } catch (err) {
        throw store.failure(err, 'load the checkpoint');
      }
    }
    return this.state as T | null;
  }

  /**
   * How many executions of this run came before this one: 0, or after continue-as-new, 1, 2, …
   */
  get executions(): number {
    return this.carried?.executions ?? 0;
  }

  /**
   * Whether the run should continue as new now: Temporal suggests it or this execution's history
   * passed the run's `continueAsNew` thresholds. Ask at a safe point of the agent (no model call,
   * tool call or step of its own running) and then call `continueAsNew`. Always `false` in a
   * test context and for runs with `continueAsNew: { enabled: false }`.
   */
  shouldContinueAsNew(): boolean {
    return this.io.continuation?.should() ?? false;
  }

  /**
   * Ends this execution and continues the run as new; never returns. The next execution runs the
   * agent's `run(ctx)` again with the same run id, input, event numbering and usage totals;
   * `ctx.getState()` there returns `state` (it also becomes the run's checkpoint), and
   * `ctx.carriedMessages(name)` the conversations given in `messages` (by reference: the workers'
   * transcript store keeps what the model saw; never the whole transcript through history).
   */
  async continueAsNew(
    state: Record<string, unknown>,
    options: { messages?: Record<string, readonly Message[]> } = {},
  ): Promise<never> {
    const io = this.io.continuation;
    if (!io) {
      throw new AgentRuntimeError(
        'CONFIG_INVALID',
        'continueAsNew: this context cannot continue as new (only real runs can)',
      );
    }
    const carryAll = (anyStore: boolean): Record<string, CarriedTranscript> => {
      const transcripts: Record<string, CarriedTranscript> = {};
      for (const [name, messages] of Object.entries(options.messages ?? {})) {
        transcripts[name] = io.carry(messages, { anyStore });
      }
      return transcripts;
    };
    const transcripts = carryAll(false);
    this.state = jsonCopy(state);
    this.stateLoaded = true;
    throw new ContinueAsNewRequest(this.state as JsonObject, transcripts, () => carryAll(true));
  }

  /**
   * In an execution that continued the run: the conversation the previous one carried under
   * `name` (`continueAsNew(state, { messages: { [name]: … } })`); else `null`. Pass it to the
   * model as is and push to it: its first messages may stand for messages the workers hold.
   */
  carriedMessages(name: string): Message[] | null {
    const carried = this.carried?.transcripts?.[name];
    if (!carried) return null;
    return this.io.continuation ? this.io.continuation.resume(carried) : [...carried.tail];
  }

  /** @internal The totals a continued execution carries (usage, model calls). */
  totals(): RunTotals {
    return { usage: { ...this.runUsage }, modelCalls: this.turn };
  }

  /** @internal The last checkpoint, for the query. */
  lastCheckpoint(): Record<string, unknown> | null {
    return this.state;
  }

  isCancelled(): boolean {
    return this.cancelled;
  }

  /** @internal */
  markCancelled(): void {
    this.cancelled = true;
  }

  /** @internal */
  addUsage(u: Usage): void {
    this.runUsage = addUsage(this.runUsage, u);
  }

  /** The conversation's messages loaded before the run (empty without a conversation). */
  get history(): readonly Message[] {
    return this.loadedHistory;
  }

  /** @internal Sets the loaded history; `inputMessages` becomes history + the new input. */
  setHistory(history: readonly Message[], newInput: readonly Message[]): void {
    this.loadedHistory = Object.freeze([...history]);
    (this as { inputMessages: readonly Message[] }).inputMessages = Object.freeze([
      ...history,
      ...newInput,
    ]);
  }

  /** How many model calls this run has made so far. */
  get modelCalls(): number {
    return this.turn;
  }

  /** Token usage of every model call of this run so far. */
  totalUsage(): Usage {
    return { ...this.runUsage };
  }

  /**
   * The result of a run whose agent returned `out`: with the run's total usage when its model
   * calls reported any (else the usage the agent returned).
   */
  resultOf(out: RunResultInit | undefined | null): RunResult {
    const result = toRunResult(out);
    const total = this.totalUsage();
    if (total.totalTokens > 0) result.usage = total;
    return result;
  }

  /** What a run that did not succeed reports beside its error: the usage so far. */
  partialResult(): RunResult {
    return toRunResult({ usage: this.totalUsage() });
  }

  /**
   * Throws `BUDGET_EXCEEDED` (after appending `budget.exceeded`) when the next model call would
   * start past one of the run's limits. Deterministic: reads only the run's own counters.
   */
  private checkBudget(): void {
    const budget = this.budget;
    if (!budget) return;
    const usage = this.runUsage;
    const over: [string, number, number] | undefined =
      budget.maxModelCalls !== undefined && this.turn >= budget.maxModelCalls
        ? ['maxModelCalls', budget.maxModelCalls, this.turn]
        : budget.maxTokens !== undefined && usage.totalTokens >= budget.maxTokens
          ? ['maxTokens', budget.maxTokens, usage.totalTokens]
          : budget.maxCostUsd !== undefined && (usage.cost ?? 0) >= budget.maxCostUsd
            ? ['maxCostUsd', budget.maxCostUsd, usage.cost ?? 0]
            : undefined;
    if (!over) return;
    const [limit, max, used] = over;
    const details = { limit, max, used, turn: this.turn + 1 };
    this.emitSync(EventType.BUDGET_EXCEEDED, details);
    throw new AgentRuntimeError(
      'BUDGET_EXCEEDED',
      `Run budget exceeded: ${limit} is ${max}, the run has used ${used}`,
      { details },
    );
  }

  private async callModel(
    messages: readonly Message[],
    options: GenerateOptions,
    stream: boolean,
  ): Promise<LLMResponse> {
    const {
      signal: _signal,
      responseSchema: _schema,
      structuredRetries: _retries,
      ...rest
    } = options;
    this.checkBudget();
    // A turn boundary: publish the events so far (no-op unless the run persists its events).
    if (this.beforeModelCall) await this.beforeModelCall();
    const turn = ++this.turn;
    try {
      const result = await this.io.invokeModel({
        turn,
        messages: [...messages],
        options: rest,
        stream,
      });
      const { latencyMs, failedAttemptsUsage, ...response } = result;
      this.addUsage(response.usage);
      // Failed attempts that were billed (a stream that broke after it started) count too.
      if (failedAttemptsUsage) this.addUsage(failedAttemptsUsage);
      this.emitSync(EventType.ASSISTANT_MESSAGE, {
        turn,
        model: response.model,
        finishReason: response.finishReason,
        content: response.content,
        toolCalls: response.toolCalls,
        usage: response.usage,
        latencyMs: latencyMs ?? null,
      });
      return response;
    } catch (err) {
      const billed = this.io.failedAttemptsUsage?.(err);
      if (billed) this.addUsage(billed);
      throw this.io.modelCallError ? this.io.modelCallError(err) : err;
    }
  }
}

/** One raw model call of the run (no schema handling). */
type RunModelCall = (
  messages: readonly Message[],
  options: GenerateOptions,
  stream: boolean,
) => Promise<LLMResponse>;

/**
 * The run's LLM client (`ctx.llm`). Structured output is handled here: the zod schema stays in
 * the run, its JSON Schema goes with the call, the answer is validated here, and invalid output
 * is re-asked as a new call. A streamed call is one call too: the agent gets the whole answer as
 * one chunk (in a real run its deltas reach watchers through the event bus).
 */
class RunLLMClient implements LLMClient {
  constructor(
    readonly provider: string,
    private readonly call: RunModelCall,
  ) {}

  async generate(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): Promise<LLMResponse> {
    return generateWith((m, o) => this.call(m, o, false), messages, options);
  }

  async *stream(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): AsyncIterable<LLMStreamChunk> {
    if (options.responseSchema) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'responseSchema is not supported by stream(): use generate() for structured output',
      );
    }
    const r = await this.call(messages, options, true);
    yield {
      delta: r.content,
      ...(r.toolCalls.length ? { toolCalls: r.toolCalls } : {}),
      finishReason: r.finishReason,
      usage: r.usage,
    };
  }
}

/** Payload of `run.started`. */
export function runStartedPayload(run: {
  agentKey: string;
  conversationId?: string | undefined;
  /** How many messages the run was started with (before any conversation history). */
  messageCount: number;
  /** The execution's attempt (1 unless the run was retried as a whole). */
  attempt: number;
}): Record<string, unknown> {
  return {
    agentKey: run.agentKey,
    conversationId: run.conversationId ?? null,
    messageCount: run.messageCount,
    attempt: run.attempt,
  };
}

/** Payload of `run.succeeded`. */
export function runSucceededPayload(result: RunResult): Record<string, unknown> {
  return { finalOutput: result.finalOutput, usage: result.usage };
}

/**
 * The `ErrorInfo` of a run whose agent threw `err`: the agent's `onError` hook decides (run
 * through `shield`, which a workflow makes non-cancellable); a hook that returns nothing gives
 * the error's own, and a hook that throws gives that error's.
 */
export async function runErrorInfo(
  agent: AgentRuntime,
  ctx: RunContext,
  err: unknown,
  shield: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<ErrorInfo> {
  let info: ErrorInfo | undefined;
  try {
    info = await shield(() => agent.onError(ctx, err));
  } catch (hookErr) {
    info = toErrorInfo(hookErr);
  }
  return info ?? toErrorInfo(err);
}

/** The `ErrorInfo` of a cancelled run. */
export function cancelledErrorInfo(): ErrorInfo {
  return {
    type: 'RUN_CANCELLED',
    message: 'Run cancelled',
    stack: '',
    retryable: false,
    details: {},
  };
}

/** The `ErrorInfo` of a run that outlived its `runTimeout`. */
export function timedOutErrorInfo(timeoutMs: number): ErrorInfo {
  return {
    type: 'RUN_TIMED_OUT',
    message: `Run timed out after ${formatDuration(timeoutMs)}`,
    stack: '',
    retryable: false,
    details: { timeoutMs },
  };
}
