// Sandbox-safe: the pure half of the step executor: step definitions, typed step handles, the
// checkpointed execution state and its compatibility check, the wire shapes of the `runStep`
// activity. The executor itself (activities, timers, signals) is in workflows/step-executor.ts;
// the worker-side registration of step functions is in src/steps.
import {
  checkRetryPolicy,
  durationMs,
  optionalDurationMs,
  rejectRenamedOptions,
  type Duration,
  type RetryPolicy,
} from '../core/durations';
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
  /** Attempts the step may take (`retry.maximumAttempts`). */
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
 * await new StepExecutor(ctx).run([Step('fetch', s.fetchData, { retry: { maximumAttempts: 4 } })]);
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

/**
 * Options of a `Step`: Temporal's vocabulary (a `RetryPolicy`, `Duration`s such as `'30s'` or
 * milliseconds as a number), plus the seed's `retries` / `retryDelay` / `timeout` (in seconds) as
 * aliases. Give an alias or its new name, not both.
 */
export interface StepOptions {
  /**
   * Retry policy of the step's attempts. `maximumAttempts` counts every attempt (1: no retry);
   * the delay before retry n is `initialInterval × backoffCoefficient^(n-1)`, capped by
   * `maximumInterval`; failures whose type (error code or error name) is listed in
   * `nonRetryableErrorTypes` are not retried. Unlike Temporal's own defaults, steps retry at a
   * fixed delay with no cap unless told otherwise, and may retry at once (`initialInterval: 0`).
   * @default { maximumAttempts: 1, initialInterval: '1s', backoffCoefficient: 1 } (no maximumInterval)
   */
  retry?: RetryPolicy;
  /**
   * Longest one attempt may run (the activity's start-to-close timeout). A timed-out attempt fails
   * with "Step timed out after …" and is retried per the policy.
   * @default '1h'
   */
  startToCloseTimeout?: Duration;
  /**
   * An attempt whose worker stops heartbeating for this long is considered lost (worker crash)
   * and is started again on another worker without using up a retry. The step's heartbeats are
   * sent every second automatically, so this only fires when the worker process is gone or its
   * event loop is blocked.
   * @default '30s'
   */
  heartbeatTimeout?: Duration;
  /** Human-readable description (shown in events). */
  description?: string;
  /** Save a checkpoint after the step completes. @default true */
  checkpoint?: boolean;
  /**
   * The seed's name: retries after a failed attempt, the same as `retry.maximumAttempts =
   * retries + 1`. @default 0
   */
  retries?: number;
  /**
   * The seed's name: seconds before the first retry, the same as `retry.initialInterval` in
   * seconds. @default 1
   */
  retryDelay?: number;
  /** The seed's name: seconds one attempt may run, the same as `startToCloseTimeout`. @default 3600 */
  timeout?: number;
}

/** A step's retry policy, resolved: intervals in milliseconds, every field set. */
export interface StepRetryPolicy {
  /** Attempts in all, the first included. */
  readonly maximumAttempts: number;
  /** Delay before the first retry, in ms. */
  readonly initialInterval: number;
  /** Growth of the delay for each further retry (1: fixed). */
  readonly backoffCoefficient: number;
  /** Longest delay, in ms; `undefined`: no cap. */
  readonly maximumInterval: number | undefined;
  /** Failure types (error codes, error names) that are never retried. */
  readonly nonRetryableErrorTypes: readonly string[];
}

/** A step: a name unique in its list, the registered function to run, and resolved options. */
export interface StepDefinition<S extends JsonObject = JsonObject, R = JsonValue> {
  readonly name: string;
  /** The registered step function's name. */
  readonly fn: string;
  /** The resolved retry policy. */
  readonly retry: StepRetryPolicy;
  /** Longest one attempt may run, in ms. */
  readonly startToCloseTimeout: number;
  /** Heartbeat timeout of an attempt, in ms. */
  readonly heartbeatTimeout: number;
  readonly description: string | undefined;
  readonly checkpoint: boolean;
  /**
   * Whether the step's attempt timeout was set (`startToCloseTimeout` or `timeout`); the executor
   * warns about a run timeout shorter than a step's only then, not for the default.
   */
  readonly timeoutGiven?: boolean;
  /** @internal Type-only markers. */
  readonly __types?: { state: S; result: R };
}

