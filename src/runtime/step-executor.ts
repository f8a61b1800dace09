// Sandbox-safe: the pure half of the step executor: step definitions, typed step handles, the
// checkpointed execution state and its compatibility check, the wire shapes of the `runStep`
// activity. The executor itself (activities, timers, signals) is in workflows/step-executor.ts;
// the worker-side registration of step functions is in src/steps.
import { AgentRuntimeError } from '../core/errors';
import type { JsonObject, JsonValue } from '../core/types';
export {
  STEP_PROGRESS_SIGNAL,
  type RunStepInput,
  type RunStepOutput,
  type StepProgressSignal,
} from '../core/activity-contract';

/**
 * What a step function receives besides the state. Step functions run on the worker (inside the
 * `runStep` activity), so they may do any I/O.
 */
export interface StepContext {
  /** The run executing the step. */
  readonly runId: string;
  /** The step's name (as given to `Step`). */
  readonly stepName: string;
  /** Position of the step in the list (0-based). */
  readonly stepIndex: number;
  /** Number of steps in the list. */
  readonly totalSteps: number;
  /** This attempt (1-based). */
  readonly attempt: number;
  /** Attempts the step may take (`retries + 1`). */
  readonly maxAttempts: number;
  /** Results of the steps completed before this one, by step name. */
  readonly results: Readonly<Record<string, JsonValue>>;
  /**
   * Aborted when the run is cancelled (or the step timed out and Temporal cancelled the attempt).
   * Pass it to `fetch` and friends, or check it in loops.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress of this step (0–100) with an optional message. Watching clients see it as a
   * `progress.update` event. Sends are throttled (about two a second; the last one is always sent)
   * and never throw.
   */
  progress(percent: number, message?: string): void;
  /** Records a heartbeat (the step's own heartbeats are sent anyway, every second). */
  heartbeat(details?: unknown): void;
  /** Whether the run was cancelled (same as `signal.aborted`). */
  isCancelled(): boolean;
}

/**
 * A step function: `(stepCtx, state) => result`. It may change `state` in place (the changed
 * state goes back to the workflow and the next step sees it). State and result must be JSON.
 */
export type StepFn<S extends JsonObject = JsonObject, R = JsonValue> = (
  ctx: StepContext,
  state: S,
) => Promise<R> | R;

const HANDLE = '__agentRuntimeStep';

/**
 * A typed reference, usable in workflow code, to a step function registered on the worker under
 * `name`. Get handles with `proxySteps<typeof mySteps>()` or `stepHandle('name')`.
 */
export interface StepHandle<S extends JsonObject = JsonObject, R = JsonValue> {
  /** The name the function is registered under (`defineSteps({ name: fn })`). */
  readonly [HANDLE]: string;
  /** @internal Type-only markers. */
  readonly __types?: { state: S; result: R };
}

/** A handle to the step function registered under `name`. */
export function stepHandle<S extends JsonObject = JsonObject, R = JsonValue>(
  name: string,
): StepHandle<S, R> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new AgentRuntimeError('INVALID_INPUT', 'stepHandle: the step function name is required');
  }
  return { [HANDLE]: name };
}

/** The handles of a registry of step functions, one per registered name. */
export type StepHandles<T> = {
  readonly [K in keyof T & string]: T[K] extends StepFn<infer S, infer R>
    ? StepHandle<S, Awaited<R>>
    : never;
};

/**
 * Typed handles to the step functions of a registry defined with `defineSteps` on the worker.
 * Import the registry's type only (`import type { steps } from './steps'`), so no worker code
 * enters the workflow bundle:
 *
 * ```ts
 * const s = proxySteps<typeof steps>();
 * await new StepExecutor(ctx).run([Step('fetch', s.fetchData, { retries: 3 })]);
 * ```
 */
export function proxySteps<T>(): StepHandles<T> {
  return new Proxy({} as StepHandles<T>, {
    get(_target, prop) {
      if (typeof prop !== 'string') return undefined;
      return stepHandle(prop);
    },
  });
}

/** Whether a value is a step handle. */
export function isStepHandle(value: unknown): value is StepHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[HANDLE] === 'string'
  );
}

