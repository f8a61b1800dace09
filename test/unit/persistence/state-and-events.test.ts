import { InMemoryEventBus } from '../../../src/events';
import { InMemoryStateStore } from '../../../src/state';
import { describeEventBus, describeStateStore } from '../../conformance/state-and-events';

describeStateStore('memory', async () => new InMemoryStateStore());
describeEventBus('memory', async () => new InMemoryEventBus());
