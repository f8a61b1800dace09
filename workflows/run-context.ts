// Sandbox-safe: the RunContext given to agents inside agentRunWorkflow: the run-context core
// (src/runtime/run-core.ts) with workflow I/O plugged in. Every model call and checkpoint save
// becomes an activity; timestamps are workflow time.
import {
  ActivityFailure,
  ApplicationFailure,
  ActivityCancellationType,
  patched,
  proxyActivities,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { fromActivityFailure } from '../src/core/failures';
import type { Message, RunEvent, Usage } from '../src/core/types';
import { AgentRuntimeError, payloadTooLargeError } from '../src/core/errors';
import {
  RunContextCore,
  RunEventLog,
  type ModelCallRequest,
  type RunCheckpointStoreIO,
} from '../src/runtime/run-core';
import type {
  AgentActivities,
  InvokeModelOutput,
  InvokeModelResult,
  TranscriptRef,
} from '../src/core/activity-contract';
import {
  resolveContinueAsNew,
  resolveModelCall,
  runTimeoutMs,
  type AgentRunInput,
  type CarriedTranscript,
  type ContinueAsNewOptions,
  type ModelCallOptions,
} from '../src/core/run-contract';
import { expandResult } from '../src/core/transcript';
import { inputEnd } from './run-messages';
import { shortTranscriptId } from '../src/core/wire-ids';
import {
  isTranscriptPlaceholder,
  placeholderPosition,
  ToolCallReferences,
  TranscriptChains,
  type TranscriptCallPlan,
} from '../src/runtime/transcript-chains';
import {
  CHECKPOINT_STORE_PATCH,
  CONTINUE_AS_NEW_PATCH,
  RESULT_REFERENCE_PATCH,
  TRANSCRIPT_REFERENCE_PATCH,
} from './patches';

/** The event log of a run inside the workflow: timestamps in workflow time. */
export class EventLog extends RunEventLog {
  constructor(runId: string, carried?: { lastSeq: number; tail: readonly RunEvent[] }) {
    // Inside the sandbox, Date.now() is the workflow's deterministic time.
    super(runId, () => Date.now(), carried);
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

/** Whether an activity failed (after its retries) with an error of type `type`. */
export function activityFailedWith(err: unknown, type: string): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === type
  );
}

/** Whether an activity failed because its worker lacks the transcript it referred to. */
export function isTranscriptMissing(err: unknown): boolean {
  return activityFailedWith(err, 'TRANSCRIPT_MISSING');
}

/** The way out of a result too large to return whole, besides payload storage. */
export const RESULT_BY_REFERENCE =
  'give the runner a transcriptStore clients can read (Postgres, Redis), so finalMessages go by reference';

/**
 * The run's model calls: each is one `invokeModel` activity (the core appends the
 * `assistant.message` event that follows it). Streamed calls are one activity too; their deltas
 * reach watchers through the event bus. A call carries the messages new since the run's
 * previous call and a reference to the transcript the workers keep; runs recorded before that
 * (and `modelCall.transcript: 'full'`) send the whole conversation with every call.
 */
class ActivityLLMClient {
  private readonly acts: ActivityInterfaceFor<AgentActivities>;
  private readonly mode: ModelCallOptions['transcript'];
  /** Decided at the first call (the patch marker goes before its activity). */
  private byReference: boolean | undefined;
  private chains: TranscriptChains | undefined;
  /** Transcripts carried from the previous execution, by id. */
  private readonly seeded = new Map<string, TranscriptRef>();
  /** Where the run's own messages start in a carried transcript (`CarriedTranscript.ownFrom`). */
  private readonly ownFrom = new Map<string, number>();
  /** The conversation's history and the run's new input, in a run with a stored conversation. */
  private conversation: { history: readonly Message[]; newInput: readonly Message[] } | undefined;
  /** The latest reply's tool calls and their stored results (see `ToolCallReferences`). */
  readonly references = new ToolCallReferences();
  private readonly loadActs = proxyActivities<AgentActivities>({
    startToCloseTimeout: '60s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
  });

  constructor(
    private readonly runId: string,
    input: AgentRunInput,
  ) {
    const { startToCloseTimeout, heartbeatTimeout, retry } = resolveModelCall(input.modelCall);
    this.mode = input.modelCall?.transcript;
    this.acts = proxyActivities<AgentActivities>({
      startToCloseTimeout,
      heartbeatTimeout,
      // The run reports cancellation at once; the activity learns of it at its next heartbeat
      // and aborts the HTTP request.
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      // By default no nonRetryableErrorTypes list: each failure says whether it is retryable
      // (activities/failures.ts, from the ERROR_CODES table and the provider's x-should-retry).
      retry,
    });
  }

  /** One model call: returns the activity's own promise (the core awaits it as is). */
  invoke(request: ModelCallRequest): Promise<InvokeModelResult> {
    this.byReference ??= this.mode !== 'full' && patched(TRANSCRIPT_REFERENCE_PATCH);
    if (this.byReference) return this.invokeByReference(request);
    // A whole-conversation input gets a whole result (activities/invoke-model.ts).
    return this.acts.invokeModel.executeWithOptions({ summary: this.summary(request) }, [
      { runId: this.runId, ...request },
    ]) as Promise<InvokeModelResult>;
  }

  private summary(request: ModelCallRequest, note = ''): string {
    const model = request.options.model;
    return `model call ${request.turn}${model ? ` (${model})` : ''}${note}`;
  }

  private chainsOf(): TranscriptChains {
    this.chains ??= new TranscriptChains(`${this.runId}:${workflowInfo().runId}`);
    return this.chains;
  }

  /** Notes the run's conversation input (see `ownStart`). */
  setConversation(history: readonly Message[], newInput: readonly Message[]): void {
    this.conversation = { history, newInput };
  }

  /**
   * In a run with a stored conversation: where the run's own messages start in `messages`, past
   * a whole copy of its input (`inputEnd`). In a continued execution that copy is placeholders
   * of a carried transcript, whose `ownFrom` the previous execution worked out from the real
   * messages. `undefined` when it cannot be told.
   */
  ownStart(messages: readonly Message[]): number | undefined {
    const conversation = this.conversation;
    if (!conversation) return undefined;
    const first = placeholderPosition(messages[0]);
    if (!first) {
      // Placeholders after a real copy of the input: the run cannot tell what they stand for.
      return messages.some(isTranscriptPlaceholder)
        ? undefined
        : inputEnd(conversation.history, conversation.newInput, messages);
    }
    const from = this.ownFrom.get(first.id);
    if (from === undefined || messages.length < from) return undefined;
    for (let i = 0; i < from; i++) {
      const at = placeholderPosition(messages[i]);
      if (at?.id !== first.id || at.index !== i + 1) return undefined;
    }
    return from;
  }

  /**
   * How `messages` go to the next execution (continue-as-new): by reference when stored durably
   * (with `anyStore`: when stored at all).
   */
  carry(messages: readonly Message[], anyStore = false): CarriedTranscript {
    const carried = this.carryMessages(messages, anyStore);
    const ownFrom = carried.ref.length > 0 ? this.ownStart(messages) : undefined;
    // Only when the stored prefix covers the copy of the input (else the next execution cannot use it).
    return ownFrom !== undefined && ownFrom <= carried.ref.length
      ? { ...carried, ownFrom }
      : carried;
  }

  private carryMessages(messages: readonly Message[], anyStore: boolean): CarriedTranscript {
    if (this.chains) return this.chains.carry(messages, anyStore);
    if (messages.some(isTranscriptPlaceholder)) {
      throw new AgentRuntimeError(
        'TRANSCRIPT_MISSING',
        'A carried conversation cannot continue: the transcript it refers to is no longer followed',
      );
    }
    return { ref: { id: '', length: 0, hash: '' }, tail: [...messages] };
  }

  /**
   * `messages` by reference to a prefix that clients can read (a run's `finalMessages`), or
   * undefined: no such prefix, or a run recorded before results went by reference.
   */
  storedPrefix(messages: readonly Message[]): { ref: TranscriptRef; tail: Message[] } | undefined {
    const stored = this.chains?.storedPrefix(messages);
    return stored && patched(RESULT_REFERENCE_PATCH) ? stored : undefined;
  }

  /** `messages` by reference to the longest prefix any transcript of this execution stores. */
  workerPrefix(messages: readonly Message[]): { ref: TranscriptRef; tail: Message[] } | undefined {
    return this.chains?.storedPrefix(messages, 'workers');
  }

  /** The messages of a carried conversation (placeholders for the stored prefix, then its tail). */
  resume(carried: CarriedTranscript): Message[] {
    if (carried.ref.length <= 0) return [...carried.tail];
    this.seeded.set(carried.ref.id, carried.ref);
    if (typeof carried.ownFrom === 'number') this.ownFrom.set(carried.ref.id, carried.ownFrom);
    return this.chainsOf().seed(carried);
  }

  /**
   * `messages` with every placeholder of a carried transcript replaced by the stored message
   * (one `loadTranscript` activity per transcript). No placeholder: `messages` as they are.
   */
  async materialize(messages: Message[]): Promise<Message[]> {
    if (!messages.some(isTranscriptPlaceholder)) return messages;
    const loaded = new Map<string, Message[]>();
    for (const [id, ref] of this.seeded) {
      try {
        const r = await this.loadActs.loadTranscript.executeWithOptions(
          { summary: `load transcript (${ref.length} messages)` },
          [{ runId: this.runId, transcript: ref }],
        );
        loaded.set(id, r.messages);
      } catch (err) {
        const e = fromActivityFailure(err, 'TRANSCRIPT_MISSING', {
          prefix: "Could not read the run's transcript back: ",
        });
        // Too large to come back into the workflow (the worker's loadTranscript check).
        if (e instanceof AgentRuntimeError && e.code === 'PAYLOAD_TOO_LARGE') {
          const d = e.details as { sizeBytes?: number; maxBytes?: number };
          throw payloadTooLargeError(
            "The run's messages, read back to return them whole,",
            Number(d.sizeBytes),
            Number(d.maxBytes),
            {
              alternative: RESULT_BY_REFERENCE,
              name: 'finalMessages',
              details: { storedMessages: ref.length },
              cause: e,
            },
          );
        }
        throw e;
      }
    }
    return messages.map((m) => {
      const at = placeholderPosition(m);
      if (!at) return m;
      const real = loaded.get(at.id)?.[at.index - 1];
      if (!real) {
        throw new AgentRuntimeError(
          'TRANSCRIPT_MISSING',
          `Transcript ${at.id} lacks message ${at.index}`,
        );
      }
      return real;
    });
  }

  /** One call by reference; sent again whole when its worker lacks the transcript. */
  private async invokeByReference(request: ModelCallRequest): Promise<InvokeModelResult> {
    const chains = this.chainsOf();
    let plan = chains.plan(request.messages, request.options);
    let output: InvokeModelOutput;
    try {
      output = await this.send(request, plan, '', true);
    } catch (err) {
      chains.failed(plan);
      if (!isTranscriptMissing(err)) throw err;
      plan = chains.resend(plan, request.messages, request.options);
      if (plan.newMessages.some(isTranscriptPlaceholder)) {
        // A conversation carried from an earlier execution, which the durable store lost.
        throw new AgentRuntimeError(
          'TRANSCRIPT_MISSING',
          `The transcript store lost the conversation this run carried across continue-as-new (${plan.chain.id})`,
        );
      }
      try {
        output = await this.send(request, plan, ', transcript sent whole', false);
      } catch (again) {
        chains.failed(plan);
        throw again;
      }
    }
    chains.succeeded(plan, request.messages, output.message, output.transcript);
    if (output.transcript) {
      this.references.noteReply(plan.chain.id, output.transcript, output.message);
    }
    return expandResult(output);
  }

  /** One `invokeModel` activity; with `storedResults`, tool results the workers hold go by reference. */
  private send(
    request: ModelCallRequest,
    plan: TranscriptCallPlan,
    note: string,
    storedResults: boolean,
  ): Promise<InvokeModelOutput> {
    const { turn, stream } = request;
    const sent = storedResults
      ? this.references.withoutStoredResults(plan.newMessages, plan.transcript.id)
      : { messages: plan.newMessages, storedResults: [] };
    // The ids history would repeat on every call in their short forms (`src/core/wire-ids.ts`).
    const info = workflowInfo();
    return this.acts.invokeModel.executeWithOptions({ summary: this.summary(request, note) }, [
      {
        ...(this.runId !== info.workflowId ? { runId: this.runId } : {}),
        turn,
        stream,
        transcript: {
          ...plan.transcript,
          id: shortTranscriptId(plan.transcript.id, info),
        },
        newMessages: sent.messages,
        optionsKey: plan.optionsKey,
        ...(plan.options ? { options: plan.options } : {}),
        ...(sent.storedResults.length > 0 ? { storedResults: sent.storedResults } : {}),
      },
    ]);
  }
}

/** The checkpoint activities: short, retried with backoff (the store may be briefly down). */
function stateStoreActivities(): ActivityInterfaceFor<AgentActivities> {
  return proxyActivities<AgentActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
  });
}

