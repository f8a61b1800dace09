// StateStore, EventBus and TranscriptStore conformance of the in-memory backends.
import { InMemoryEventBus } from '../../../src/events';
import { InMemoryStateStore } from '../../../src/state';
import {
  describeEventBus,
  describeStateStore,
  describeTranscriptStore,
} from '../../../src/testing';
import { InMemoryTranscriptStore } from '../../../src/transcripts';

describeStateStore('memory', async () => new InMemoryStateStore());
describeEventBus('memory', async () => new InMemoryEventBus());
describeTranscriptStore('memory', async () => new InMemoryTranscriptStore());
