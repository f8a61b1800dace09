// Node side: a worker process for this repository's example agents (`npm run worker:examples`):
// the example workflows module, with the example tool handlers and step functions.
import { runWorkerProcess } from '../worker/main';
import { exampleSteps } from './steps';
import { exampleTools } from './tool-handlers';

runWorkerProcess({
  workflowsPath: require.resolve('./workflows'),
  tools: exampleTools,
  steps: exampleSteps,
  label: 'examples/workflows.ts (example tools and steps)',
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
