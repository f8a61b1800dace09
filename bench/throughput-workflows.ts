// Sandbox-safe: the workflows module of the throughput and overhead benchmarks' worker (ours).
import { registerRuntime } from '../workflows';
import { CallsAgent, ParkedAgent } from './throughput-agent';

registerRuntime(new CallsAgent(), { replace: true });
registerRuntime(new ParkedAgent(), { replace: true });

export { agentRunWorkflow } from '../workflows';
