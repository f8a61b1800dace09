// Sandbox-safe: the workflows module of the history benchmark's worker.
import { registerRuntime } from '../workflows';
import { HistoryBenchAgent, HistoryBenchLocalAgent } from './history-agent';

registerRuntime(new HistoryBenchAgent(), { replace: true });
registerRuntime(new HistoryBenchLocalAgent(), { replace: true });

export { agentRunWorkflow } from '../workflows';
