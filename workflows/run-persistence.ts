// Sandbox-safe: the workflow side of run persistence. Decides when a run publishes its events
// (`publishRunEvents`), reads its conversation's history (`loadConversation`) and appends its
// new messages (`appendConversation`). Nothing here is scheduled unless the run's input asks for
// it (`AgentRunInput.persistence`), and every new command is behind `patched()`.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log as workflowLog,
  patched,
  proxyActivities,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { EventType } from '../src/core/events';
import { fromActivityFailure } from '../src/core/failures';
import type { Message, RunEvent, RunResult } from '../src/core/types';
import type {
  AppendConversationInput,
  EventFieldRef,
  PublishRunEventsInput,
  PublishRunEventsResult,
  RunPersistenceActivityTypes,
} from '../src/core/persistence-contract';
import type { AgentRunInput, ContinuedRun } from '../src/core/run-contract';
import type { TranscriptRef } from '../src/core/activity-contract';
import { shortTranscriptId, type SchedulingExecution } from '../src/core/wire-ids';
import { isTranscriptPlaceholder } from '../src/runtime/transcript-chains';
import {
  activityFailedWith,
  isTranscriptMissing,
  type EventLog,
  type WorkflowRunContext,
} from './run-context';
import { newRunMessages, producedStart, startsWithMessages } from './run-messages';
import {
  BACKGROUND_FLUSH_PATCH,
  CONVERSATION_PATCH,
  PROMPT_FLUSH_PATCH,
  RUN_EVENTS_PATCH,
} from './patches';

/**
 * Events after which a background flush starts at once, so readers of the event store see them
 * while the run waits: a pending approval (a human must act on it) and step boundaries (a run of
 * steps may make no model call at all).
 */
const PROMPT_FLUSH_TYPES: ReadonlySet<string> = new Set([
  EventType.TOOL_APPROVAL_REQUESTED,
  EventType.STEP_STARTED,
  EventType.STEP_COMPLETED,
  EventType.STEP_FAILED,
]);

/** Largest serialized batch one `publishRunEvents` call carries (payloads are limited to 2 MB). */
const MAX_BATCH_CHARS = 512 * 1024;

/** How a failed store activity reads as a typed error (`STORAGE_ERROR` unless it said otherwise). */
const STORAGE_FAILURE = { otherPrefix: 'Storage call failed: ' } as const;

/**
 * Least time the final flush and the conversation append get, even at or past the run's deadline:
 * a run that timed out still publishes its end when the store answers at once.
 */
const END_GRACE_MS = 2000;

/** The persistence of one run, driven by `agentRunWorkflow`. */
export class RunPersistence {
  /**
   * When the run's time limit ends (workflow time, ms), once known. The final flush and the
   * conversation append get the time left before it (at least `END_GRACE_MS`), so a store that is
   * down cannot hold the run past its `runTimeout` for their whole retry policy.
   */
  deadline: number | undefined;
  private published = 0;

  /** Whether every event so far reached the event store (and publishing goes on). */
  get allPublished(): boolean {
    return this.eventsEnabled && !this.eventsBroken && this.published >= this.log.lastSeq;
  }
  /** Where this execution's events go in the stored log (see `PublishRunEventsInput`). */
  private seqOffset: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  private eventsBroken = false;
  /** Whether an intermediate flush is queued and has not started yet (it covers new events). */
  private soonQueued = false;
  private loaded: { history: Message[]; newInput: Message[] } | undefined;
  private readonly acts: ActivityInterfaceFor<RunPersistenceActivityTypes>;
  /** Intermediate flushes: a short policy; the final flush sends again what they could not. */
  private readonly quickActs: ActivityInterfaceFor<RunPersistenceActivityTypes>;