const STEP_OPTION_KEYS: ReadonlySet<string> = new Set([
  'retry',
  'startToCloseTimeout',
  'heartbeatTimeout',
  'description',
  'checkpoint',
  'retries',
  'retryDelay',
  'timeout',
]);

/** Step option names of earlier versions, with what replaced them. */
const RENAMED_STEP_OPTIONS: Readonly<Record<string, string>> = {
  backoffCoefficient: 'retry.backoffCoefficient',
  maxRetryDelay: 'retry.maximumInterval',
};

function stepOptionError(field: string, message: string): AgentRuntimeError {
  return new AgentRuntimeError('INVALID_INPUT', `Step option ${field} ${message}`, {
    details: { field },
  });
}

/** A seed alias in seconds (a non-negative number) as milliseconds. */
function aliasSeconds(name: string, v: unknown, positive: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw stepOptionError(
      name,
      `must be a ${positive ? 'positive' : 'non-negative'} number of seconds, got ${String(v)}`,
    );
  }
  return Math.round(v * 1000);
}

/** Refuses an alias given together with the option it stands for. */
function oneOf(alias: string, aliasValue: unknown, name: string, value: unknown): void {
  if (aliasValue !== undefined && value !== undefined) {
    throw stepOptionError(
      alias,
      `and ${name} say the same thing: give one of them (${alias} is the seed's name, in seconds)`,
    );
  }
}

/**
 * Resolves a step's options: the seed's aliases mapped (once, here) onto the retry policy and
 * timeouts, every default filled in, every value checked.
 */
function resolveStepOptions(
  o: StepOptions,
): Pick<
  StepDefinition,
  | 'retry'
  | 'startToCloseTimeout'
  | 'heartbeatTimeout'
  | 'description'
  | 'checkpoint'
  | 'timeoutGiven'
> {
  if (typeof o !== 'object' || o === null) throw stepOptionError('(options)', 'must be an object');
  rejectRenamedOptions(o, RENAMED_STEP_OPTIONS, 'Step', 'INVALID_INPUT');
  for (const key of Object.keys(o)) {
    if (!STEP_OPTION_KEYS.has(key)) {
      throw stepOptionError(key, `is unknown (a step takes ${[...STEP_OPTION_KEYS].join(', ')})`);
    }
  }
  const policy = checkRetryPolicy(o.retry, 'retry', 'INVALID_INPUT', true) ?? {};
  oneOf('retries', o.retries, 'retry.maximumAttempts', policy.maximumAttempts);
  oneOf('retryDelay', o.retryDelay, 'retry.initialInterval', policy.initialInterval);
  oneOf('timeout', o.timeout, 'startToCloseTimeout', o.startToCloseTimeout);
  let maximumAttempts = policy.maximumAttempts ?? 1;
  if (o.retries !== undefined) {
    if (typeof o.retries !== 'number' || !Number.isInteger(o.retries) || o.retries < 0) {
      throw stepOptionError('retries', `must be a non-negative integer, got ${String(o.retries)}`);
    }
    maximumAttempts = o.retries + 1;
  }
  const initialInterval =
    o.retryDelay !== undefined
      ? aliasSeconds('retryDelay', o.retryDelay, false)
      : durationMs(policy.initialInterval ?? '1s', 'retry.initialInterval', 'INVALID_INPUT', true);
  const maximumInterval = optionalDurationMs(
    policy.maximumInterval,
    'retry.maximumInterval',
    'INVALID_INPUT',
  );
  if (maximumInterval !== undefined && maximumInterval < initialInterval) {
    throw stepOptionError('retry.maximumInterval', 'must not be less than the initial interval');
  }
  return {
    retry: Object.freeze({
      maximumAttempts,
      initialInterval,
      backoffCoefficient: policy.backoffCoefficient ?? 1,
      maximumInterval,
      nonRetryableErrorTypes: Object.freeze([...(policy.nonRetryableErrorTypes ?? [])]),
    }),
    startToCloseTimeout:
      o.timeout !== undefined
        ? aliasSeconds('timeout', o.timeout, true)
        : stepDurationMs('startToCloseTimeout', o.startToCloseTimeout ?? '1h'),
    heartbeatTimeout: stepDurationMs('heartbeatTimeout', o.heartbeatTimeout ?? '30s'),
    description: o.description,
    checkpoint: o.checkpoint ?? true,
    timeoutGiven: o.timeout !== undefined || o.startToCloseTimeout !== undefined,
  };
}

