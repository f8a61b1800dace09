// Sandbox-safe: the StepExecutor. Runs a list of steps inside an agent's run; each attempt of each
// step is one `runStep` activity (the step function runs on the worker), retries are durable
// timers, progress arrives as signals from the running step, state is checkpointed after steps.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  defineSignal,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { formatDuration } from '../src/core/durations';
import { AgentRuntimeError } from '../src/core/errors';
import { EventType } from '../src/core/events';
import { jsonCopy } from '../src/core/json';
import type { JsonObject, JsonValue } from '../src/core/types';
import type { RunContext } from '../src/runtime/context';
import {
  EXECUTION_STATE_VERSION,
  STEP_PROGRESS_SIGNAL,
  StepExecutionError,
  checkResumableState,
  retryIntervalFor,
  type ExecutionState,
  type RunStepOutput,
  type StepDefinition,
  type StepProgressSignal,
} from '../src/runtime/step-executor';
import type { AgentActivities } from '../src/core/activity-contract';
import { FRESH_STATE_PATCH } from './patches';

/** Options of a `StepExecutor`. */
export interface StepExecutorOptions {
  /** Key of the executor's state inside the run's checkpoint. @default '_step_executor_state' */
  checkpointKey?: string;
  /**
   * Times an attempt may be lost with its worker (heartbeat timeout) and started again without
   * using up a retry; further losses count as failed attempts.
   * @default 3
   */
  maxWorkerLosses?: number;
}

/** Options of `StepExecutor.run`. */
export interface StepRunOptions<S extends JsonObject = JsonObject> {
  /** The custom state the first step sees (ignored when resuming from a checkpoint). @default {} */
  initialState?: S;
  /**
   * Resume from the run's checkpoint: steps it lists as completed are skipped (`step.skipped`) and
   * their results and the saved state are used. The checkpoint comes from this run or, through
   * the worker's state store, from an earlier run with the same run id.
   * @default true
   */
  resume?: boolean;
  /**
   * After every step succeeded, remove the executor's key from the run's checkpoint (one more
   * `ctx.checkpoint`, and `saveRunCheckpoint` with a state store). Without it the checkpoint of a
   * finished run stays, so a later run with the same run id (a scheduled job with a fixed id)
   * skips every step and returns the old results; with it, such a run starts over, but a run that
   * extends the list (adds steps after the completed ones) also starts over.
   * @default false
   */
  clearCheckpointOnSuccess?: boolean;
}

const stepProgress = defineSignal<[StepProgressSignal]>(STEP_PROGRESS_SIGNAL);

// The executors of this run (each workflow execution has its own globalThis in the sandbox), so
// one signal handler serves several executors, even concurrent ones.
const EXECUTORS = Symbol.for('agent-runtime-core.stepExecutors');
type ExecutorSlot = { [EXECUTORS]?: Set<(p: StepProgressSignal) => void> };

function listenForProgress(listener: (p: StepProgressSignal) => void): void {
  const slot = globalThis as ExecutorSlot;
  if (!slot[EXECUTORS]) {
    const listeners = new Set<(p: StepProgressSignal) => void>();
    slot[EXECUTORS] = listeners;
    setHandler(stepProgress, (p) => listeners.forEach((l) => l(p)), {
      description: 'Progress of a running step, sent by its activity (internal).',
    });
  }
  slot[EXECUTORS].add(listener);
}

/** Rounds a percentage to one decimal. */
function pct(v: number): number {
  return Math.round(v * 10) / 10;
}

/** What a failed attempt tells the retry loop. */
interface AttemptFailure {
  message: string;
  retryable: boolean;
  /** The worker running the attempt stopped heartbeating (crash): not the step's fault. */
  workerLost: boolean;
}

/**
 * Runs multi-step work durably (the seed's `StepExecutor`). Create it inside an agent's `run`:
 *
 * ```ts
 * const s = proxySteps<typeof steps>();
 * const results = await new StepExecutor(ctx).run([
 *   Step('fetch', s.fetchData),
 *   Step('process', s.processData, { retries: 3 }),
 * ]);
 * ```
 *
 * Retries are driven here, in the workflow, rather than by the activity's Temporal retry policy
 * (the activity has `maximumAttempts: 1`): only the workflow can append `step.started` and
 * `step.retrying` events at the moment of each retry, and a timed-out attempt must be reported
 * and counted like any other failure. The delay between attempts is a durable timer
 * (`initialInterval × backoffCoefficient^(n-1)`, capped by `maximumInterval`), so the schedule is
 * exactly that of the step's `retry` policy, and each attempt shows in the UI as its own activity.
 */
