// Node side: the entry of `agent-runtime-core/activities`. All I/O of a run happens here.
import type { AgentActivities } from '../src/core/activity-contract';
import { payloadLimit } from './payload-limit';
import { createInvokeModel, createLoadTranscript, type InvokeModelDeps } from './invoke-model';
import { InMemoryTranscriptStore } from '../src/transcripts/memory';
import { createRunStep, type StepActivityDeps } from './run-step';
import { createCheckpointActivities, type CheckpointActivityDeps } from './checkpoint';
import { createRunPersistenceActivities, type RunPersistenceDeps } from './run-persistence';
import { createToolActivities, type ExecuteToolDeps } from './execute-tool';
import { resolveRedactor, withRedaction, type RedactionDeps } from './redact';

// The activity contract: names (`AgentActivities`), inputs and outputs, for workers that wrap or
// intercept the activities. Histories refer to these names and shapes.
export type {
  AgentActivities,
  ExecuteToolInput,
  ExecuteToolOutput,
  InvokeModelInput,
  InvokeModelResult,
  RunStepInput,
  RunStepOutput,
} from '../src/core/activity-contract';
export type {
  AppendConversationInput,
  AppendConversationResult,
  LoadConversationInput,
  LoadConversationResult,
  PublishRunEventsInput,
  PublishRunEventsResult,
} from '../src/core/persistence-contract';
export { createExecuteTool, type ExecuteToolDeps } from './execute-tool';
export type { LLMClientResolver, InvokeModelDeps } from './invoke-model';
export type { StepActivityDeps } from './run-step';
export type {
  CheckpointActivityDeps,
  LoadRunCheckpointInput,
  SaveRunCheckpointInput,
  SaveRunCheckpointOutput,
} from './checkpoint';

/** What the activities need: built once by the worker's composition root. */
export type ActivityDeps = InvokeModelDeps &
  StepActivityDeps &
  CheckpointActivityDeps &
  RunPersistenceDeps &
  ExecuteToolDeps &
  RedactionDeps;
export type { RunPersistenceDeps } from './run-persistence';
export type { PayloadLimitDeps } from './payload-limit';
export type { RedactionDeps } from './redact';

/**
 * Builds the activities a run worker registers. Whatever they throw is redacted first (`redact`):
 * no configured secret reaches history, events, audit, error records, logs or the model.
 */
export function createActivities(deps: ActivityDeps): AgentActivities {
  const redact = resolveRedactor(deps);
  // One transcript store for the model calls and for reading transcripts back.
  const transcriptStore = deps.transcriptStore ?? new InMemoryTranscriptStore();
  const withRedact = { ...deps, redact, transcriptStore };
  return withRedaction(
    {
      invokeModel: createInvokeModel(withRedact),
      loadTranscript: createLoadTranscript(transcriptStore, payloadLimit(deps)),
      ...createToolActivities(withRedact),
      runStep: createRunStep(withRedact),
      ...createCheckpointActivities(withRedact),
      ...createRunPersistenceActivities(withRedact),
    },
    redact,
  );
}

// Every activity factory, for workers that register a subset or wrap them (createActivities
// builds them all).
export { createInvokeModel, createLoadTranscript } from './invoke-model';
export { createRunStep } from './run-step';
export { createToolActivities } from './execute-tool';
export { createCheckpointActivities } from './checkpoint';
export { createRunPersistenceActivities } from './run-persistence';
