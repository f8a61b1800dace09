// Sandbox-safe: the RunContext given to agents inside agentRunWorkflow. Every I/O call it offers
// becomes an activity; everything else is deterministic workflow state.
import {
  ActivityFailure,
  ApplicationFailure,
  ActivityCancellationType,
  patched,
  proxyActivities,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { AgentRuntimeError } from '../src/core/errors';
import { fromActivityFailure } from '../src/core/failures';
import { EventType } from '../src/core/events';
import type { JsonObject, Message, RunEvent, Usage } from '../src/core/types';
import { addUsage, emptyUsage } from '../src/core/types';
import type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
} from '../src/core/llm-types';
import { generateWith } from '../src/runtime/structured-output';
import type { RunContext } from '../src/runtime/context';
import { ToolRegistry } from '../src/tools/registry';
import type { AgentActivities } from '../src/core/activity-contract';
import type { AgentRunInput } from '../src/core/run-contract';

/** The event log of one run: gap-free sequence numbers, workflow-time timestamps. */
export class EventLog {
  readonly events: RunEvent[] = [];
  /** @internal Called with each event appended (run persistence flushes on some types). */
  onAppend: ((event: RunEvent) => void) | undefined;
  constructor(private readonly runId: string) {}

  append(type: string, payload: Record<string, unknown>): RunEvent {
    const event: RunEvent = {
      seq: this.events.length + 1,
      runId: this.runId,
      type,
      payload,
      timestamp: new Date().toISOString(),
    };
    this.events.push(event);
    this.onAppend?.(event);
    return event;
  }

  after(seq: number): RunEvent[] {
    return this.events.slice(Math.max(0, seq));
  }

  get lastSeq(): number {
    return this.events.length;
  }
}

/** Usage of failed attempts a model-call failure carries in its details (see invokeModel). */
function failedUsageOf(err: unknown): Usage | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) {
    return undefined;
  }
  const details = err.cause.details?.[0] as { failedAttemptsUsage?: Usage } | undefined;
  return details?.failedAttemptsUsage;
}

/**
 * The run's LLM client: each call is one `invokeModel` activity, followed by an
 * `assistant.message` event `{ turn, model, finishReason, content, toolCalls, usage, latencyMs }`.
 * Streamed calls are one activity too; their deltas reach watchers through the event bus.
 */
class ActivityLLMClient implements LLMClient {
  readonly provider = 'temporal-activity';
  private turn = 0;
  private readonly acts: ActivityInterfaceFor<AgentActivities>;

  constructor(
    private readonly run: WorkflowRunContext,
    input: AgentRunInput,
  ) {
    const o = input.activityOptions ?? {};
    this.acts = proxyActivities<AgentActivities>({
      startToCloseTimeout: `${o.llmStartToCloseTimeoutSeconds ?? 300}s`,
      heartbeatTimeout: `${o.llmHeartbeatTimeoutSeconds ?? 30}s`,
      // The run reports cancellation at once; the activity learns of it at its next heartbeat
      // and aborts the HTTP request.
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry: {
        initialInterval: `${o.retryInitialIntervalSeconds ?? 1}s`,
        backoffCoefficient: 2,
        maximumInterval: `${o.retryMaximumIntervalSeconds ?? 60}s`,
        maximumAttempts: (o.maxRetries ?? 3) + 1,
        // No nonRetryableErrorTypes list: each failure says whether it is retryable
        // (activities/failures.ts, from the ERROR_CODES table and the provider's x-should-retry).
      },
    });
  }

  async generate(
    messages: readonly Message[],
    options: GenerateOptions = {},
  ): Promise<LLMResponse> {
    // With a responseSchema, the zod schema stays here: its JSON Schema goes to the activity, the
    // answer is parsed and validated in the workflow, and invalid output is re-asked as a new call.
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
    // Inside a run a streamed call is still one activity: the workflow gets the whole answer.
    const r = await this.call(messages, options, true);
    yield {
      delta: r.content,
      ...(r.toolCalls.length ? { toolCalls: r.toolCalls } : {}),
      finishReason: r.finishReason,
      usage: r.usage,
    };
  }

