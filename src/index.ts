// Node side: the public API of `agent-runtime-core`. Code that runs inside the workflow sandbox
// (your agents) imports from `agent-runtime-core/workflows` instead.

// Core types, events, errors
export {
  Message,
  MessageToolCall,
  MessageRole,
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
export { EventType, TERMINAL_EVENT_TYPES, isTerminalEventType } from './core/events';
export {
  AgentRuntimeError,
  ERROR_CODES,
  isRetryableCode,
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
  type Tool,
  type ToolHandler,
  type RegisterToolOptions,
} from './tools/registry';

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
  type ToolCallInfo,
  type ToolSpec,
} from './llm';

// Running agents on Temporal
export {
  AgentRunner,
  RunHandle,
  type AgentRunnerOptions,
  type EventsOptions,
  type RunInputData,
  type RunnerConfig,
  type StartRunOptions,
} from './client/runner';
export {
  AGENT_RUN_WORKFLOW,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  type AgentRunInput,
  type RunActivityOptions,
  type RunStatusInfo,
} from '../workflows/definitions';

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
  type TransientEvent,
  type TransientSubscription,
} from './events';
export {
  StreamedText,
  TransientEventType,
  isTransientEventType,
  type AssistantDeltaPayload,
  type AssistantRetryPayload,
} from './llm/deltas';
