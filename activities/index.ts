// Node side: the entry of `agent-runtime-core/activities`. All I/O of a run happens here.
import type { AgentActivities } from '../src/core/activity-contract';
import { createInvokeModel, type InvokeModelDeps } from './invoke-model';
import { createRunStep, type StepActivityDeps } from './run-step';
import { createCheckpointActivities, type CheckpointActivityDeps } from './checkpoint';
import { createRunPersistenceActivities, type RunPersistenceDeps } from './run-persistence';
import { createToolActivities, type ExecuteToolDeps } from './execute-tool';

// The activity contract (names, inputs, outputs) is `AgentActivities`; its input and output types
// are reachable through it (`Parameters<AgentActivities['invokeModel']>[0]`).
export type { AgentActivities } from '../src/core/activity-contract';
export { createExecuteTool, type ExecuteToolDeps } from './execute-tool';
export type { LLMClientResolver, InvokeModelDeps } from './invoke-model';
export type { StepActivityDeps } from './run-step';
export type { CheckpointActivityDeps } from './checkpoint';

/** What the activities need: built once by the worker's composition root. */
export type ActivityDeps = InvokeModelDeps &
  StepActivityDeps &
  CheckpointActivityDeps &
  RunPersistenceDeps &
  ExecuteToolDeps;
export type { RunPersistenceDeps } from './run-persistence';

/** Builds the activities a run worker registers. */
export function createActivities(deps: ActivityDeps): AgentActivities {
  return {
    invokeModel: createInvokeModel(deps),
    ...createToolActivities(deps),
    runStep: createRunStep(deps),
    ...createCheckpointActivities(deps),
    ...createRunPersistenceActivities(deps),
  };
}

// Every activity factory, for workers that register a subset or wrap them (createActivities
// builds them all).
export { createInvokeModel } from './invoke-model';
export { createRunStep } from './run-step';
export { createToolActivities } from './execute-tool';
export { createCheckpointActivities } from './checkpoint';
export { createRunPersistenceActivities } from './run-persistence';
