// Runs in each integration test file before its tests: quiet Temporal's logger, native (Core)
// warnings included (a worker riding out a stopped dev server warns on every retried call).
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, console: {} } },
});
