// Sandbox-safe: what workflow code reports to the worker's trace sinks. The workflow calls these
// through a Temporal workflow sink (`proxySinks`): the call issues no command, leaves nothing in
// history, and is not repeated when a worker replays the run.

/** The run-level trace calls the workflow makes (worker side: `TraceDispatcher`). */
// Type aliases, not interfaces: Temporal's `Sinks` constraint needs an implicit index signature.
export type RunTraceCalls = {
  /** The run started (its first execution, or a retry of the whole run). */
  runStarted(run: { runId: string; agentKey: string; attempt: number }): void;
  /** The run ended with `status`; `usage` is the run's total; `error` when it did not succeed. */
  runEnded(run: {
    runId: string;
    agentKey: string;
    status: string;
    usage?: { promptTokens: number; completionTokens: number; totalTokens: number; cost?: number };
    modelCalls?: number;
    error?: { type: string; message: string };
  }): void;
};

/** Name of the Temporal workflow sink the worker registers for run-level traces. */
export const RUN_TRACE_SINK = 'agentRuntimeTrace';

/** The workflow sinks of a run worker (`proxySinks<RunTraceSinks>()`). */
export type RunTraceSinks = {
  /** Run-level trace calls. */
  agentRuntimeTrace: RunTraceCalls;
};
