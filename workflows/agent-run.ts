// Sandbox-safe: the one generic workflow that runs any registered agent.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxySinks,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { AgentRuntimeError, payloadTooLargeError, toErrorInfo } from '../src/core/errors';
import { EventType } from '../src/core/events';
import type { ErrorInfo, RunResult, RunStatus } from '../src/core/types';
import { setCurrentRunLLM } from '../src/runtime/current';
import { isTranscriptPlaceholder } from '../src/runtime/transcript-chains';
import { getRuntime } from '../src/runtime/registry';
import {
  cancelledErrorInfo,
  isContinueAsNewRequest,
  type ContinueAsNewRequest,
  runErrorInfo,
  runStartedPayload,
  runSucceededPayload,
  timedOutErrorInfo,
} from '../src/runtime/run-core';
import { durationMs, formatDuration } from '../src/core/durations';
import { jsonBytes } from '../src/core/json';
import type {
  AgentRunInput,
  AgentRunOutput,
  CarriedTranscript,
  ContinuedRun,
  RunStatusInfo,
  WaitForEventsRequest,
} from '../src/core/run-contract';
import {
  CONTINUED_RUN_VERSION,
  resolveContinueAsNew,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  AgentCostUsdSearchAttribute,
  AgentTokensSearchAttribute,
  checkBudget,
  checkModelCallOptions,
  checkpointQuery,
  eventsQuery,
  runTimeoutMs,
  statusQuery,
  toolApprovalsQuery,
  waitForEventsUpdate,
} from '../src/core/run-contract';
import type { RunTraceSinks } from '../src/core/trace-contract';
import { answerEventsQuery } from './events-query';
import { normalizeRunInput, normalizeWaitForEventsRequest } from './legacy-input';
import { EventLog, RESULT_BY_REFERENCE, WorkflowRunContext } from './run-context';
import { RunPersistence } from './run-persistence';
import { checkRunInput } from './run-input-check';
import { installToolExecution } from './tool-execution';
import { CARRIED_INPUT_ONCE_PATCH, COST_SEARCH_ATTRIBUTES_PATCH } from './patches';

/** Throws `INVALID_INPUT` unless `continued` is a carried state this code can read. */
function checkContinued(continued: unknown): void {
  if (continued === undefined) return;
  const c = continued as Partial<ContinuedRun>;
  if (
    c.v !== CONTINUED_RUN_VERSION ||
    typeof c.executions !== 'number' ||
    typeof c.lastSeq !== 'number' ||
    !Array.isArray(c.eventTail) ||
    typeof c.totals !== 'object' ||
    c.totals === null ||
    typeof c.deadlineMs !== 'number'
  ) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      `Invalid run input at continued: not a carried state of version ${CONTINUED_RUN_VERSION}`,
      { details: { field: 'continued' } },
    );
  }
}

/**
 * Most JSON characters of events a continued execution carries (the tail is written to history
 * twice per continue-as-new: in the continued event and in the next execution's input).
 */
const MAX_EVENT_TAIL_CHARS = 64 * 1024;
/**
 * The tail when every event so far reached the event store: watchers read older events from it,
 * so the tail only spares them a read.
 */
const STORED_EVENT_TAIL = { events: 16, chars: 8 * 1024 };

/**
 * Run-level trace calls to the worker's trace sinks: no command, nothing in history; skipped
 * while replaying (a replay worker registers no sinks).
 */
function traceRun(call: (t: RunTraceSinks['agentRuntimeTrace']) => void): void {
  if (workflowInfo().unsafe.isReplaying) return;
  call(proxySinks<RunTraceSinks>().agentRuntimeTrace);
}

/**
 * `PAYLOAD_TOO_LARGE` when `value` (the run's result, or what it carries across continue-as-new)
 * plus `reserve` bytes is past the run's `inlinePayloadLimit`; else `undefined` (also for runs
 * started without one: payload storage, or an earlier runner). The SDK refuses a payload over
 * Temporal's limit (`TMPRL1103`), and a workflow task whose command carries one fails again and
 * again: a failed run is better than one that never ends.
 */
function tooLargeForHistory(
  input: AgentRunInput,
  field: string,
  value: unknown,
  alternative: string,
  reserve = 0,
): AgentRuntimeError | undefined {
  const limit = input.inlinePayloadLimit;
  if (typeof limit !== 'number') return undefined;
  const bytes = jsonBytes(value) + reserve;
  if (bytes <= limit) return undefined;
  return payloadTooLargeError(`The run's ${field}`, bytes, limit, {
    alternative,
    name: field,
  });
}

