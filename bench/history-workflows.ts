// Sandbox-safe: the workflows module of the history benchmark's worker.
import { registerRuntime } from '../workflows';
import { HistoryBenchAgent } from './history-agent';

registerRuntime(new HistoryBenchAgent(), { replace: true });

export { agentRunWorkflow } from '../workflows';
