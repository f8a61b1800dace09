// Sandbox-safe: the base class of every agent. Agents run inside the workflow sandbox, so their
// run() must do I/O only through ctx (LLM calls, tools, events): those become activities.
import { toErrorInfo } from '../core/errors';
import type { ErrorInfo, RunResultInit } from '../core/types';
import type { RunContext } from './context';

/** The base class of agents: a unique `key` and an async `run(ctx)`. */
export abstract class AgentRuntime {
  /** Unique identifier of this agent; runs name it to choose the agent. */
  abstract get key(): string;

  /** The agent's logic. Return the run's result; throw to fail the run. */
  abstract run(ctx: RunContext): Promise<RunResultInit>;

  /** Called when the run is cancelled or times out, to clean up. @default does nothing */
  async cancel(_ctx: RunContext): Promise<void> {}

  /**
   * Turns an error thrown by `run` into the run's `ErrorInfo`. Return `undefined` to use the
   * default (type, message and stack of the error).
   */
  async onError(_ctx: RunContext, error: unknown): Promise<ErrorInfo | undefined> {
    return toErrorInfo(error);
  }
}
