// Node side: the run checkpoint activities, backed by the worker's optional StateStore. They make
// `ctx.checkpoint(state)` outlive the run, so a new run with the same run id can resume from it.
import type { JsonObject } from '../src/core/types';
import { AgentRuntimeError } from '../src/core/errors';
import type { StateStore } from '../src/state/state-stores';
import { toApplicationFailure } from './failures';

/** Dependencies of the checkpoint activities. */
export interface CheckpointActivityDeps {
  /**
   * Where run checkpoints are kept across runs. Without one, `saveRunCheckpoint` does nothing and
   * `loadRunCheckpoint` answers `null`: checkpoints then live only in the run's own history.
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
  /** Whether a state store took the checkpoint (false: no store configured on the worker). */
  saved: boolean;
}

/** Input of `loadRunCheckpoint`. */
export interface LoadRunCheckpointInput {
  runId: string;
}

async function typed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (AgentRuntimeError.is(err)) throw toApplicationFailure(err);
    throw err;
  }
}

/** Builds `saveRunCheckpoint` and `loadRunCheckpoint`. */
export function createCheckpointActivities(deps: CheckpointActivityDeps): {
  saveRunCheckpoint(input: SaveRunCheckpointInput): Promise<SaveRunCheckpointOutput>;
  loadRunCheckpoint(input: LoadRunCheckpointInput): Promise<JsonObject | null>;
} {
  return {
    async saveRunCheckpoint(input: SaveRunCheckpointInput): Promise<SaveRunCheckpointOutput> {
      const store = deps.stateStore;
      if (!store) return { saved: false };
      await typed(() => store.saveCheckpoint(input.runId, input.state));
      return { saved: true };
    },
    async loadRunCheckpoint(input: LoadRunCheckpointInput): Promise<JsonObject | null> {
      const store = deps.stateStore;
      if (!store) return null;
      return typed(() => store.getCheckpoint(input.runId));
    },
  };
}