  constructor(
    private readonly input: AgentRunInput,
    private readonly log: EventLog,
  ) {
    // A continued run goes on publishing where its previous execution stood.
    const carried = input.continued;
    if (carried?.events) {
      this.published = carried.events.published;
      this.seqOffset = carried.events.seqOffset;
    }
    if (carried?.conversation) this.loaded = carried.conversation;
    this.acts = proxyActivities<RunPersistenceActivityTypes>({
      startToCloseTimeout: '60s',
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '30s',
        // About 90 s of back-off; a flush that gives up is sent again by the next one.
        maximumAttempts: 8,
      },
    });
    this.quickActs = proxyActivities<RunPersistenceActivityTypes>({
      startToCloseTimeout: '15s',
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '4s',
        maximumAttempts: 3,
      },
    });
  }

  /**
   * Whether intermediate flushes run in the background (`flushSoon`) rather than being awaited
   * before each model call. Call only when `eventsEnabled`.
   */
  get backgroundFlushes(): boolean {
    return patched(BACKGROUND_FLUSH_PATCH);
  }

  /**
   * Whether the run publishes its events. Callers test this before awaiting anything, so a run
   * without persistence takes exactly the code path (and command order) it took before.
   */
  get eventsEnabled(): boolean {
    return this.input.persistence?.runEvents === true && patched(RUN_EVENTS_PATCH);
  }

  private eventsOn(): boolean {
    return !this.eventsBroken && this.eventsEnabled;
  }

  /** Whether the run reads and appends its conversation (see `eventsEnabled`). */
  get conversationEnabled(): boolean {
    return (
      this.input.persistence?.conversations === true &&
      typeof this.input.conversationId === 'string' &&
      patched(CONVERSATION_PATCH)
    );
  }

  /**
   * Publishes the events recorded since the last flush. Flushes run one at a time, cannot be
   * cancelled (a cancelled run still publishes what it did), and never fail the run: a failure
   * is logged, and the events are sent again by the next flush (a non-retryable one, such as a
   * worker without an event bus, stops publishing for the rest of the run).
   */
  flush(): Promise<void> {
    if (this.log.lastSeq <= this.published || !this.eventsOn()) return this.chain;
    this.chain = this.chain.then(() =>
      CancellationScope.nonCancellable(() => this.publishPending(this.acts, true)),
    );
    return this.chain;
  }

  /** Activity options bounding a call by the run's deadline (see `deadline`). */
  private bounded(): { scheduleToCloseTimeout?: number } {
    if (this.deadline === undefined) return {};
    return { scheduleToCloseTimeout: Math.max(this.deadline - Date.now(), END_GRACE_MS) };
  }

  /**
   * Starts a background flush (`flushSoon`) after each event of `PROMPT_FLUSH_TYPES`. Call once,
   * when `eventsEnabled` and `backgroundFlushes`; histories recorded before this replay without.
   */
  flushPromptly(): void {
    if (!patched(PROMPT_FLUSH_PATCH)) return;
    this.log.onAppend = (event) => {
      if (PROMPT_FLUSH_TYPES.has(event.type)) this.flushSoon();
    };
  }

  /**
   * An intermediate flush, started in the background: the caller does not wait for it. Flushes
   * stay serialized (one promise chain, which the final `flush` awaits); a queued one that has
   * not started yet covers the events recorded since, so bursts schedule one activity. It runs
   * in the caller's cancellation scope with a short retry policy: cancelling (or timing out)
   * the run cancels it at once, and the final flush sends again whatever it did not.
   */
  flushSoon(): void {
    if (this.soonQueued || this.log.lastSeq <= this.published || !this.eventsOn()) return;
    this.soonQueued = true;
    const scope = CancellationScope.current();
    this.chain = this.chain.then(() => {
      this.soonQueued = false;
      if (scope.consideredCancelled) return;
      return scope.run(() => this.publishPending(this.quickActs));
    });
  }

  private async publishPending(
    acts: ActivityInterfaceFor<RunPersistenceActivityTypes>,
    bounded = false,
  ): Promise<void> {
    if (this.eventsBroken) return;
    try {
      // After a worker could not read a field sent by reference: that batch again, whole.
      let whole = false;
      for (let guard = 0; this.log.lastSeq > this.published && guard < 1000; guard++) {
        const batch = this.nextBatch(this.log.after(this.published));
        const sent = whole ? { events: batch, refs: [] } : this.compacted(batch);
        let r: PublishRunEventsResult;
        try {
          r = await acts.publishRunEvents.executeWithOptions(
            {
              summary: `events ${batch[0]?.seq ?? 0}-${batch.at(-1)?.seq ?? 0}${whole ? ', whole' : ''}`,
              ...(bounded ? this.bounded() : {}),
            },
            [
              {
                runId: this.input.runId,
                agentKey: this.input.agentKey,
                ...(this.input.conversationId !== undefined
                  ? { conversationId: this.input.conversationId }
                  : {}),
                executionId: workflowInfo().runId,
                events: sent.events,
                ...(sent.refs.length > 0 ? { refs: sent.refs } : {}),
                ...(this.seqOffset !== undefined ? { seqOffset: this.seqOffset } : {}),
              },
            ],
          );
        } catch (err) {
          if (whole || sent.refs.length === 0 || !isTranscriptMissing(err)) throw err;
          whole = true;
          continue;
        }
        whole = false;
        // The bus may have lost events (an in-memory bus on a restarted worker, an expired
        // Redis stream): send again from where it stands.
        if (r.seqOffset !== undefined) this.seqOffset = r.seqOffset;
        if (r.missingAfter !== undefined && r.missingAfter < this.log.base) {
          // Events of an earlier execution (continue-as-new) that this one no longer holds.
          this.eventsBroken = true;
          this.log.forgetCompact(Number.POSITIVE_INFINITY);
          workflowLog.warn('The event bus lost events this execution no longer holds', {
            runId: this.input.runId,
            missingAfter: r.missingAfter,
          });
          return;
        }
        this.published = r.missingAfter !== undefined ? r.missingAfter : r.lastSeq;
        this.log.forgetCompact(this.published);
      }
    } catch (err) {
      // A cancelled intermediate flush: the final flush sends these events again.
      if (isCancellation(err)) return;
      const e = fromActivityFailure(err, 'STORAGE_ERROR', STORAGE_FAILURE);
      const nonRetryable =
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.nonRetryable;
      if (nonRetryable) {
        this.eventsBroken = true;
        this.log.forgetCompact(Number.POSITIVE_INFINITY);
      }
      workflowLog.warn('Publishing run events failed', {
        runId: this.input.runId,
        error: e instanceof Error ? e.message : String(e),
        publishingStopped: nonRetryable,
      });
    }
  }

  /**
   * `batch` as it is sent: fields the workers store go by reference (see
   * `RunEventLog.compactor`), with the ids in their short forms.
   */
  private compacted(batch: RunEvent[]): {
    events: PublishRunEventsInput['events'];
    refs: EventFieldRef[];
  } {
    const info = workflowInfo();
    const refs: EventFieldRef[] = [];
    const events = batch.map(({ runId, ...e }) => {
      // The batch names the run: its events leave it out.
      const own = runId === this.input.runId ? e : { ...e, runId };
      const compact = this.log.compactOf(e.seq);
      if (!compact) return own;
      for (const ref of compact.refs) refs.push(shortRef(ref, info));
      return { ...own, payload: compact.payload };
    });
    return { events, refs };
  }

  private nextBatch(events: RunEvent[]): RunEvent[] {
    const batch: RunEvent[] = [];
    let size = 0;
    for (const e of events) {
      const n = JSON.stringify(e).length;
      if (batch.length > 0 && size + n > MAX_BATCH_CHARS) break;
      batch.push(e);
      size += n;
    }
    return batch;
  }

  /** What the next execution carries (continue-as-new): publishing's position, the conversation. */
  carried(): Pick<ContinuedRun, 'events' | 'conversation'> {
    return {
      ...(this.input.persistence?.runEvents === true
        ? {
            events: {
              published: this.published,
              ...(this.seqOffset !== undefined ? { seqOffset: this.seqOffset } : {}),
            },
          }
        : {}),
      ...(this.loaded ? { conversation: this.loaded } : {}),
    };
  }

  /** In a continued execution: gives the agent the conversation the first execution loaded. */
  restoreHistory(ctx: WorkflowRunContext): void {
    if (this.loaded) ctx.setHistory(this.loaded.history, this.loaded.newInput);
  }

  /**
   * With a conversation: reads its active branch and gives it to the agent as `ctx.history`, with
   * `ctx.inputMessages` = history + the new input messages. Input messages that repeat the
   * history (a client resending the transcript) are not new. Throws a typed error (`NOT_FOUND`
   * for an unknown conversation) that fails the run.
   */
  async loadHistory(ctx: WorkflowRunContext): Promise<void> {
    if (!this.conversationEnabled) return;
    let history: Message[];
    try {
      const r = await this.acts.loadConversation.executeWithOptions(
        { summary: `load conversation ${this.input.conversationId}` },
        [{ runId: this.input.runId, conversationId: this.input.conversationId as string }],
      );
      history = r.messages;
    } catch (err) {
      throw fromActivityFailure(err, 'STORAGE_ERROR', STORAGE_FAILURE);
    }
    const input = this.input.messages;
    const newInput = startsWithMessages(input, history) ? input.slice(history.length) : [...input];
    this.loaded = { history, newInput };
    ctx.setHistory(history, newInput);
  }

  /**
   * After a successful run with a conversation: appends the run's new messages (see
   * `newRunMessages`) to its active branch. Idempotent under activity retries (ids derive from
   * the run id). Failed, cancelled and timed-out runs append nothing.
   *
   * What the workers' transcript store holds goes by reference (`AppendConversationInput.stored`):
   * the run's own messages are the transcript's tail. In a continued run `finalMessages` begin
   * with placeholders of the carried transcript; `ownFrom` (`CarriedTranscript.ownFrom`) then says
   * where the run's own messages start, so the conversation never passes through the workflow
   * whole. Otherwise, or when the worker cannot follow the reference, the messages are read back
   * (`materialize`) and sent whole.
   */
  async appendConversation(result: RunResult, transcripts: ConversationTranscripts): Promise<void> {
    if (!this.loaded) return;
    const { history, newInput } = this.loaded;
    const final = result.finalMessages;
    const carried = final.some(isTranscriptPlaceholder);
    const named = carried
      ? carriedOwnMessages(final, transcripts)
      : ownMessages(history, newInput, final, transcripts);
    const send = (messages: Message[], stored?: AppendConversationInput['stored']) =>
      CancellationScope.nonCancellable(() =>
        this.acts.appendConversation.executeWithOptions(
          {
            summary: stored
              ? `append ${newInput.length} + ${stored.transcript.length - stored.from} stored + ${stored.then.length} messages`
              : `append ${messages.length} messages${named ? ', whole' : ''}`,
            ...this.bounded(),
          },
          [
            {
              runId: this.input.runId,
              conversationId: this.input.conversationId as string,
              executionId: workflowInfo().runId,
              messages,
              ...(stored ? { stored } : {}),
            },
          ],
        ),
      );
    // Nothing new: no input, and nothing produced past it.
    if (
      named &&
      newInput.length === 0 &&
      named.ref.length === named.from &&
      named.tail.length === 0
    ) {
      return;
    }
    try {
      if (named) {
        const stored = {
          transcript: { ...named.ref, id: shortTranscriptId(named.ref.id, workflowInfo()) },
          from: named.from,
          then: named.tail,
        };
        try {
          await send([...newInput], stored);
          return;
        } catch (err) {
          // The worker could not read the stored part (not there, or its store kept failing
          // through every attempt): send the messages whole.
          if (!isTranscriptMissing(err) && !activityFailedWith(err, 'STORAGE_ERROR')) throw err;
        }
      }
      // No await before the send unless read back: histories recorded before hold the append
      // in the same workflow task, before the run timer's cancellation.
      const messages = newRunMessages(
        history,
        newInput,
        carried ? await transcripts.materialize(final) : final,
      );
      if (messages.length > 0) await send(messages);
    } catch (err) {
      throw fromActivityFailure(err, 'STORAGE_ERROR', STORAGE_FAILURE);
    }
  }
}

