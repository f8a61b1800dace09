// Sandbox-safe: the contract between an agent and the run executing it.
import type { EventType } from '../core/events';
import type { Message } from '../core/types';
import type { LLMClient } from '../core/llm-types';
import type { ToolRegistry } from '../tools/registry';

/** What an agent sees of the run executing it. */
export interface RunContext {
  /** The run's id (the Temporal workflow id). */
  readonly runId: string;
  /** The conversation this run belongs to, if any. */
  readonly conversationId: string | undefined;
  /**
   * The messages the run was started with. In a run with a stored conversation (see
   * `RunPersistenceOptions.conversations`): the conversation's history, then the new input.
   */
  readonly inputMessages: readonly Message[];
  /**
   * The stored conversation's messages (its active branch) loaded before the run; empty or
   * absent without one. `inputMessages` begins with them.
   */
  readonly history?: readonly Message[];
  /** Free-form parameters the run was started with. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Free-form metadata the run was started with. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Tools available to the agent. */
  readonly tools: ToolRegistry;
  /** The run's LLM client (each call is a durable activity inside a run). */
  readonly llm: LLMClient;
  /** Appends an event to the run's event log. */
  emit(type: EventType | (string & {}), payload?: Record<string, unknown>): Promise<void>;
  /** Saves the agent's state; `getState()` returns it, and it is queryable from clients. */
  checkpoint(state: Record<string, unknown>): Promise<void>;
  /** The last state saved with `checkpoint`, or `null`. */
  getState<T extends Record<string, unknown> = Record<string, unknown>>(): Promise<T | null>;
  /** Whether the run was asked to stop (cancelled or timed out). */
  isCancelled(): boolean;
  /**
   * How many executions of this run came before this one: 0, or 1, 2, … after the run continued
   * as new (see `continueAsNew`).
   */
  readonly executions: number;
  /**
   * Whether the run should continue as new now (Temporal suggests it, or this execution's history
   * passed the run's `continueAsNew` thresholds). Ask between your own model calls, tool calls
   * and steps; always `false` in a test context.
   */
  shouldContinueAsNew(): boolean;
  /**
   * Ends this execution and continues the run as new; never returns. The next execution calls the
   * agent's `run(ctx)` again (same run id, input, event numbering, usage totals), where
   * `getState()` returns `state`, and `carriedMessages(name)` each conversation of `messages`
   * (carried by reference to the workers' transcript store, not through history).
   */
  continueAsNew(
    state: Record<string, unknown>,
    options?: { messages?: Record<string, readonly Message[]> },
  ): Promise<never>;
  /** In a continued execution, the conversation carried under `name`; else `null`. */
  carriedMessages(name: string): Message[] | null;
}
