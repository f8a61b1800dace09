// Benchmark: does appending to a conversation stay cheap as it grows, and how long does reading a
// 10,000-message branch path take? Run: `npm run bench:persistence` (PGlite, no server) or with
// DATABASE_URL set (Postgres). Baselines are measured in the same run; ratios are printed.
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import {
  PostgresConversationStore,
  createPostgresPool,
  migrate,
  openPglite,
} from '../src/persistence';

const BIG = 10_000;
const SMALL = 10;
const APPENDS = 200;
const READS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function fill(
  store: PostgresConversationStore,
  id: string,
  n: number,
  label: string,
): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
      role: (i + j) % 2 ? ('assistant' as const) : ('user' as const),
      content: `${label} message ${i + j} `.padEnd(200, '.'),
    }));
    await store.addMessages(id, batch);
  }
}

async function run(pool: Pool, backend: string): Promise<void> {
  await migrate(pool);
  const store = new PostgresConversationStore({ pool, projectId: `bench-${Date.now()}` });
  const small = await store.save({ title: 'small' });
  const big = await store.save({ title: 'big' });
  await fill(store, small.id, SMALL, 'small');
  // The big conversation's active path is a branch: 5,000 main messages, then 5,000 on a branch
  // that replaces the 5,000th, so reading it walks two segments.
  await fill(store, big.id, BIG / 2, 'main');
  const main = await store.getMessages(big.id);
  const last = main[main.length - 1]!;
  await store.createBranch(big.id, last.id, { role: 'assistant', content: 'regenerated' });
  await fill(store, big.id, BIG / 2 - 1, 'branch');
  const smallTwin = await store.save({ title: 'small path' });
  await fill(store, smallTwin.id, SMALL, 'small');

  // Warm up, then interleave so drift (caches, autovacuum) hits both sides alike.
  for (let i = 0; i < 20; i++) {
    await store.addMessages(small.id, [{ role: 'user', content: 'warm' }]);
    await store.addMessages(big.id, [{ role: 'user', content: 'warm' }]);
  }
  const tSmall: number[] = [];
  const tBig: number[] = [];
  for (let i = 0; i < APPENDS; i++) {
    tSmall.push(
      await time(() => store.addMessages(small.id, [{ role: 'user', content: `append ${i}` }])),
    );
    tBig.push(
      await time(() => store.addMessages(big.id, [{ role: 'user', content: `append ${i}` }])),
    );
  }
  const readBig: number[] = [];
  const readSmall: number[] = [];
  let pathLength = 0;
  for (let i = 0; i < READS; i++) {
    readSmall.push(await time(() => store.getMessages(smallTwin.id)));
    readBig.push(
      await time(async () => {
        pathLength = (await store.getMessages(big.id)).length;
      }),
    );
  }
  const appendRatio = median(tBig) / median(tSmall);
  console.log(`backend: ${backend}`);
  console.log(
    `append, baseline (conversation of ${SMALL}):   median ${median(tSmall).toFixed(3)} ms over ${APPENDS} appends`,
  );
  console.log(
    `append, conversation of ${BIG}+:            median ${median(tBig).toFixed(3)} ms over ${APPENDS} appends`,
  );
  console.log(
    `append ratio (big / small): ${appendRatio.toFixed(2)} (target <= 1.5: ${appendRatio <= 1.5 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `read path, baseline (${SMALL} messages):       median ${median(readSmall).toFixed(2)} ms over ${READS} reads`,
  );
  console.log(
    `read path, ${pathLength} messages (branch):   median ${median(readBig).toFixed(2)} ms over ${READS} reads`,
  );
  console.log(`read ratio (big / small): ${(median(readBig) / median(readSmall)).toFixed(1)}`);
  await store.delete(small.id);
  await store.delete(big.id);
  await store.delete(smallTwin.id);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (url) {
    // A schema of its own, dropped afterwards, so the benchmark leaves the database as it found it.
    const schema = `bench_${Date.now()}`;
    const admin = createPostgresPool({ connectionString: url, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pool = createPostgresPool({ connectionString: url, options: `-c search_path=${schema}` });
    try {
      await run(pool, `postgres (${new URL(url).host}, schema ${schema})`);
    } finally {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  } else {
    const handle = await openPglite('memory://');
    try {
      await run(handle.pool, 'pglite (memory://)');
    } finally {
      await handle.close();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
