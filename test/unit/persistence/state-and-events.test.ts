// StateStore and EventBus conformance of the in-memory backends.
import { InMemoryEventBus } from '../../../src/events';
import { InMemoryStateStore } from '../../../src/state';
import { describeEventBus, describeStateStore } from '../../../src/testing';

describeStateStore('memory', async () => new InMemoryStateStore());
describeEventBus('memory', async () => new InMemoryEventBus());
