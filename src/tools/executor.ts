// Sandbox-safe: the "current run" slot through which a ToolRegistry inside a run hands tool calls
// to the run (which turns each into an `executeTool` activity). Outside a run the slot is empty and
// the registry calls handlers in-process. One slot per global = one per workflow execution.
import type { JsonValue } from '../core/types';
import type { ToolDeclaration } from './tool';

/** A validated tool call handed to the run. */
export interface ToolCallRequest {
  /** The tool's declaration (its options decide timeouts, retries and approval). */
  tool: ToolDeclaration;
  /** The model's tool-call id; absent for a direct `ToolRegistry.execute`. */
  toolCallId?: string;
  /** The arguments as parsed from the model's JSON (validated, not transformed). */
  arguments: Record<string, unknown>;
}

/**
 * Runs tool calls for the current run. Throws an `AgentRuntimeError` with a `TOOL_*` code when the
 * call fails; a cancellation passes through unchanged.
 */
export interface ToolCallExecutor {
  execute(request: ToolCallRequest): Promise<JsonValue>;
}

const SLOT = Symbol.for('agent-runtime-core.currentRunTools');
type Slot = { [SLOT]?: ToolCallExecutor };

/** @internal Sets (or clears) the tool executor of the run executing in this global context. */
export function setCurrentToolExecutor(executor: ToolCallExecutor | undefined): void {
  (globalThis as Slot)[SLOT] = executor;
}

/** @internal The tool executor of the run executing in this global context, if any. */
export function currentToolExecutor(): ToolCallExecutor | undefined {
  return (globalThis as Slot)[SLOT];
}
