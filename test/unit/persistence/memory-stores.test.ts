// The in-memory stores through the conformance suites users run (`agent-runtime-core/testing`).
import {
  InMemoryAuditStore,
  InMemoryConversationStore,
  InMemoryKnowledgeStore,
  InMemoryMemoryStore,
  InMemoryPreferencesStore,
  InMemoryTaskStore,
} from '../../../src/persistence';
import {
  describeAuditStore,
  describeConversationStore,
  describeKnowledgeStore,
  describeMemoryStore,
  describePreferencesStore,
  describeTaskStore,
} from '../../../src/testing';

// Preferences default to GLOBAL, so each test needs its own store: a shared one would leak keys.
describeMemoryStore('memory', async (o) => new InMemoryMemoryStore(o));
describePreferencesStore('memory', async (o) => new InMemoryPreferencesStore(o));
describeConversationStore('memory', async (o) => new InMemoryConversationStore(o));
describeTaskStore('memory', async (o) => new InMemoryTaskStore(o));
describeKnowledgeStore('memory', async (o) => new InMemoryKnowledgeStore(o));
describeAuditStore('memory', async (o) => new InMemoryAuditStore(o));
