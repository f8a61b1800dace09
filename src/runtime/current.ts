// Sandbox-safe: the "current run" slot behind getLLMClient(). Inside the workflow sandbox every
// workflow execution has its own globalThis, so one slot per global is one slot per run.
import { AgentRuntimeError } from '../core/errors';
import type { LLMClient } from '../core/llm-types';

const SLOT = Symbol.for('agent-runtime-core.currentRunLLM');
type Slot = { [SLOT]?: LLMClient };

/** @internal Sets (or clears) the LLM client of the run executing in this global context. */
export function setCurrentRunLLM(llm: LLMClient | undefined): void {
  (globalThis as Slot)[SLOT] = llm;
}

/** @internal The LLM client of the run executing in this global context, if any. */
export function currentRunLLM(): LLMClient | undefined {
  return (globalThis as Slot)[SLOT];
}

/**
 * Inside a run: the run's LLM client. Every call it makes is an `invokeModel` activity, so it is
 * retried, heartbeated and cancellable, and its result is recorded in the run's history.
 * Throws `CONFIG_MISSING` outside a run.
 */
export function getRunLLMClient(): LLMClient {
  const llm = currentRunLLM();
  if (!llm) {
    throw new AgentRuntimeError(
      'CONFIG_MISSING',
      'getLLMClient() was called outside a run. Inside an agent, call it from run(ctx) (or use ctx.llm).',
    );
  }
  return llm;
}
