// The persistence conformance suites against PGlite (embedded Postgres, no server).
import {
  describeAuditStore,
  describeConversationStore,
  describeKnowledgeStore,
  describeMemoryStore,
  describePreferencesStore,
  describeTaskStore,
} from '../../conformance/persistence-stores';
import {
  PostgresAuditStore,
  PostgresConversationStore,
  PostgresKnowledgeStore,
  PostgresMemoryStore,
  PostgresPreferencesStore,
  PostgresTaskStore,
} from '../../../src/persistence';
import type { PgliteHandle } from '../../../src/persistence';
import { createTestPglite, truncateAll } from './pg-helpers';

let db: PgliteHandle;
beforeAll(async () => {
  db = await createTestPglite();
});
afterAll(async () => db.close());

const pool = () => Promise.resolve(db.pool);
const fresh = async () => truncateAll(db.pool);

describeMemoryStore(
  'pglite',
  async (o) => (await fresh(), new PostgresMemoryStore({ pool, ...o })),
);
describePreferencesStore(
  'pglite',
  async (o) => (await fresh(), new PostgresPreferencesStore({ pool, ...o })),
);
describeConversationStore(
  'pglite',
  async (o) => (await fresh(), new PostgresConversationStore({ pool, ...o })),
);
describeTaskStore('pglite', async (o) => (await fresh(), new PostgresTaskStore({ pool, ...o })));
describeKnowledgeStore(
  'pglite',
  async (o) => (await fresh(), new PostgresKnowledgeStore({ pool, ...o })),
);
describeAuditStore('pglite', async (o) => (await fresh(), new PostgresAuditStore({ pool, ...o })));