/** Longest time one `waitForEvents` update waits before answering with no events. */
const MAX_POLL_MS = 60_000;
/** Default wait of one `waitForEvents` update. */
const DEFAULT_POLL_MS = 30_000;

/** How long a `waitForEvents` request waits, in ms; throws `INVALID_INPUT` for a bad `timeout`. */
function pollMs(req: WaitForEventsRequest): number {
  if (req.timeout === undefined) return DEFAULT_POLL_MS;
  return Math.min(durationMs(req.timeout, 'timeout', 'INVALID_INPUT', true), MAX_POLL_MS);
}

/** Checks the input's durations and model-call options; throws `INVALID_INPUT` naming the option. */
function checkOptions(input: AgentRunInput): void {
  runTimeoutMs(input.runTimeout, 'runTimeout', 'INVALID_INPUT');
  checkModelCallOptions(input.modelCall, 'modelCall', 'INVALID_INPUT');
  resolveContinueAsNew(input.continueAsNew, 'continueAsNew', 'INVALID_INPUT');
  checkContinued(input.continued);
  checkBudget(input.budget, 'budget', 'INVALID_INPUT');
}

/**
 * Runs the agent registered under `input.agentKey`. Emits `run.started`, then exactly one of
 * `run.succeeded`, `run.failed`, `run.cancelled`, `run.timed_out`, and returns the `RunResult`.
 * A failed, cancelled or timed-out run fails (or cancels) the workflow execution, so the Temporal
 * UI shows its real outcome; the failure's details carry the `ErrorInfo`.
 */
