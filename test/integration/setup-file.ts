// Runs in each integration test file before its tests: quiet Temporal's logger.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