export class StepExecutor {
  private readonly checkpointKey: string;
  private readonly maxWorkerLosses: number;
  private exec: ExecutionState | undefined;
  /** `run` with `resume: false`: never read an earlier execution's checkpoint. */
  private fresh = false;
  /** The step currently running, for routing progress signals. */
  private current:
    | { executionId: string; stepName: string; attempt: number; index: number; total: number }
    | undefined;

  constructor(
    private readonly ctx: RunContext,
    options: StepExecutorOptions = {},
  ) {
    this.checkpointKey = options.checkpointKey ?? '_step_executor_state';
    this.maxWorkerLosses = options.maxWorkerLosses ?? 3;
    if (!this.checkpointKey) {
      throw new AgentRuntimeError('INVALID_INPUT', 'StepExecutor: checkpointKey must not be empty');
    }
  }

  /** The execution state (completed steps, results, custom state) of the last `run`. */
  get state(): ExecutionState | undefined {
    return this.exec;
  }

  /**
   * Runs the steps in order and returns their results by step name (including steps skipped
   * because a checkpoint had them completed). A step that fails all its attempts ends with a
   * `StepExecutionError`; a cancelled run stops between steps or inside the running step.
   */
  async run<S extends JsonObject = JsonObject>(
    steps: readonly StepDefinition<S, unknown>[],
    options: StepRunOptions<S> = {},
  ): Promise<Record<string, JsonValue>> {
    const names = this.checkSteps(steps);
    const total = steps.length;
    const resume = options.resume ?? true;
    let saved: unknown;
    // A continued execution (continue-as-new) always resumes: it carried the executor's state.
    const continued = this.ctx.executions > 0;
    if (resume || continued) saved = (await this.ctx.getState())?.[this.checkpointKey];
    // Without resume, an earlier execution's checkpoint is neither loaded nor merged into ours.
    // Gated: histories recorded before this loaded it on the first save.
    this.fresh = !resume && !continued && patched(FRESH_STATE_PATCH);
    const exec: ExecutionState =
      saved !== undefined && saved !== null
        ? checkResumableState(saved, names)
        : {
            version: EXECUTION_STATE_VERSION,
            executionId: uuid4(),
            steps: names,
            currentStepIndex: 0,
            completedSteps: [],
            stepResults: {},
            customState: jsonCopy<JsonObject>(options.initialState ?? {}),
            startedAt: new Date().toISOString(),
          };
    exec.steps = names;
    this.exec = exec;
    this.warnIfRunEndsFirst(steps);
    listenForProgress(this.listener);

    // Steps completed by an earlier execution of this run were reported there: not skipped again.
    const carriedSteps = continued ? new Set(exec.completedSteps) : new Set<string>();
    let ranHere = 0;
    for (let index = 0; index < total; index++) {
      const step = steps[index] as StepDefinition<S, unknown>;
      if (carriedSteps.has(step.name)) continue;
      if (exec.completedSteps.includes(step.name)) {
        await this.ctx.emit(EventType.STEP_SKIPPED, {
          stepName: step.name,
          stepIndex: index,
          totalSteps: total,
          reason: 'already_completed',
        });
        continue;
      }
      if (this.ctx.isCancelled()) throw new CancelledFailure('Run cancelled');
      // Between steps: continue as new when the run should; completed steps are not run again.
      if (ranHere > 0 && this.ctx.shouldContinueAsNew()) {
        const base = await this.baseState();
        await this.ctx.continueAsNew({ ...base, [this.checkpointKey]: jsonCopy<unknown>(exec) });
      }
      ranHere++;
      const out = await this.executeStep(step, index, total, exec);
      exec.completedSteps.push(step.name);
      exec.stepResults[step.name] = out.result;
      exec.customState = out.state;
      exec.currentStepIndex = index + 1;
      if (step.checkpoint) await this.save(exec);
    }
    if (options.clearCheckpointOnSuccess === true) {
      const { [this.checkpointKey]: _done, ...rest } = await this.baseState();
      await this.ctx.checkpoint(rest);
    }
    await this.ctx.emit(EventType.PROGRESS_UPDATE, {
      stepName: null,
      stepIndex: total,
      totalSteps: total,
      progressPercent: 100,
      description: 'All steps completed',
    });
    return { ...exec.stepResults };
  }

