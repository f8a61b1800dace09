// Node side: the run checkpoint activities, backed by the worker's optional StateStore. They make
// `ctx.checkpoint(state)` outlive the run, so a new run with the same run id can resume from it.
import type { JsonObject } from '../src/core/types';
import { AgentRuntimeError } from '../src/core/errors';
import type { StateStore } from '../src/state/state-store';
import { asActivity, toApplicationFailure } from './failures';

/** Dependencies of the checkpoint activities. */
export interface CheckpointActivityDeps {
  /**
   * Where run checkpoints are kept across runs. Without one, `saveRunCheckpoint` and
   * `loadRunCheckpoint` fail with `CONFIG_MISSING` (not retried), failing the runs that asked
   * for checkpoints (`persistence: { checkpoints: true }`): such a run would otherwise resume
   * nothing, silently, and run again steps it already completed. Runs that did not ask schedule
   * neither activity; their checkpoints live only in the run's own history.
   */
  stateStore?: StateStore;
}

/** Input of `saveRunCheckpoint`. */
export interface SaveRunCheckpointInput {
  runId: string;
  state: JsonObject;
}

/** Output of `saveRunCheckpoint`. */
export interface SaveRunCheckpointOutput {
  /** Whether a state store took the checkpoint (always true: without a store the call fails). */
  saved: boolean;
}

/** Input of `loadRunCheckpoint`. */
export interface LoadRunCheckpointInput {
  runId: string;
}

/** The error of a run that asked for checkpoints on a worker without a state store. */
function noStore(runId: string): AgentRuntimeError {
  return new AgentRuntimeError(
    'CONFIG_MISSING',
    "The run asked for checkpoints in the state store, but this worker has no stateStore: pass `stateStore` in the worker's activity dependencies, or start runs without `persistence: { checkpoints: true }`.",
    { details: { dependency: 'stateStore', runId } },
  );
}

/** Builds `saveRunCheckpoint` and `loadRunCheckpoint`. */
export function createCheckpointActivities(deps: CheckpointActivityDeps): {
  saveRunCheckpoint(input: SaveRunCheckpointInput): Promise<SaveRunCheckpointOutput>;
  loadRunCheckpoint(input: LoadRunCheckpointInput): Promise<JsonObject | null>;
} {
  return {
    async saveRunCheckpoint(input: SaveRunCheckpointInput): Promise<SaveRunCheckpointOutput> {
      const store = deps.stateStore;
      if (!store) throw toApplicationFailure(noStore(input.runId));
      await asActivity(() => store.saveCheckpoint(input.runId, input.state));
      return { saved: true };
    },
    async loadRunCheckpoint(input: LoadRunCheckpointInput): Promise<JsonObject | null> {
      const store = deps.stateStore;
      if (!store) throw toApplicationFailure(noStore(input.runId));
      return asActivity(() => store.getCheckpoint(input.runId));
    },
  };
}
