// The Postgres stores through the conformance suites users run (`agent-runtime-core/testing`), on
// both engines they support: the machine's Postgres server (a schema of this file's own) and
// PGlite (embedded Postgres, no server).
import type { Pool } from 'pg';
import {
  PostgresAuditStore,
  PostgresConversationStore,
  PostgresKnowledgeStore,
  PostgresMemoryStore,
  PostgresPreferencesStore,
  PostgresTaskStore,
  PostgresTranscriptStore,
} from '../../../src/persistence';
import {
  describeAuditStore,
  describeConversationStore,
  describeKnowledgeStore,
  describeMemoryStore,
  describePreferencesStore,
  describeTaskStore,
  describeTranscriptStore,
} from '../../../src/testing';
import { createTestPglite, createTestSchema, truncateAll } from './pg-helpers';

/** A migrated database the stores share for one engine's tests. */
interface Engine {
  pool: Pool;
  close(): Promise<void>;
}

const engines: { name: string; open: () => Promise<Engine> }[] = [
  {
    name: 'postgres',
    open: async () => {
      const db = await createTestSchema('it_stores');
      return { pool: db.pool, close: () => db.drop() };
    },
  },
  {
    name: 'pglite',
    open: async () => {
      const db = await createTestPglite();
      return { pool: db.pool, close: () => db.close() };
    },
  },
];

describe.each(engines)('$name', ({ name, open }) => {
  let db: Engine;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => db.close());

  const pool = () => Promise.resolve(db.pool);
  // GLOBAL scope is shared by every test, so each starts from empty tables.
  const fresh = async () => truncateAll(db.pool);

  describeMemoryStore(name, async (o) => (await fresh(), new PostgresMemoryStore({ pool, ...o })));
  describePreferencesStore(
    name,
    async (o) => (await fresh(), new PostgresPreferencesStore({ pool, ...o })),
  );
  describeConversationStore(
    name,
    async (o) => (await fresh(), new PostgresConversationStore({ pool, ...o })),
  );
  describeTaskStore(name, async (o) => (await fresh(), new PostgresTaskStore({ pool, ...o })));
  describeKnowledgeStore(
    name,
    async (o) => (await fresh(), new PostgresKnowledgeStore({ pool, ...o })),
  );
  describeAuditStore(name, async (o) => (await fresh(), new PostgresAuditStore({ pool, ...o })));
  describeTranscriptStore(name, async () => new PostgresTranscriptStore({ pool }));
});