  /**
   * The run's timeout (default 300 s) bounds the whole step list, whatever each step's
   * `startToCloseTimeout` (default 1 h). Log once when the list can outlast the run, so a
   * `RUN_TIMED_OUT` is explained in the worker log.
   */
  private warnIfRunEndsFirst(steps: readonly StepDefinition<JsonObject, unknown>[]): void {
    const deadlineMs = (this.ctx as { deadlineMs?: number }).deadlineMs;
    if (deadlineMs === undefined) return;
    const left = Math.max(0, deadlineMs - Date.now());
    // Only timeouts that were set: the default (1 h) is above the default runTimeout (300 s) and
    // would warn on every default run.
    const longest = steps.reduce(
      (m, s) => (s.timeoutGiven === false ? m : Math.max(m, s.startToCloseTimeout)),
      0,
    );
    if (longest > left) {
      log.warn(
        `StepExecutor: a step may run up to ${formatDuration(longest)} but the run times out in ` +
          `${formatDuration(left)} (runTimeout); raise runTimeout for long step lists.`,
      );
    }
  }

  private checkSteps(steps: readonly StepDefinition<JsonObject, unknown>[]): string[] {
    const list: unknown = steps;
    if (!Array.isArray(list) || steps.length === 0) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'StepExecutor.run: give a non-empty list of steps',
      );
    }
    const names: string[] = [];
    for (const s of steps) {
      if (!s || typeof s.name !== 'string' || typeof s.fn !== 'string') {
        throw new AgentRuntimeError(
          'INVALID_INPUT',
          'StepExecutor.run: every step must come from Step(...)',
        );
      }
      if (names.includes(s.name)) {
        throw new AgentRuntimeError(
          'INVALID_INPUT',
          `StepExecutor.run: duplicate step name "${s.name}"`,
          {
            details: { field: s.name },
          },
        );
      }
      names.push(s.name);
    }
    return names;
  }

  private readonly listener = (p: StepProgressSignal): void => this.onProgress(p);

  private onProgress(p: StepProgressSignal): void {
    const c = this.current;
    // Late signals from an earlier attempt (or another executor) are dropped.
    if (
      !c ||
      p.executionId !== c.executionId ||
      p.stepName !== c.stepName ||
      p.attempt !== c.attempt
    ) {
      return;
    }
    const percent = Math.min(100, Math.max(0, Number(p.percent) || 0));
    void this.ctx.emit(EventType.PROGRESS_UPDATE, {
      stepName: c.stepName,
      stepIndex: c.index,
      totalSteps: c.total,
      attempt: c.attempt,
      stepPercent: percent,
      progressPercent: pct(((c.index + percent / 100) / c.total) * 100),
      description: p.message ?? `Executing ${c.stepName}`,
    });
  }

  /**
   * The run's checkpoint to merge into: with `resume: false` only what this execution
   * checkpointed (the run context's in-memory state; `getState` would load the earlier one).
   */
  private async baseState(): Promise<Record<string, unknown>> {
    if (this.fresh) {
      const local = this.ctx as { lastCheckpoint?: () => Record<string, unknown> | null };
      return local.lastCheckpoint?.() ?? {};
    }
    return (await this.ctx.getState()) ?? {};
  }

  private async save(exec: ExecutionState): Promise<void> {
    const base = await this.baseState();
    await this.ctx.checkpoint({
      ...base,
      [this.checkpointKey]: jsonCopy<unknown>(exec),
    });
  }

  private activities(
    step: StepDefinition<JsonObject, unknown>,
  ): ActivityInterfaceFor<AgentActivities> {
    return proxyActivities<AgentActivities>({
      startToCloseTimeout: step.startToCloseTimeout,
      heartbeatTimeout: step.heartbeatTimeout,
      // The run learns of cancellation at once; the step's AbortSignal fires at its next
      // heartbeat (at most a second later).
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry: { maximumAttempts: 1 },
    });
  }

  private async executeStep<S extends JsonObject>(
    step: StepDefinition<S, unknown>,
    index: number,
    total: number,
    exec: ExecutionState,
  ): Promise<RunStepOutput> {
    const maxAttempts = step.retry.maximumAttempts;
    const acts = this.activities(step);
    let attempt = 1;
    let losses = 0;
    let announce = true;
    for (;;) {
      if (announce) {
        await this.ctx.emit(EventType.STEP_STARTED, {
          stepName: step.name,
          stepIndex: index,
          totalSteps: total,
          attempt,
          maxAttempts,
          description: step.description ?? null,
        });
        await this.ctx.emit(EventType.PROGRESS_UPDATE, {
          stepName: step.name,
          stepIndex: index,
          totalSteps: total,
          progressPercent: pct((index / total) * 100),
          description: step.description ?? `Executing ${step.name}`,
        });
      }
      announce = true;
      this.current = { executionId: exec.executionId, stepName: step.name, attempt, index, total };
      const started = Date.now();
      try {
        const out = await acts.runStep.executeWithOptions(
          {
            summary: `step ${step.name} (${index + 1}/${total})${maxAttempts > 1 ? ` attempt ${attempt}/${maxAttempts}` : ''}`,
            startToCloseTimeout: step.startToCloseTimeout,
            heartbeatTimeout: step.heartbeatTimeout,
            cancellationType: ActivityCancellationType.TRY_CANCEL,
            retry: { maximumAttempts: 1 },
          },
          [
            {
              runId: this.ctx.runId,
              executionId: exec.executionId,
              stepName: step.name,
              fn: step.fn,
              stepIndex: index,
              totalSteps: total,
              attempt,
              maxAttempts,
              state: exec.customState,
              results: exec.stepResults,
            },
          ],
        );
        this.current = undefined;
        await this.ctx.emit(EventType.STEP_COMPLETED, {
          stepName: step.name,
          stepIndex: index,
          totalSteps: total,
          attempt,
          durationMs: Date.now() - started,
        });
        return out;
      } catch (err) {
        this.current = undefined;
        if (isCancellation(err)) throw err;
        const f = this.classify(err, step);
        if (f.workerLost && losses < this.maxWorkerLosses) {
          // The worker died mid-step: run the same attempt again elsewhere, without a new
          // step.started (the step did not fail; its worker did).
          losses++;
          announce = false;
          continue;
        }
        if (!f.retryable || attempt >= maxAttempts) {
          await this.ctx.emit(EventType.STEP_FAILED, {
            stepName: step.name,
            stepIndex: index,
            totalSteps: total,
            attempts: attempt,
            ...(losses > 0 ? { workersLost: losses } : {}),
            error: f.message,
          });
          throw new StepExecutionError(step.name, attempt, f.message, err, losses);
        }
        const delayMs = Math.round(retryIntervalFor(step, attempt));
        await this.ctx.emit(EventType.STEP_RETRYING, {
          stepName: step.name,
          stepIndex: index,
          attempt,
          maxAttempts,
          error: f.message,
          retryDelayMs: delayMs,
        });
        if (delayMs > 0) await sleep(delayMs, { summary: `step retry delay: ${step.name}` });
        attempt++;
      }
    }
  }

  private classify(err: unknown, step: StepDefinition<JsonObject, unknown>): AttemptFailure {
    if (err instanceof ActivityFailure) {
      const cause = err.cause;
      if (cause instanceof TimeoutFailure) {
        if (cause.timeoutType === 'HEARTBEAT') {
          return {
            message: `Step worker stopped heartbeating for ${formatDuration(step.heartbeatTimeout)}`,
            retryable: true,
            workerLost: true,
          };
        }
        return {
          message: `Step timed out after ${formatDuration(step.startToCloseTimeout)}`,
          retryable: true,
          workerLost: false,
        };
      }
      if (cause instanceof ApplicationFailure) {
        const type = cause.type ?? 'Error';
        return {
          message: `${type}: ${cause.message}`,
          retryable: !cause.nonRetryable && !step.retry.nonRetryableErrorTypes.includes(type),
          workerLost: false,
        };
      }
      return { message: cause?.message ?? err.message, retryable: true, workerLost: false };
    }
    return {
      message: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      retryable: false,
      workerLost: false,
    };
  }
}
