// Node side: the public API of `agent-runtime-core`. Code that runs inside the workflow sandbox
// (your agents) imports from `agent-runtime-core/workflows` instead.

// Core types, events, errors
export {
  Message,
  MessageToolCall,
  MessageRole,
  ToolCall,
  toMessageToolCall,
  fromMessageToolCall,
  emptyUsage,
  addUsage,
  toRunResult,
  TERMINAL_STATUSES,
  type ErrorInfo,
  type JsonObject,
  type JsonValue,
  type RunEvent,
  type RunResult,
  type RunResultInit,
  type RunStatus,
  type Usage,
} from './core/types';
export {
  EventType,
  TERMINAL_EVENT_TYPES,
  isTerminalEventType,
  isTransientEventType,
} from './core/events';
export type { Duration, RetryPolicy } from './core/durations';
export {
  AgentRuntimeError,
  ERROR_CODES,
  isRetryableCode,
  normalizeErrorInfo,
  toErrorInfo,
  type AgentRuntimeErrorOptions,
  type ErrorCode,
} from './core/errors';

// Agents
export { AgentRuntime } from './runtime/agent';
export type { RunContext } from './runtime/context';
export {
  registerRuntime,
  getRuntime,
  hasRuntime,
  listRuntimes,
  unregisterRuntime,
  clearRegistry,
  type RegisterRuntimeOptions,
} from './runtime/registry';

// Tools
export {
  ToolRegistry,
  Tool, // a value too: Tool.fromFunction, Tool.define
  type ToolHandler,
  type RegisterToolOptions,
} from './tools/registry';
export {
  isToolCallError,
  type AnthropicToolSpec,
  type ExecuteToolOptions,
  type ExecuteWithEventsOptions,
  type ToolApprovalDecision,
  type ToolCallOutcome,
  type ToolRegistryOptions,
} from './tools/registry';
export {
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
  type ToolOptions,
  type ToolSpecDefinition,
  type ToolSpecHandle,
} from './tools/tool';
export { ToolCallingAgent } from './runtime/tool-calling-agent';
export {
  approveToolCallUpdate,
  toolApprovalsQuery,
  type ApproveToolCallRequest,
  type ApproveToolCallResponse,
  type PendingToolApproval,
} from './core/run-contract';

// Configuration
export {
  configure,
  getConfig,
  resetConfig,
  RuntimeConfig,
  type RuntimeConfigInput,
} from './config';

// LLM clients
export {
  OpenAIClient,
  AnthropicClient,
  LiteLLMClient,
  generateObject,
  toResponseFormat,
  estimateCost,
  type AnthropicClientOptions,
  type LiteLLMClientOptions,
  type ResponseFormat,
  type ModelPrice,
  type PriceTable,
  createLLMClient,
  getLLMClient,
  parseRetryAfter,
  redactSecrets,
  type OpenAIClientOptions,
  type LLMClientOverrides,
  type GenerateOptions,
  type LLMClient,
  type LLMResponse,
  type LLMStreamChunk,
  type ToolSpec,
} from './llm';

// Running agents on Temporal
export {
  AgentRunner,
  RunHandle,
  type AgentRunnerOptions,
  type EventsOptions,
  type ResolvedRunnerConfig,
  type RunInputData,
  type RunnerConfig,
  type StartRunOptions,
} from './client/runner';
export {
  AGENT_RUN_WORKFLOW,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  DEFAULT_MODEL_CALL,
  DEFAULT_RUN_TIMEOUT,
  type AgentRunInput,
  type ModelCallOptions,
  type RunPersistenceOptions,
  type RunStatusInfo,
} from './core/run-contract';

// Run state stores and event buses (the persistence layer is `agent-runtime-core/persistence`)
export {
  InMemoryStateStore,
  PostgresStateStore,
  RedisStateStore,
  type StateStore,
  type RunStatusRecord,
  type PostgresStateStoreOptions,
  type RedisStateStoreOptions,
} from './state';
export {
  InMemoryEventBus,
  PostgresEventBus,
  RedisEventBus,
  type EventBus,
  type SubscribeOptions,
  type GetEventsOptions,
  type PostgresEventBusOptions,
  type RedisEventBusOptions,
  readRunEvents,
  type ReadRunEventsOptions,
  type TransientEvent,
  type TransientSubscription,
} from './events';

// Steps: step functions are registered on the worker (`defineSteps`, `createActivities({ steps })`);
// `Step`, `StepExecutor` and `proxySteps` are used in workflow code (`agent-runtime-core/workflows`).
export { defineSteps, type StepRegistry } from './steps';
export {
  StepExecutionError,
  type StepContext,
  type StepFn,
  type ExecutionState,
} from './runtime/step-executor';
export { StreamedText, type AssistantDeltaPayload, type AssistantRetryPayload } from './llm/deltas';