/**
 * A step's timeout in ms. Until 0.1 a step's `heartbeatTimeout` was a number of seconds; it is a
 * `Duration` now, where a bare number means milliseconds. A number under one second is refused,
 * so `heartbeatTimeout: 30` from older code fails loudly instead of timing out every attempt
 * after 30 ms.
 */
function stepDurationMs(
  option: 'startToCloseTimeout' | 'heartbeatTimeout',
  value: unknown,
): number {
  const ms = durationMs(value, option, 'INVALID_INPUT');
  if (typeof value === 'number' && ms < 1000) {
    throw stepOptionError(
      option,
      `is ${ms} ms: a bare number is milliseconds and a step needs at least 1 s. ` +
        `For seconds write a string such as '${ms}s'`,
    );
  }
  return ms;
}

/**
 * Defines a step. `fn` is a handle to a step function registered on the worker (or its
 * registered name). Options are checked here: bad options throw `INVALID_INPUT` at once.
 */
export function Step<S extends JsonObject = JsonObject, R = JsonValue>(
  name: string,
  fn: StepHandle<S, R> | string,
  options?: StepOptions,
): StepDefinition<S, R>;
/**
 * The seed's keyword form: `Step({ name, fn, retries, retryDelay, timeout, description,
 * checkpoint })`, the same as `Step(name, fn, options)`.
 */
export function Step<S extends JsonObject = JsonObject, R = JsonValue>(
  definition: StepInit<S, R>,
): StepDefinition<S, R>;
export function Step<S extends JsonObject = JsonObject, R = JsonValue>(
  nameOrInit: string | StepInit<S, R>,
  fnArg?: StepHandle<S, R> | string,
  optionsArg: StepOptions = {},
): StepDefinition<S, R> {
  let name: string;
  let fn: StepHandle<S, R> | string | undefined;
  let options: StepOptions;
  if (typeof nameOrInit === 'object' && nameOrInit !== null) {
    if (fnArg !== undefined) {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        'Step: give either Step(name, fn, options) or Step({ name, fn, ...options }), not both',
      );
    }
    ({ name, fn, ...options } = nameOrInit);
  } else {
    name = nameOrInit;
    fn = fnArg;
    options = optionsArg;
  }
  if (fn === undefined) {
    throw new AgentRuntimeError('INVALID_INPUT', `Step "${String(name)}": fn is required`);
  }
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
  return Object.freeze({ name, fn: fnName, ...resolveStepOptions(options ?? {}) });
}

/** The keyword form of `Step`: the step's name and function with its options. */
export interface StepInit<S extends JsonObject = JsonObject, R = JsonValue> extends StepOptions {
  /** Unique step name within the list. */
  name: string;
  /** A step handle (`proxySteps` / `stepHandle`) or a registered step function's name. */
  fn: StepHandle<S, R> | string;
}

/** Milliseconds to wait before retrying after failed attempt number `attempt` (1-based). */
export function retryIntervalFor(step: Pick<StepDefinition, 'retry'>, attempt: number): number {
  const { initialInterval, backoffCoefficient, maximumInterval } = step.retry;
  const d = initialInterval * Math.pow(backoffCoefficient, Math.max(0, attempt - 1));
  return maximumInterval === undefined ? d : Math.min(d, maximumInterval);
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
  /**
   * Workers lost (heartbeat timeouts) while running this step; each lost worker's attempt ran again
   * elsewhere without counting as an attempt. @default 0
   */
  readonly workersLost: number;

  constructor(
    stepName: string,
    attempts: number,
    lastError: string,
    cause?: unknown,
    workersLost = 0,
  ) {
    const lost =
      workersLost > 0
        ? ` (and ${workersLost} lost worker${workersLost === 1 ? '' : 's'} before: heartbeat timeouts, each attempt ran again)`
        : '';
    super(
      'STEP_EXECUTION_ERROR',
      `Step '${stepName}' failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${lost}: ${lastError}`,
      {
        details: {
          stepName,
          attempts,
          error: lastError,
          ...(workersLost > 0 ? { workersLost } : {}),
        },
        cause,
      },
    );
    this.name = 'StepExecutionError';
    this.stepName = stepName;
    this.attempts = attempts;
    this.lastError = lastError;
    this.workersLost = workersLost;
  }
}
