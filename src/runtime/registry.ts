// Sandbox-safe: the agent registry. Workers find agents here by key; register agents in the
// module your worker's workflowsPath points at, so the workflow sandbox sees them.
import { AgentRuntimeError } from '../core/errors';
import type { AgentRuntime } from './agent';

const REGISTRY = Symbol.for('agent-runtime-core.registry');
type Holder = { [REGISTRY]?: Map<string, AgentRuntime> };

function registry(): Map<string, AgentRuntime> {
  const g = globalThis as Holder;
  return (g[REGISTRY] ??= new Map<string, AgentRuntime>());
}

/** Options of `registerRuntime`. */
export interface RegisterRuntimeOptions {
  /** Replace an agent already registered under the same key. @default false */
  replace?: boolean;
}

/** Registers an agent under its key. A second agent with the same key is an error unless `replace`. */
export function registerRuntime(runtime: AgentRuntime, options: RegisterRuntimeOptions = {}): void {
  const key = runtime.key;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new AgentRuntimeError('INVALID_INPUT', 'An agent key must be a non-empty string.');
  }
  if (registry().has(key) && !options.replace) {
    throw new AgentRuntimeError(
      'AGENT_ALREADY_REGISTERED',
      `An agent with key "${key}" is already registered.`,
      {
        details: { key },
      },
    );
  }
  registry().set(key, runtime);
}

/** The agent registered under `key`; throws `AGENT_NOT_FOUND` (listing the known keys) if none is. */
export function getRuntime(key: string): AgentRuntime {
  const runtime = registry().get(key);
  if (!runtime) {
    const known = listRuntimes();
    throw new AgentRuntimeError(
      'AGENT_NOT_FOUND',
      `No agent is registered with key "${key}". Registered: ${known.length ? known.join(', ') : '(none)'}.`,
      { details: { key, registered: known } },
    );
  }
  return runtime;
}

/** Whether an agent is registered under `key`. */
export function hasRuntime(key: string): boolean {
  return registry().has(key);
}

/** Keys of all registered agents, sorted. */
export function listRuntimes(): string[] {
  return [...registry().keys()].sort();
}

/** Removes an agent; returns whether one was registered. */
export function unregisterRuntime(key: string): boolean {
  return registry().delete(key);
}

/** Removes every registered agent. */
export function clearRegistry(): void {
  registry().clear();
}
