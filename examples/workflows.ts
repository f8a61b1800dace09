// Sandbox-safe: the workflows module of the demo worker. A worker's workflowsPath points at a
// module like this one: it registers the agents and re-exports the generic run workflow.
import { registerRuntime } from '../workflows';
import { DemoAssistant, DocsDigestAgent, ResearchAssistant } from './agents';

registerRuntime(new DemoAssistant(), { replace: true });
registerRuntime(new ResearchAssistant(), { replace: true });
registerRuntime(new DocsDigestAgent(), { replace: true });

export { agentRunWorkflow } from '../workflows';