export async function agentRunWorkflow(rawInput: AgentRunInput): Promise<RunResult> {
  // Inputs recorded by earlier versions (committed histories) use older field names.
  const input = normalizeRunInput(rawInput);
  // An execution that continued the run (continue-as-new) numbers its events on.
  const carried = input.continued;
  const log = new EventLog(
    input.runId ?? workflowInfo().workflowId,
    carried && Array.isArray(carried.eventTail)
      ? { lastSeq: carried.lastSeq, tail: carried.eventTail }
      : undefined,
  );
  let status: RunStatus = 'running';
  let failure: ErrorInfo | undefined;
  let done = false;
  const current: { ctx?: WorkflowRunContext } = {};
  // Set once the input is valid; publishes events to the stores (when the input asks for it).
  let persistence: RunPersistence | undefined = undefined;

  // Paged for watchers (`RunHandle.events()` polls it: a query writes nothing to history); a
  // number argument gets the whole rest of the log, as earlier clients expect. The log stays
  // whole in memory, even when events are persisted: a flush resends from wherever the event
  // bus says it lost events (`missingAfter`, e.g. a memory bus on a restarted worker), which can
  // be the very start, so no prefix is ever safe to drop.
  setHandler(eventsQuery, (arg) => answerEventsQuery(log.events, arg, log.base), {
    description:
      "The run's events: a page after a sequence number ({ afterSeq, limit }) or, with a number, every event after it.",
  });
  setHandler(
    statusQuery,
    (): RunStatusInfo => ({
      runId: input.runId,
      agentKey: input.agentKey,
      status,
      lastSeq: log.lastSeq,
      ...(failure ? { error: failure } : {}),
    }),
    { description: "The run's status, last event sequence number and error, if any." },
  );
  setHandler(checkpointQuery, () => current.ctx?.lastCheckpoint() ?? null, {
    description: "The state of the run's last checkpoint (null before the first).",
  });
  // Answered from the start (and after the run ends): no call waits; the tool execution replaces
  // it with the real list once the agent runs.
  setHandler(toolApprovalsQuery, () => [], {
    description: 'Tool calls waiting for human approval (send the approveToolCall update).',
  });
  // Clients watch through the `events` query now; the handler stays for histories that hold
  // such updates (and for older clients).
  setHandler(
    waitForEventsUpdate,
    async (raw: WaitForEventsRequest) => {
      // Requests recorded by earlier versions carry `timeoutMs`.
      const req = normalizeWaitForEventsRequest(raw);
      const afterSeq = req.afterSeq;
      const wait = pollMs(req);
      if (wait > 0) {
        await condition(() => log.lastSeq > afterSeq || done, wait, {
          summary: 'waitForEvents poll',
        });
      }
      return { events: log.after(afterSeq), done };
    },
    {
      validator: (raw: WaitForEventsRequest) => {
        const req = normalizeWaitForEventsRequest(raw);
        if (
          !req ||
          typeof req.afterSeq !== 'number' ||
          req.afterSeq < 0 ||
          !Number.isInteger(req.afterSeq)
        ) {
          throw new Error('waitForEvents: afterSeq must be a non-negative integer');
        }
        pollMs(req);
      },
      description: 'Long-polls for run events after a sequence number.',
    },
  );

  const finish = async (next: RunStatus, type: string, payload: Record<string, unknown>) => {
    status = next;
    log.append(type, payload);
    // The final flush: cannot be cancelled, covers every ending (failed, cancelled, timed out).
    if (persistence?.eventsEnabled) await persistence.flush();
    done = true;
    const ctx = current.ctx;
    traceRun((t) =>
      t.runEnded({
        runId: String(input.runId ?? workflowInfo().workflowId),
        agentKey: String(input.agentKey ?? ''),
        status: next,
        ...(ctx ? { usage: ctx.totalUsage(), modelCalls: ctx.modelCalls } : {}),
        ...(failure ? { error: { type: failure.type, message: failure.message } } : {}),
      }),
    );
    setCurrentDetails(`**${input.agentKey}** run ${next}`);
    const attrs = workflowInfo().typedSearchAttributes;
    if (attrs.get(AgentKeySearchAttribute) !== undefined) {
      // Cost and tokens only when the run was started with them (so they are registered).
      const usage = ctx?.totalUsage();
      const withCost =
        attrs.get(AgentCostUsdSearchAttribute) !== undefined &&
        patched(COST_SEARCH_ATTRIBUTES_PATCH);
      upsertSearchAttributes([
        { key: AgentStatusSearchAttribute, value: next },
        ...(withCost && usage
          ? [
              { key: AgentCostUsdSearchAttribute, value: usage.cost ?? 0 },
              { key: AgentTokensSearchAttribute, value: usage.totalTokens },
            ]
          : []),
      ]);
    }
    // Let `waitForEvents` updates (older clients) deliver the terminal event before the execution
    // closes. Only when one is running: the wait's scope and condition are about 8 promises, and
    // the SDK records a stack trace for each (docs/performance.md, session 8).
    if (!allHandlersFinished()) {
      await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    }
  };

  const fail = async (info: ErrorInfo, partial?: RunResult): Promise<never> => {
    failure = info;
    await finish('failed', EventType.RUN_FAILED, { error: info });
    throw ApplicationFailure.create({
      type: info.type,
      message: info.message,
      nonRetryable: true,
      details: [{ error: info, ...(partial ? { result: partial } : {}) }],
    });
  };

  // A plain check, not a zod schema: a schema would be built again by every run.
  const problem = checkRunInput(input);
  let invalid: unknown;
  if (problem !== undefined) {
    invalid = new AgentRuntimeError('INVALID_INPUT', `Invalid run input at ${problem}`);
  } else {
    try {
      checkOptions(input);
    } catch (err) {
      invalid = err;
    }
  }
  if (invalid !== undefined) {
    if (!carried) log.append(EventType.RUN_STARTED, { agentKey: String(input?.agentKey ?? '') });
    return fail(toErrorInfo(invalid));
  }

  const execution = (carried?.executions ?? 0) + 1;
  setCurrentDetails(
    `**${input.agentKey}** run ${input.runId}: running${execution > 1 ? ` (execution ${execution}, continued as new)` : ''}`,
  );
  persistence = new RunPersistence(input, log);
  if (!carried) {
    log.append(
      EventType.RUN_STARTED,
      runStartedPayload({
        agentKey: input.agentKey,
        conversationId: input.conversationId,
        messageCount: input.messages.length,
        attempt: workflowInfo().attempt,
      }),
    );
    traceRun((t) =>
      t.runStarted({
        runId: input.runId,
        agentKey: input.agentKey,
        attempt: workflowInfo().attempt,
      }),
    );
  }

  let agent;
  try {
    agent = getRuntime(input.agentKey);
  } catch (err) {
    return fail(toErrorInfo(err));
  }

  const runCtx = new WorkflowRunContext(input, log);
  if (persistence.eventsEnabled) {
    // Intermediate flushes never hold up the model call (histories from before: awaited).
    runCtx.beforeModelCall = persistence.backgroundFlushes
      ? () => Promise.resolve(persistence.flushSoon())
      : () => persistence.flush();
    // Also at approval requests and step boundaries (also in the background).
    if (persistence.backgroundFlushes) persistence.flushPromptly();
  }
  current.ctx = runCtx;
  // Published events name what the workers store (replies, tool results) instead of repeating it.
  if (persistence.eventsEnabled) log.compactor = (e) => runCtx.toolReferences.compactEvent(e);
  setCurrentRunLLM(runCtx.llm);
  // Tool calls of this run become executeTool activities; approvals arrive as updates.
  installToolExecution(runCtx);
  CancellationScope.current().cancelRequested.catch(() => runCtx.markCancelled());

  const timeoutMs = runTimeoutMs(input.runTimeout, 'runTimeout', 'INVALID_INPUT');
  // The run's end must not wait on a store beyond its time limit (workflow time: deterministic).
  // A continued run keeps the deadline of its first execution.
  persistence.deadline = runCtx.deadlineMs;
  const runScope = new CancellationScope();
  const timerScope = new CancellationScope();
  let timedOut = false;
  // A continued run keeps the deadline of its first execution.
  const waitMs = carried ? Math.max(1, runCtx.deadlineMs - Date.now()) : timeoutMs;
  void timerScope
    .run(() => sleep(waitMs, { summary: 'run timeout' }))
    .then(
      () => {
        timedOut = true;
        runCtx.markCancelled();
        runScope.cancel();
      },
      () => undefined,
    );

  try {
    if (carried) persistence.restoreHistory(runCtx);
    const out = await runScope.run(() =>
      persistence.conversationEnabled && !carried
        ? persistence.loadHistory(runCtx).then(() => agent.run(runCtx))
        : agent.run(runCtx),
    );
    timerScope.cancel();
    if (timedOut)
      throw new AgentRuntimeError(
        'RUN_TIMED_OUT',
        `Run timed out after ${formatDuration(timeoutMs)}`,
      );
    const result = runCtx.resultOf(out);
    // With a transcript store clients can read, `finalMessages` go by reference: the stored
    // prefix plus what follows it (`RunHandle.result()` reads the prefix back).
    const prefix =
      input.resultByReference === true ? runCtx.storedPrefix(result.finalMessages) : undefined;
    // A tail that still holds carried placeholders (an agent that reordered its messages) is
    // read back whole instead.
    const stored = prefix?.tail.some(isTranscriptPlaceholder) ? undefined : prefix;
    // A continued run's conversation is appended by reference to the transcript store, when the
    // run can tell where its own messages start (it never passes through here whole: it may be
    // past the payload limit).
    const placeholders = result.finalMessages.some(isTranscriptPlaceholder);
    const ownFrom =
      placeholders && persistence.conversationEnabled
        ? runCtx.ownStart(result.finalMessages)
        : undefined;
    // Otherwise messages of a conversation carried by reference are read back once, at the end.
    const whole =
      placeholders && (!stored || (persistence.conversationEnabled && ownFrom === undefined))
        ? await runCtx.materialize(result.finalMessages)
        : result.finalMessages;
    const output: AgentRunOutput = stored
      ? { ...result, finalMessages: stored.tail, finalMessagesPrefix: stored.ref }
      : { ...result, finalMessages: whole };
    // Checked before the conversation append: a failed run appends nothing.
    const tooLarge = tooLargeForHistory(input, 'result', output, RESULT_BY_REFERENCE);
    if (tooLarge) throw tooLarge;
    if (persistence.conversationEnabled) {
      await persistence.appendConversation(
        ownFrom !== undefined ? result : { ...result, finalMessages: whole },
        {
          storedPrefix: (m) => runCtx.workerPrefix(m),
          ownFrom,
          // Read back once at most.
          materialize: (m) =>
            whole !== result.finalMessages ? Promise.resolve(whole) : runCtx.materialize(m),
        },
      );
    }
    await finish('succeeded', EventType.RUN_SUCCEEDED, runSucceededPayload(result));
    return output;
  } catch (err) {
    timerScope.cancel();
    let error: unknown = err;
    if (isContinueAsNewRequest(err) && !timedOut) {
      const handover = { input, log, runCtx, persistence, req: err };
      const carry = carriedTranscripts(handover);
      if (!(carry instanceof AgentRuntimeError)) return continueRun(handover, carry);
      // Too large to carry: the run fails instead of continuing.
      error = carry;
    }
    const partial = runCtx.partialResult();
    if (timedOut) {
      await CancellationScope.nonCancellable(() => agent.cancel(runCtx)).catch(() => undefined);
      failure = timedOutErrorInfo(timeoutMs);
      await finish('timed_out', EventType.RUN_TIMED_OUT, { timeoutMs });
      throw ApplicationFailure.create({
        type: 'RUN_TIMED_OUT',
        message: failure.message,
        nonRetryable: true,
        details: [{ error: failure, result: partial }],
      });
    }
    if (isCancellation(error) && CancellationScope.current().consideredCancelled) {
      await CancellationScope.nonCancellable(() => agent.cancel(runCtx)).catch(() => undefined);
      failure = cancelledErrorInfo();
      await finish('cancelled', EventType.RUN_CANCELLED, {});
      // Rethrowing the cancellation marks the execution Cancelled in Temporal.
      throw error;
    }
    const info = await runErrorInfo(agent, runCtx, error, (fn) =>
      CancellationScope.nonCancellable(fn),
    );
    return fail(info, partial);
  } finally {
    setCurrentRunLLM(undefined);
  }
}

