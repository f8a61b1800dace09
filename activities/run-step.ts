// Node side: the runStep activity. Runs one attempt of one step function registered with the
// worker: heartbeats, cancellation through an AbortSignal, progress sent to the run as signals.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { AgentRuntimeError } from '../src/core/errors';
import { EventType } from '../src/core/events';
import { jsonCopy } from '../src/core/json';
import type { JsonObject, JsonValue } from '../src/core/types';
import type { EventBus } from '../src/events/event-bus';
import {
  STEP_PROGRESS_SIGNAL,
  type RunStepInput,
  type RunStepOutput,
  type StepContext,
  type StepProgressSignal,
} from '../src/runtime/step-executor';
import type { StepRegistry } from '../src/steps';
import { toApplicationFailure } from './failures';
import { startHeartbeats } from './heartbeat';
import { checkPayloadSize } from '../src/payloads';
import { OrderedSender } from './ordered-sender';
import { payloadLimit, type PayloadLimitDeps } from './payload-limit';
import { logText, resolveRedactor, withRedaction, type RedactionDeps } from './redact';

/** Dependencies of `runStep`. */
export interface StepActivityDeps extends PayloadLimitDeps, RedactionDeps {
  /** The step functions this worker runs (`defineSteps({...})`). */
  steps?: StepRegistry;
  /**
   * The worker's event bus. When it has a transient channel (`publishTransient`), every
   * `stepCtx.progress()` (up to four a second) goes there as a transient `progress.update`,
   * outside history; only the coarse durable progress goes through the run's history.
   */
  eventBus?: EventBus;
}

/**
 * Least time between two durable progress signals of one step attempt. Each signal costs the run
 * about four history events (signal, workflow task scheduled/started/completed), and Temporal
 * ends a run at 51,200 events: at one per 5 s a step may report for over 17 hours.
 */
const PROGRESS_INTERVAL_MS = 5000;
/** Least time between two transient progress events (no history cost). */
const TRANSIENT_PROGRESS_INTERVAL_MS = 250;

/** A JSON copy: what Temporal's converter would make of it anyway, made explicit. */
function toJson(value: unknown, what: string): JsonValue {
  if (value === undefined) return null;
  try {
    return jsonCopy(value) as JsonValue;
  } catch (err) {
    throw toApplicationFailure(
      new AgentRuntimeError(
        'INVALID_INPUT',
        `${what} is not JSON-serialisable: ${(err as Error).message}`,
      ),
    );
  }
}

/** Builds the `runStep` activity. */
export function createRunStep(
  deps: StepActivityDeps,
): (input: RunStepInput) => Promise<RunStepOutput> {
  return withRedaction({ runStep }, resolveRedactor(deps)).runStep;
  async function runStep(input: RunStepInput): Promise<RunStepOutput> {
    const ctx = Context.current();
    const fn = deps.steps ? Object.prototype.hasOwnProperty.call(deps.steps, input.fn) : false;
    const stepFn = fn ? deps.steps?.[input.fn] : undefined;
    if (!stepFn) {
      throw toApplicationFailure(
        new AgentRuntimeError(
          'STEP_NOT_FOUND',
          `No step function "${input.fn}" is registered on this worker ` +
            `(registered: ${Object.keys(deps.steps ?? {}).join(', ') || 'none'}). ` +
            'Register it with createActivities({ steps: defineSteps({...}) }).',
          { details: { fn: input.fn, stepName: input.stepName } },
        ),
      );
    }
    const beat = { step: input.stepName, attempt: input.attempt };
    const stopHeartbeats = startHeartbeats(ctx, () => beat);
    const progress = createProgressSender(ctx);
    const live =
      deps.eventBus?.publishTransient !== undefined
        ? createTransientProgress(ctx, input, deps.eventBus)
        : undefined;
    const stepCtx: StepContext = {
      runId: input.runId,
      stepName: input.stepName,
      stepIndex: input.stepIndex,
      totalSteps: input.totalSteps,
      attempt: input.attempt,
      maxAttempts: input.maxAttempts,
      results: Object.freeze({ ...input.results }),
      signal: ctx.cancellationSignal,
      progress: (percent: number, message?: string) => {
        const p = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
        const text = message !== undefined ? { message: String(message) } : {};
        progress.push({
          executionId: input.executionId,
          stepName: input.stepName,
          attempt: input.attempt,
          percent: p,
          ...text,
        });
        live?.push({ percent: p, ...text });
      },
      heartbeat: (details?: unknown) => ctx.heartbeat(details ?? beat),
      isCancelled: () => ctx.cancellationSignal.aborted,
    };
    const state = toJson(input.state, 'state') as JsonObject;
    try {
      const result = await (stepFn as (c: StepContext, s: JsonObject) => unknown)(stepCtx, state);
      await Promise.all([progress.flush(), live?.flush()]);
      const output: RunStepOutput = {
        result: toJson(result, `The result of step "${input.stepName}"`),
        state: toJson(state, `The state after step "${input.stepName}"`) as JsonObject,
      };
      checkPayloadSize(
        output,
        `The result and state of step "${input.stepName}"`,
        payloadLimit(deps),
        { stepName: input.stepName },
      );
      return output;
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        // Report cancellation as such (the SDK's CancelledFailure), not as a step error.
        await ctx.cancelled;
      }
      throw toStepFailure(err);
    } finally {
      stopHeartbeats();
      progress.stop();
      live?.stop();
    }
  }
}

