// Sandbox-safe: the workflows module of the streaming-latency benchmark's worker.
import { registerRuntime } from '../workflows';
import { StreamingAgent } from '../test/fixtures/llm-agents';

registerRuntime(new StreamingAgent(), { replace: true });

export { agentRunWorkflow } from '../workflows';
