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
  DEFAULT_MODEL_CALL,
  DEFAULT_RUN_TIMEOUT,
  type AgentRunInput,
  type ModelCallOptions,
  type RunPersistenceOptions,
  type RunStatusInfo,
  type WaitForEventsRequest,
  type WaitForEventsResponse,
} from '../src/core/run-contract';
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
export {
  EventType,
  TERMINAL_EVENT_TYPES,
  isTerminalEventType,
  isTransientEventType,
} from '../src/core/events';
export type { Duration, RetryPolicy } from '../src/core/durations';
export { AgentRuntimeError, ERROR_CODES, toErrorInfo, type ErrorCode } from '../src/core/errors';
export {
  Message,
  MessageToolCall,
  ToolCall,
  toMessageToolCall,
  fromMessageToolCall,
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
export { ToolCallingAgent } from '../src/runtime/tool-calling-agent';
export {
  approveToolCallUpdate,
  toolApprovalsQuery,
  type ApproveToolCallRequest,
  type ApproveToolCallResponse,
  type PendingToolApproval,
} from '../src/core/run-contract';
export type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ToolSpec,
} from '../src/core/llm-types';
export { StepExecutor, type StepExecutorOptions, type StepRunOptions } from './step-executor';
export {
  Step,
  StepExecutionError,
  proxySteps,
  stepHandle,
  isStepHandle,
  checkResumableState,
  retryIntervalFor,
  type ExecutionState,
  type StepContext,
  type StepDefinition,
  type StepFn,
  type StepHandle,
  type StepHandles,
  type StepOptions,
  type StepRetryPolicy,
} from '../src/runtime/step-executor';
export { generateObject } from '../src/runtime/structured-output';
export type { ResponseFormat } from '../src/core/llm-types';