/**
 * A step's error as the failure the workflow sees. Plain errors are retryable (the step's policy
 * decides); an `AgentRuntimeError` keeps its retryability; an `ApplicationFailure` passes as is.
 */
function toStepFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (AgentRuntimeError.is(err)) return toApplicationFailure(err);
  if (err instanceof Error) {
    return ApplicationFailure.create({
      type: err.name || 'Error',
      message: err.message,
      nonRetryable: false,
    });
  }
  return ApplicationFailure.create({ type: 'Error', message: String(err), nonRetryable: false });
}

/**
 * Coarse durable progress: signals to the run, one at once, then at most one per
 * `PROGRESS_INTERVAL_MS` and only when the percentage changed; `flush()` delivers the latest
 * value (if it differs from the last one sent) and waits, so the final progress lands in history
 * before the step's completion. Failures to signal are logged, never thrown into the step.
 */
function createProgressSender(ctx: Context): OrderedSender<StepProgressSignal> {
  let lastPercent: number | undefined;
  const execution = ctx.info.workflowExecution;
  return new OrderedSender<StepProgressSignal>({
    intervalMs: PROGRESS_INTERVAL_MS,
    // Only a changed percentage is worth a history entry (messages alone are not).
    accept: (payload) => {
      if (payload.percent === lastPercent) return false;
      lastPercent = payload.percent;
      return true;
    },
    send: async (payload) => {
      // A step run outside a workflow (standalone activity) has no run to report to.
      if (!execution) return;
      await ctx.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .signal(STEP_PROGRESS_SIGNAL, payload);
    },
    onError: (err) => {
      ctx.log.warn('step progress not delivered', { error: logText(err) });
    },
  });
}

/**
 * Fine-grained live progress on the event bus's transient channel, outside history: at most one
 * per `TRANSIENT_PROGRESS_INTERVAL_MS`, the latest always sent, in order. The payload is the
 * durable `progress.update`'s plus `transient: true`. A bus failure loses updates, never the step.
 */
function createTransientProgress(
  ctx: Context,
  input: RunStepInput,
  bus: EventBus,
): OrderedSender<{ percent: number; message?: string }> {
  let warned = false;
  return new OrderedSender<{ percent: number; message?: string }>({
    intervalMs: TRANSIENT_PROGRESS_INTERVAL_MS,
    send: async (p) => {
      const overall = ((input.stepIndex + p.percent / 100) / input.totalSteps) * 100;
      await bus.publishTransient?.({
        runId: input.runId,
        type: EventType.PROGRESS_UPDATE,
        payload: {
          stepName: input.stepName,
          stepIndex: input.stepIndex,
          totalSteps: input.totalSteps,
          attempt: input.attempt,
          stepPercent: p.percent,
          progressPercent: Math.round(overall * 10) / 10,
          description: p.message ?? `Executing ${input.stepName}`,
          transient: true,
        },
        timestamp: new Date().toISOString(),
      });
    },
    onError: (err) => {
      if (!warned) ctx.log.warn('live step progress not published', { error: logText(err) });
      warned = true;
    },
  });
}
