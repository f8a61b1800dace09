// The persistence conformance suites against the machine's Postgres server.
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
import type { TestSchema } from './pg-helpers';
import { createTestSchema } from './pg-helpers';

let db: TestSchema;
beforeAll(async () => {
  db = await createTestSchema('it_stores');
});
afterAll(async () => db.drop());

const pool = () => Promise.resolve(db.pool);
const fresh = async () => db.truncate();

describeMemoryStore(
  'postgres',
  async (o) => (await fresh(), new PostgresMemoryStore({ pool, ...o })),
);
describePreferencesStore(
  'postgres',
  async (o) => (await fresh(), new PostgresPreferencesStore({ pool, ...o })),
);
describeConversationStore(
  'postgres',
  async (o) => (await fresh(), new PostgresConversationStore({ pool, ...o })),
);
describeTaskStore('postgres', async (o) => (await fresh(), new PostgresTaskStore({ pool, ...o })));
describeKnowledgeStore(
  'postgres',
  async (o) => (await fresh(), new PostgresKnowledgeStore({ pool, ...o })),
);
describeAuditStore(
  'postgres',
  async (o) => (await fresh(), new PostgresAuditStore({ pool, ...o })),
);