/**
 * Whether this execution should continue as new now: Temporal suggests it or a threshold of
 * `options` is passed. Gated (the marker goes just before the run continues), so histories
 * recorded before this replay unchanged.
 */
function shouldContinue(options: Required<ContinueAsNewOptions>): boolean {
  if (!options.enabled) return false;
  const info = workflowInfo();
  const due =
    info.continueAsNewSuggested ||
    info.historyLength >= options.maxHistoryEvents ||
    info.historySize >= options.maxHistoryBytes;
  return due && patched(CONTINUE_AS_NEW_PATCH);
}

/** The RunContext implementation used inside `agentRunWorkflow`. */
export class WorkflowRunContext extends RunContextCore {
  /**
   * @internal When the run's own timeout fires (workflow time, ms): the run timer starts as the
   * context is built (in the run's first execution). Approvals and steps warn when they would
   * outlast it.
   */
  readonly deadlineMs: number;
  private readonly calls: ActivityLLMClient;

  constructor(input: AgentRunInput, log: EventLog) {
    const calls = new ActivityLLMClient(input.runId, input);
    const continueOptions = resolveContinueAsNew(
      input.continueAsNew,
      'continueAsNew',
      'INVALID_INPUT',
    );
    super({
      continued: input.continued,
      runId: input.runId,
      conversationId: input.conversationId,
      inputMessages: input.messages,
      params: input.params,
      metadata: input.metadata,
      log,
      budget: input.budget,
      io: {
        provider: 'temporal-activity',
        invokeModel: (request) => calls.invoke(request),
        modelCallError: (err) =>
          fromActivityFailure(err, 'LLM_ERROR', {
            otherCode: 'LLM_TIMEOUT',
            otherPrefix: 'Model call failed: ',
          }),
        failedAttemptsUsage: failedUsageOf,
        checkpointStore: checkpointStore(input),
        continuation: {
          should: () => shouldContinue(continueOptions),
          carry: (messages, options) => calls.carry(messages, options?.anyStore === true),
          resume: (carried) => calls.resume(carried),
        },
      },
    });
    this.calls = calls;
    this.deadlineMs =
      input.continued?.deadlineMs ??
      Date.now() + runTimeoutMs(input.runTimeout, 'runTimeout', 'INVALID_INPUT');
  }

