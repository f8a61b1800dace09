// Node side: the entry of `agent-runtime-core/activities`. All I/O of a run happens here.
import type { AgentActivities } from './types';
import { createInvokeModel, type InvokeModelDeps } from './invoke-model';

export type { AgentActivities, InvokeModelInput, InvokeModelResult } from './types';
export type { LLMClientResolver, InvokeModelDeps } from './invoke-model';
export { toApplicationFailure } from './failures';

/** What the activities need: built once by the worker's composition root. */
export type ActivityDeps = InvokeModelDeps;

/** Builds the activities a run worker registers. */
export function createActivities(deps: ActivityDeps): AgentActivities {
  return { invokeModel: createInvokeModel(deps) };
}
