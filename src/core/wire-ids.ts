// Sandbox-safe: short forms of the ids activity inputs repeat on every call, so a reference costs
// history a few bytes. The workflow writes them (`shortTranscriptId`), activities read them back
// from their own activity info (`expandTranscriptId`).

/** Where an activity was scheduled: its `info.workflowExecution`. */
export interface SchedulingExecution {
  workflowId: string;
  runId: string;
}

/**
 * `id` as an activity input carries it: `~<n>` for a transcript of `execution` itself
 * (`<workflow id>:<execution run id>:<n>`), else `id` unchanged.
 */
export function shortTranscriptId(id: string, execution: SchedulingExecution | undefined): string {
  if (!execution) return id;
  const own = `${execution.workflowId}:${execution.runId}:`;
  return id.startsWith(own) && !id.slice(own.length).includes(':')
    ? `~${id.slice(own.length)}`
    : id;
}

/** The full transcript id of `id` as an activity input carries it (see `shortTranscriptId`). */
export function expandTranscriptId(id: string, execution: SchedulingExecution | undefined): string {
  return id.startsWith('~') && !id.includes(':') && execution
    ? `${execution.workflowId}:${execution.runId}:${id.slice(1)}`
    : id;
}