/** The registered name a handle points to. */
export function stepHandleName(handle: StepHandle): string {
  return handle[HANDLE];
}

/** Options of a `Step` (times in seconds, as in the seed). */
export interface StepOptions {
  /** Retries after a failed attempt (attempts = retries + 1). @default 0 */
  retries?: number;
  /** Seconds to wait before the first retry. @default 1 */
  retryDelay?: number;
  /** Multiplier of the delay for each further retry; 1 is a fixed delay. @default 1 */
  backoffCoefficient?: number;
  /** Longest delay between retries, in seconds. @default no limit */
  maxRetryDelay?: number;
  /**
   * Longest one attempt may run, in seconds (the activity's start-to-close timeout). A timed-out
   * attempt fails with "Step timed out after Ns" and is retried per the policy.
   * @default 3600 (one hour)
   */
  timeout?: number;
  /**
   * An attempt whose worker stops heartbeating for this long is considered lost (worker crash)
   * and is started again on another worker without using up a retry. The step's heartbeats are
   * sent every second automatically, so this only fires when the worker process is gone or its
   * event loop is blocked.
   * @default 30
   */
  heartbeatTimeout?: number;
  /** Human-readable description (shown in events). */
  description?: string;
  /** Save a checkpoint after the step completes. @default true */
  checkpoint?: boolean;
}

/** A step: a name unique in its list, the registered function to run, and resolved options. */
export interface StepDefinition<S extends JsonObject = JsonObject, R = JsonValue> {
  readonly name: string;
  /** The registered step function's name. */
  readonly fn: string;
  readonly retries: number;
  readonly retryDelay: number;
  readonly backoffCoefficient: number;
  readonly maxRetryDelay: number | undefined;
  readonly timeout: number;
  readonly heartbeatTimeout: number;
  readonly description: string | undefined;
  readonly checkpoint: boolean;
  /** @internal Type-only markers. */
  readonly __types?: { state: S; result: R };
}

function nonNegative(name: string, v: unknown, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      `Step option ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${String(v)}`,
      { details: { field: name } },
    );
  }
  return v;
}

function positive(name: string, v: unknown): number {
  const n = nonNegative(name, v);
  if (n === 0) {
    throw new AgentRuntimeError('INVALID_INPUT', `Step option ${name} must be greater than 0`, {
      details: { field: name },
    });
  }
  return n;
}

/**
 * Defines a step. `fn` is a handle to a step function registered on the worker (or its
 * registered name). Options are checked here: bad options throw `INVALID_INPUT` at once.
 */
export function Step<S extends JsonObject = JsonObject, R = JsonValue>(
  name: string,
  fn: StepHandle<S, R> | string,
  options: StepOptions = {},
): StepDefinition<S, R> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new AgentRuntimeError('INVALID_INPUT', 'Step: name must be a non-empty string');
  }
  const fnName = typeof fn === 'string' ? fn : isStepHandle(fn) ? stepHandleName(fn) : '';
  if (!fnName) {
    throw new AgentRuntimeError(
      'INVALID_INPUT',
      `Step "${name}": fn must be a step handle (proxySteps/stepHandle) or a registered step name`,
    );
  }
  const o = options ?? {};
  const backoff = nonNegative('backoffCoefficient', o.backoffCoefficient ?? 1);
  if (backoff < 1) {
    throw new AgentRuntimeError('INVALID_INPUT', 'Step option backoffCoefficient must be >= 1', {
      details: { field: 'backoffCoefficient' },
    });
  }
  return Object.freeze({
    name,
    fn: fnName,
    retries: nonNegative('retries', o.retries ?? 0, true),
    retryDelay: nonNegative('retryDelay', o.retryDelay ?? 1),
    backoffCoefficient: backoff,
    maxRetryDelay:
      o.maxRetryDelay === undefined ? undefined : positive('maxRetryDelay', o.maxRetryDelay),
    timeout: positive('timeout', o.timeout ?? 3600),
    heartbeatTimeout: positive('heartbeatTimeout', o.heartbeatTimeout ?? 30),
    description: o.description,
    checkpoint: o.checkpoint ?? true,
  });
}