  private async call(
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
    // A turn boundary: publish the events so far (no-op unless the run persists its events).
    if (this.run.beforeModelCall) await this.run.beforeModelCall();
    const turn = ++this.turn;
    try {
      const result = await this.acts.invokeModel.executeWithOptions(
        { summary: `model call ${turn}${rest.model ? ` (${rest.model})` : ''}` },
        [{ runId: this.run.runId, turn, messages: [...messages], options: rest, stream }],
      );
      const { latencyMs, failedAttemptsUsage, ...response } = result;
      this.run.addUsage(response.usage);
      // Failed attempts that were billed (a stream that broke after it started) count too.
      if (failedAttemptsUsage) this.run.addUsage(failedAttemptsUsage);
      this.run.emitSync(EventType.ASSISTANT_MESSAGE, {
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
      const billed = failedUsageOf(err);
      if (billed) this.run.addUsage(billed);
      throw fromActivityFailure(err, 'LLM_ERROR', {
        otherCode: 'LLM_TIMEOUT',
        otherPrefix: 'Model call failed: ',
      });
    }
  }
}

/** Patch id gating the state-store checkpoint activities (see `patched` in @temporalio/workflow). */
const CHECKPOINT_STORE_PATCH = 'agent-runtime-core/checkpoint-state-store';

/** The checkpoint activities: short, retried with backoff (the store may be briefly down). */
function stateStoreActivities(): ActivityInterfaceFor<AgentActivities> {
  return proxyActivities<AgentActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
  });
}

/** The RunContext implementation used inside `agentRunWorkflow`. */
export class WorkflowRunContext implements RunContext {
  readonly runId: string;
  readonly conversationId: string | undefined;
  readonly inputMessages: readonly Message[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly tools = new ToolRegistry();
  readonly llm: LLMClient;
  private state: Record<string, unknown> | null = null;
  private stateLoaded = false;
  private readonly storeCheckpoints: boolean;
  private usage: Usage = emptyUsage();
  private cancelled = false;
  private loadedHistory: readonly Message[] = Object.freeze([]);
  /** @internal Called before each model call (run persistence flushes events there). */
  beforeModelCall: (() => Promise<void>) | undefined;
  /**
   * @internal When the run's own timeout fires (workflow time, ms): the run timer starts as the
   * context is built. Approvals and steps warn when they would outlast it.
   */
  readonly deadlineMs: number;

  constructor(
    input: AgentRunInput,
    private readonly log: EventLog,
  ) {
    this.runId = input.runId;
    this.conversationId = input.conversationId;
    this.inputMessages = Object.freeze([...input.messages]);
    this.params = Object.freeze({ ...(input.params ?? {}) });
    this.metadata = Object.freeze({ ...(input.metadata ?? {}) });
    this.llm = new ActivityLLMClient(this, input);
    this.storeCheckpoints = input.persistence?.checkpoints === true;
    this.deadlineMs = Date.now() + (input.runTimeoutSeconds ?? 300) * 1000;
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
    this.state = JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
    this.stateLoaded = true;
    this.emitSync(EventType.STATE_CHECKPOINT, { state: this.state });
    // Also to the worker's state store (a no-op without one), so a later run with the same run id
    // can resume. Gated: histories recorded before this existed replay without the activity.
    if (this.storeCheckpoints && patched(CHECKPOINT_STORE_PATCH)) {
      try {
        await stateStoreActivities().saveRunCheckpoint.executeWithOptions(
          { summary: 'save checkpoint' },
          [{ runId: this.runId, state: this.state as JsonObject }],
        );
      } catch (err) {
        throw fromActivityFailure(err, 'STORAGE_ERROR', {
          prefix: 'Could not save the checkpoint: ',
        });
      }
    }
  }

  /**
   * The state of the last `checkpoint` of this run; before the first one, the checkpoint saved in
   * the worker's state store by an earlier run with the same run id (loaded once), or `null`.
   */
  async getState<T extends Record<string, unknown>>(): Promise<T | null> {
    if (
      this.state === null &&
      !this.stateLoaded &&
      this.storeCheckpoints &&
      patched(CHECKPOINT_STORE_PATCH)
    ) {
      this.stateLoaded = true;
      try {
        this.state = await stateStoreActivities().loadRunCheckpoint.executeWithOptions(
          { summary: 'load checkpoint' },
          [{ runId: this.runId }],
        );
      } catch (err) {
        throw fromActivityFailure(err, 'STORAGE_ERROR', {
          prefix: 'Could not load the checkpoint: ',
        });
      }
    }
    return this.state as T | null;
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
    this.usage = addUsage(this.usage, u);
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

  /** Token usage of every model call of this run so far. */
  totalUsage(): Usage {
    return { ...this.usage };
  }
}
