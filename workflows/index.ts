// Sandbox-safe: the entry of `agent-runtime-core/workflows`. Import agents' building blocks from
// here in code that runs inside the workflow sandbox (your agents and your workflows module).
export { agentRunWorkflow } from './agent-run';
export {
  AGENT_RUN_WORKFLOW,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  checkpointQuery,
  eventsQuery,
  statusQuery,
  waitForEventsUpdate,
  type AgentRunInput,
  type RunActivityOptions,
  type RunStatusInfo,
  type WaitForEventsRequest,
  type WaitForEventsResponse,
} from './definitions';
export { AgentRuntime } from '../src/runtime/agent';
export type { RunContext } from '../src/runtime/context';
export {
  registerRuntime,
  getRuntime,
  hasRuntime,
  listRuntimes,
  unregisterRuntime,
  clearRegistry,
  type RegisterRuntimeOptions,
} from '../src/runtime/registry';
export { getRunLLMClient as getLLMClient } from '../src/runtime/current';
export { EventType, TERMINAL_EVENT_TYPES, isTerminalEventType } from '../src/core/events';
export { AgentRuntimeError, ERROR_CODES, toErrorInfo, type ErrorCode } from '../src/core/errors';
export {
  Message,
  MessageToolCall,
  emptyUsage,
  addUsage,
  toRunResult,
  type ErrorInfo,
  type RunEvent,
  type RunResult,
  type RunResultInit,
  type RunStatus,
  type Usage,
} from '../src/core/types';
export { ToolRegistry, type Tool, type ToolHandler } from '../src/tools/registry';
export type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ToolCallInfo,
  ToolSpec,
} from '../src/llm/types';
export { generateObject } from '../src/llm/structured';
export type { ResponseFormat } from '../src/llm/types';