/** What `RunPersistence.appendConversation` knows of the run's transcripts. */
export interface ConversationTranscripts {
  /** `messages` by reference to the longest prefix the workers store, if any. */
  storedPrefix(messages: readonly Message[]): { ref: TranscriptRef; tail: Message[] } | undefined;
  /**
   * In a continued run: where its own messages start in `finalMessages` (past the copy of its
   * input that stands in the transcript store), when known.
   */
  ownFrom?: number | undefined;
  /** `messages` with the placeholders of carried transcripts replaced by the stored messages. */
  materialize(messages: Message[]): Promise<Message[]>;
}

/** The stored messages `from` on, then `tail`: a run's own messages by reference. */
interface NamedMessages {
  ref: TranscriptRef;
  from: number;
  tail: Message[];
}

/**
 * The run's own messages by reference, when they are one run of `final` (without system
 * messages) whose start the workers store.
 */
function ownMessages(
  history: readonly Message[],
  newInput: readonly Message[],
  final: readonly Message[],
  transcripts: ConversationTranscripts,
): NamedMessages | undefined {
  if (newRunMessages(history, newInput, final).length === 0) return undefined;
  const from = producedStart(history, newInput, final) ?? 0;
  if (final.slice(from).some((m) => m.role === 'system')) return undefined;
  const prefix = transcripts.storedPrefix(final);
  return prefix && prefix.ref.length > from ? { ...prefix, from } : undefined;
}

/**
 * A continued run's own messages by reference: the stored transcript covers every placeholder,
 * and `ownFrom` says where the run's messages start. The workers drop system messages (their
 * roles are unknown here).
 */
function carriedOwnMessages(
  final: readonly Message[],
  transcripts: ConversationTranscripts,
): NamedMessages | undefined {
  const from = transcripts.ownFrom;
  if (from === undefined) return undefined;
  const prefix = transcripts.storedPrefix(final);
  if (!prefix || prefix.ref.length < from || prefix.tail.some(isTranscriptPlaceholder)) {
    return undefined;
  }
  return { ...prefix, from };
}

/** `ref` with its transcript id in the short form of `execution` (`src/core/wire-ids.ts`). */
function shortRef(ref: EventFieldRef, execution: SchedulingExecution): EventFieldRef {
  const from = ref.from;
  if ('result' in from) {
    const result = {
      ...from.result,
      transcript: shortTranscriptId(from.result.transcript, execution),
    };
    return { ...ref, from: { ...from, result } };
  }
  const reply = { ...from.reply, transcript: shortTranscriptId(from.reply.transcript, execution) };
  return { ...ref, from: { ...from, reply } };
}
