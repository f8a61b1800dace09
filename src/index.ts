// Node side: the entry of `agent-runtime-core`, for client code (start, watch, cancel and approve
// runs), settings and the LLM clients a worker builds. Agent code runs inside the workflow sandbox
// and imports from `agent-runtime-core/workflows` instead; stores and event buses are in
// `agent-runtime-core/persistence`, the worker in `agent-runtime-core/worker`.

// Running agents on Temporal
export {
  AgentRunner,
  RunHandle,
  type AgentRunnerOptions,
  type EventsOptions,
  type ResolvedRunnerConfig,
  type RunHandleOptions,
  type RunInputData,
  type RunnerConfig,
  type StartRunOptions,
} from './client/runner';
export {
  AGENT_RUN_WORKFLOW,
  AgentCostUsdSearchAttribute,
  AgentKeySearchAttribute,
  AgentStatusSearchAttribute,
  DEFAULT_CONTINUE_AS_NEW,
  AgentTokensSearchAttribute,
  DEFAULT_MODEL_CALL,
  DEFAULT_RUN_TIMEOUT,
  type AgentRunInput,
  type AgentRunWorkflowFn,
  type ApproveToolCallResponse,
  type CarriedTranscript,
  type ContinueAsNewOptions,
  type ContinuedRun,
  type ModelCallOptions,
  type PendingToolApproval,
  type RunBudget,
  type RunPersistenceOptions,
  type RunStatusInfo,
  type RunTotals,
} from './core/run-contract';
export type { Duration, RetryPolicy } from './core/durations';

// Large payloads by reference (Temporal External Storage); workers take the same option
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PAYLOAD_THRESHOLD,
  MemoryPayloadDriver,
  PostgresPayloadDriver,
  toExternalStorage,
  type MemoryPayloadDriverOptions,
  type PayloadStorageOptions,
  type PostgresPayloadDriverOptions,
} from './payloads';

// Streaming
export { StreamedText, type AssistantDeltaPayload, type AssistantRetryPayload } from './llm/deltas';

// Settings
export {
  configure,
  getConfig,
  resetConfig,
  RuntimeConfig,
  type RuntimeConfigInput,
} from './config';
export {
  createRedactor,
  redactorFromConfig,
  urlSecrets,
  REDACTED,
  type Redactor,
  type RedactorOptions,
} from './redaction';

// Encrypted history (the same options for createAgentWorker and AgentRunner)
export {
  AesGcmPayloadCodec,
  ENCRYPTED_FAILURE_CONVERTER_PATH,
  codecServerHandler,
  encryptedDataConverter,
  type CodecServerOptions,
  type EncryptionKey,
  type EncryptionOptions,
} from './encryption';

// Tracing: trace sinks fed by workers (createAgentWorker({ traceSinks }), configure({ traceSinks }))
export {
  ConsoleTraceSink,
  TraceDispatcher,
  type ConsoleTraceSinkOptions,
  type ErrorTraceEvent,
  type ModelCallTraceEvent,
  type RunEndTraceEvent,
  type RunStartTraceEvent,
  type StepTraceEvent,
  type ToolCallTraceEvent,
  type TraceDispatcherOptions,
  type TraceDispatcherStats,
  type TraceEvent,
  type TraceSink,
} from './tracing/trace-sink';

// Shared vocabulary: events, errors, messages, results
export { EventType, isTerminalEventType, isTransientEventType } from './core/events';
export { AgentRuntimeError, type ErrorCode } from './core/errors';
export {
  Message,
  MessageToolCall,
  ToolCall,
  type ErrorInfo,
  type JsonObject,
  type JsonValue,
  type RunEvent,
  type RunResult,
  type RunStatus,
  type Usage,
} from './core/types';

// LLM clients (built on the worker; usable on their own too)
export {
  OpenAIClient,
  AnthropicClient,
  LiteLLMClient,
  createLLMClient,
  generateObject,
  estimateCost,
  type OpenAIClientOptions,
  type AnthropicClientOptions,
  type LiteLLMClientOptions,
  type LLMClientOverrides,
  type ModelPrice,
  type PriceTable,
} from './llm';
export type {
  GenerateOptions,
  LLMClient,
  LLMResponse,
  LLMStreamChunk,
  ResponseFormat,
  ToolSpec,
} from './core/llm-types';