/** Seconds to wait before retrying after failed attempt number `attempt` (1-based). */
export function retryDelayFor(
  step: Pick<StepDefinition, 'retryDelay' | 'backoffCoefficient' | 'maxRetryDelay'>,
  attempt: number,
): number {
  const d = step.retryDelay * Math.pow(step.backoffCoefficient, Math.max(0, attempt - 1));
  return step.maxRetryDelay === undefined ? d : Math.min(d, step.maxRetryDelay);
}

/** Version of the checkpointed execution state's shape. */
export const EXECUTION_STATE_VERSION = 1;

/** The executor's state, saved in the run's checkpoint under the executor's `checkpointKey`. */
export interface ExecutionState {
  /** Shape version. */
  version: number;
  /** Identifies one executor run (stable across resumed runs). */
  executionId: string;
  /** The step names of the list, in order, when this state was saved. */
  steps: string[];
  /** Index of the next step to run. */
  currentStepIndex: number;
  /** Names of the completed steps, in completion order. */
  completedSteps: string[];
  /** Results of the completed steps, by name. */
  stepResults: Record<string, JsonValue>;
  /** The custom state the steps share. */
  customState: JsonObject;
  /** When the execution started (workflow time, ISO 8601). */
  startedAt: string;
}

/**
 * Reads a saved execution state and checks that it can resume `steps`: the completed steps must
 * be the first steps of the list, in the same order (a step renamed, removed or moved before the
 * resume point makes the saved results meaningless). Throws `STEP_CHECKPOINT_INCOMPATIBLE`.
 */
export function checkResumableState(saved: unknown, steps: readonly string[]): ExecutionState {
  const bad = (why: string, details: Record<string, unknown> = {}): never => {
    throw new AgentRuntimeError(
      'STEP_CHECKPOINT_INCOMPATIBLE',
      `The saved step checkpoint cannot resume this step list: ${why}. ` +
        'Start the run with resume: false (or a new run id) to run all steps again.',
      { details: { steps: [...steps], ...details } },
    );
  };
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
    return bad('it is not an object');
  }
  const s = saved as Partial<ExecutionState>;
  if (s.version !== EXECUTION_STATE_VERSION) {
    return bad(`its version is ${String(s.version)}, expected ${EXECUTION_STATE_VERSION}`);
  }
  if (
    !Array.isArray(s.completedSteps) ||
    !s.completedSteps.every((n) => typeof n === 'string') ||
    typeof s.stepResults !== 'object' ||
    s.stepResults === null ||
    typeof s.customState !== 'object' ||
    s.customState === null ||
    typeof s.executionId !== 'string'
  ) {
    return bad('it is malformed');
  }
  const completed = s.completedSteps;
  for (let i = 0; i < completed.length; i++) {
    if (steps[i] !== completed[i]) {
      return bad(
        steps.includes(completed[i] as string)
          ? `completed step "${completed[i]}" is now at another position`
          : `completed step "${completed[i]}" is no longer in the list`,
        { completedSteps: completed },
      );
    }
  }
  return {
    version: EXECUTION_STATE_VERSION,
    executionId: s.executionId,
    steps: Array.isArray(s.steps) ? s.steps : [...steps],
    currentStepIndex: completed.length,
    completedSteps: [...completed],
    stepResults: { ...s.stepResults },
    customState: { ...s.customState },
    startedAt: typeof s.startedAt === 'string' ? s.startedAt : '',
  };
}

/**
 * A step failed after all its attempts: names the step, the attempts made and the last error.
 * Ends the run (its `ErrorInfo` has type `STEP_EXECUTION_ERROR` and these fields in `details`).
 */
export class StepExecutionError extends AgentRuntimeError {
  /** The step that failed. */
  readonly stepName: string;
  /** Attempts made. */
  readonly attempts: number;
  /** The last attempt's error message. */
  readonly lastError: string;

  constructor(stepName: string, attempts: number, lastError: string, cause?: unknown) {
    super(
      'STEP_EXECUTION_ERROR',
      `Step '${stepName}' failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastError}`,
      { details: { stepName, attempts, error: lastError }, cause },
    );
    this.name = 'StepExecutionError';
    this.stepName = stepName;
    this.attempts = attempts;
    this.lastError = lastError;
  }
}