  /** @internal Also notes the conversation input, so a continued run can tell its own messages. */
  override setHistory(history: readonly Message[], newInput: readonly Message[]): void {
    super.setHistory(history, newInput);
    this.calls.setConversation(history, newInput);
  }

  /** @internal Where the run's own messages start in `messages` (see `ActivityLLMClient.ownStart`). */
  ownStart(messages: readonly Message[]): number | undefined {
    return this.calls.ownStart(messages);
  }

  /** @internal `messages` with carried transcripts' placeholders replaced (see `ActivityLLMClient`). */
  materialize(messages: Message[]): Promise<Message[]> {
    return this.calls.materialize(messages);
  }

  /** @internal `messages` by reference to a prefix the workers store (any transcript), if any. */
  workerPrefix(messages: readonly Message[]): { ref: TranscriptRef; tail: Message[] } | undefined {
    return this.calls.workerPrefix(messages);
  }

  /** @internal `finalMessages` by reference, when clients can read the prefix (see `ActivityLLMClient`). */
  storedPrefix(messages: readonly Message[]): { ref: TranscriptRef; tail: Message[] } | undefined {
    return this.calls.storedPrefix(messages);
  }

  /** @internal Tool calls' arguments and results by reference (see `ToolCallReferences`). */
  get toolReferences(): ToolCallReferences {
    return this.calls.references;
  }
}

/**
 * The worker's state store (a no-op without one), so a later run with the same run id can resume.
 * Gated: histories recorded before this existed replay without the activities.
 */
function checkpointStore(input: AgentRunInput): RunCheckpointStoreIO {
  const storeCheckpoints = input.persistence?.checkpoints === true;
  return {
    enabled: () => storeCheckpoints && patched(CHECKPOINT_STORE_PATCH),
    save: (state) =>
      stateStoreActivities().saveRunCheckpoint.executeWithOptions({ summary: 'save checkpoint' }, [
        { runId: input.runId, state },
      ]),
    load: () =>
      stateStoreActivities().loadRunCheckpoint.executeWithOptions({ summary: 'load checkpoint' }, [
        { runId: input.runId },
      ]),
    failure: (err, what) =>
      fromActivityFailure(err, 'STORAGE_ERROR', { prefix: `Could not ${what}: ` }),
  };
}
