// Sandbox-safe: the entry of `agent-runtime-core/workflows`, for code that runs inside the workflow
// sandbox: your agents and your workflows module. Everything here is deterministic and I/O-free;
// the run's context turns model calls, tool calls and steps into activities.

// The run workflow your workflows module re-exports
export { agentRunWorkflow } from './agent-run';

// Agents
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

// Tools and the tool-calling agent
export { ToolCallingAgent } from '../src/runtime/tool-calling-agent';
export {
  ToolRegistry,
  isToolCallError,
  type AnthropicToolSpec,
  type ExecuteToolOptions,
  type ExecuteWithEventsOptions,
  type RegisterToolOptions,
  type ToolApprovalDecision,
  type ToolCallOutcome,
  type ToolRegistryOptions,
} from '../src/tools/registry';
export {
  Tool,
  DEFAULT_TOOL_RETRY,
  defineTool,
  defineToolSpec,
  toolJsonSchema,
  type AnyTool,
  type FromFunctionOptions,
  type ToolArgsSchema,
  type ToolDeclaration,
  type ToolDefinition,
  type ToolExecutionContext,
  type ToolHandler,
  type ToolOptions,
  type ToolSpecDefinition,
  type ToolSpecHandle,
} from '../src/tools/tool';

// Steps
export { StepExecutor, type StepExecutorOptions, type StepRunOptions } from './step-executor';
export {
  Step,
  StepExecutionError,
  proxySteps,
  type ExecutionState,
  type StepContext,
  type StepDefinition,
  type StepFn,
  type StepHandle,
  type StepHandles,
  type StepInit,
  type StepOptions,
  type StepRetryPolicy,
} from '../src/runtime/step-executor';

// Model calls
export type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ResponseFormat,
  ToolSpec,
} from '../src/core/llm-types';
export { generateObject } from '../src/runtime/structured-output';

// Shared vocabulary: events, errors, messages, results, durations
export { EventType } from '../src/core/events';
export {
  AgentRuntimeError,
  type AgentRuntimeErrorOptions,
  type ErrorCode,
} from '../src/core/errors';
export {
  Message,
  MessageToolCall,
  ToolCall,
  toMessageToolCall,
  fromMessageToolCall,
  emptyUsage,
  addUsage,
  type ErrorInfo,
  type RunEvent,
  type RunResult,
  type RunResultInit,
  type RunStatus,
  type Usage,
} from '../src/core/types';
export type { Duration, RetryPolicy } from '../src/core/durations';
