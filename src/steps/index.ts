// Node side (worker): registering step functions. Workflow code refers to them by typed handles
// (`proxySteps<typeof steps>()` from `agent-runtime-core/workflows`); the worker runs them inside
// the `runStep` activity.
import { AgentRuntimeError } from '../core/errors';
import type { StepFn } from '../runtime/step-executor';

export type { StepContext, StepFn } from '../runtime/step-executor';

/** Step functions by registered name, as given to `createActivities({ steps })`. */
export type StepRegistry = Readonly<Record<string, StepFn<never, unknown>>>;

/**
 * Declares the step functions a worker provides. Returns the same object (typed), so workflow
 * code can take typed handles from its type: `proxySteps<typeof steps>()`. Throws
 * `INVALID_INPUT` if an entry is not a function.
 *
 * ```ts
 * // steps.ts (worker side: may do any I/O)
 * export const steps = defineSteps({
 *   fetchData: async (ctx, state: { url: string }) => (await fetch(state.url, { signal: ctx.signal })).json(),
 * });
 * // worker.ts
 * createAgentWorker({ ..., activities: { llm, steps } });
 * ```
 */
export function defineSteps<T extends StepRegistry>(steps: T): T {
  if (typeof steps !== 'object' || steps === null) {
    throw new AgentRuntimeError('INVALID_INPUT', 'defineSteps: expected an object of functions');
  }
  for (const [name, fn] of Object.entries(steps)) {
    if (typeof fn !== 'function') {
      throw new AgentRuntimeError(
        'INVALID_INPUT',
        `defineSteps: step "${name}" must be a function (stepCtx, state) => result`,
        { details: { field: name } },
      );
    }
  }
  return steps;
}