/**
 * The conversations the next execution carries (`req.transcripts`), or by reference to any store
 * that holds them when whole they would put the carried state past Temporal's payload limit; or
 * `PAYLOAD_TOO_LARGE` when even that does not fit (a large state, input or conversation history).
 * Decided before anything of the hand-over is recorded.
 */
function carriedTranscripts(h: Handover): Record<string, CarriedTranscript> | AgentRuntimeError {
  const { input, req } = h;
  // The next input as large as it can be once the run.continued event is added and the events
  // flushed (a failed flush keeps the larger tail).
  const size = (transcripts: Record<string, CarriedTranscript>) =>
    tooLargeForHistory(
      input,
      'state carried across continue-as-new',
      nextInput(h, transcripts, true),
      'give the workers a durable transcript store (Postgres, Redis), or carry a smaller state',
      4096,
    );
  if (!size(req.transcripts)) return req.transcripts;
  const byReference = req.byReference();
  return size(byReference) ?? byReference;
}

/** What a hand-over to the run's next execution (continue-as-new) is made of. */
interface Handover {
  input: AgentRunInput;
  log: EventLog;
  runCtx: WorkflowRunContext;
  persistence: RunPersistence;
  req: ContinueAsNewRequest;
}

/** The input of the run's next execution (continue-as-new). */
function nextInput(
  { input, log, runCtx, persistence, req }: Handover,
  transcripts: Record<string, CarriedTranscript>,
  largestTail = false,
): AgentRunInput {
  const options = resolveContinueAsNew(input.continueAsNew, 'continueAsNew', 'INVALID_INPUT');
  const { continued: _previous, ...rest } = input;
  const continued: ContinuedRun = {
    v: CONTINUED_RUN_VERSION,
    executions: runCtx.executions + 1,
    lastSeq: log.lastSeq,
    // The small tail only when the event store has every event: else watchers need them here.
    // (`largestTail`: the tail as large as it can be, for an estimate made before the flush.)
    eventTail:
      persistence.allPublished && !largestTail
        ? log.tail(Math.min(options.eventTail, STORED_EVENT_TAIL.events), STORED_EVENT_TAIL.chars)
        : log.tail(options.eventTail, MAX_EVENT_TAIL_CHARS),
    totals: runCtx.totals(),
    state: req.state,
    deadlineMs: runCtx.deadlineMs,
    ...persistence.carried(),
    ...(Object.keys(transcripts).length > 0 ? { transcripts } : {}),
  };
  // A carried conversation holds the run's input (its history and new input: the next execution
  // gives the agent those), so the input's messages do not go a second time (a client that sent
  // the conversation again as input would otherwise double the carried bytes). Patched: this
  // input's size decides between continuing and PAYLOAD_TOO_LARGE (`carriedTranscripts`).
  const once = continued.conversation !== undefined && patched(CARRIED_INPUT_ONCE_PATCH);
  return { ...rest, ...(once ? { messages: [] } : {}), continued };
}

/**
 * Ends this execution and continues the run as new (same workflow id) with what the next
 * execution needs: event numbering and a tail of events, totals, the agent's state, event
 * publishing's position, the loaded conversation, carried transcripts (by reference). Waits for
 * the event flush and for every update/signal handler to finish first; nothing else is pending at
 * a safe point.
 */
async function continueRun(
  h: Handover,
  transcripts: Record<string, CarriedTranscript>,
): Promise<never> {
  const { input, log, runCtx, persistence } = h;
  const info = workflowInfo();
  const next = runCtx.executions + 2;
  log.append(EventType.RUN_CONTINUED, {
    execution: next,
    reason: info.continueAsNewSuggested ? 'suggested' : 'threshold',
    historyLength: info.historyLength,
    historySize: info.historySize,
  });
  await CancellationScope.nonCancellable(async () => {
    if (persistence.eventsEnabled) await persistence.flush();
    await condition(allHandlersFinished);
  });
  setCurrentDetails(
    `**${input.agentKey}** run ${input.runId}: continued as new (execution ${next})`,
  );
  return makeContinueAsNewFunc<typeof agentRunWorkflow>({
    memo: info.memo,
    typedSearchAttributes: info.typedSearchAttributes,
  })(nextInput(h, transcripts));
}
