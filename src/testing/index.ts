// Node side: the entry of `agent-runtime-core/testing`: unit tests of agents without Temporal
// (scripted model, test context), integration tests against a real dev server and a local model
// server, and the conformance suites that prove a custom store, state store or event bus.
export {
  MockLLMClient,
  type MockLLMCall,
  type MockLLMClientOptions,
  type MockResponder,
  type MockResponse,
} from './mock-llm';
export {
  MockRunContext,
  createTestContext,
  runAgentTest,
  type RunAgentTestOptions,
  type TestContextOptions,
} from './mock-context';
export {
  resolveTemporalCli,
  startTemporalDevServer,
  type DevServer,
  type DevServerOptions,
  type ResolveTemporalCliOptions,
} from './temporal-server';
export {
  startMockLLMServer,
  type MockLLMServer,
  type MockLLMServerOptions,
  type RecordedRequest,
  type ReplyHandler,
  type ScriptedReply,
  type ScriptedTextReply,
  type ScriptedToolCallsReply,
  type ScriptedErrorReply,
  type ScriptedHangReply,
  type ScriptedStreamThenFailReply,
  type ScriptedToolCall,
  type ScriptedUsage,
} from './llm-server';
export { describeMemoryStore } from './conformance/memory-store';
export { describePreferencesStore } from './conformance/preferences-store';
export { describeConversationStore } from './conformance/conversation-store';
export { describeTaskStore } from './conformance/task-store';
export { describeKnowledgeStore } from './conformance/knowledge-store';
export { describeAuditStore } from './conformance/audit-store';
export type { StoreFactory } from './conformance/helpers';

// Conformance suites of the run state stores, event buses and transcript stores (Jest, or Vitest
// with globals).
export { describeStateStore, type StateStoreFactory } from './conformance/state-store';
export { describeEventBus, type EventBusFactory } from './conformance/event-bus';
export {
  describeTranscriptStore,
  type TranscriptStoreFactory,
} from './conformance/transcript-store';
