// SQLiteStateStore: the StateStore conformance suite on a file, and the file read back by a second
// process after this one closed it (and the other way round), as a restarted worker would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLiteStateStore } from '../../../src/state';
import { describeStateStore } from '../../../src/testing';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStateStore(
  'sqlite (file)',
  async () => new SQLiteStateStore({ dbPath: join(dir, 'a.db') }),
);
describeStateStore('sqlite (:memory:)', async () => new SQLiteStateStore({ dbPath: ':memory:' }));

const child = `
const { SQLiteStateStore } = require(process.argv[1]);
(async () => {
  const store = new SQLiteStateStore({ dbPath: process.argv[2] });
  const before = await store.getCheckpoint('run-restart');
  const status = await store.getRunStatus('run-restart');
  await store.saveCheckpoint('run-restart', { step: before.step + 1, by: 'child' });
  await store.updateRunStatus('run-restart', 'succeeded', { steps: before.step + 1 });
  await store.close();
  process.stdout.write(JSON.stringify({ before, status: status.status, details: status.details }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('a second process reads what the first wrote, and the first reads the second', async () => {
  const dbPath = join(dir, 'nested', 'restart.db');
  const first = new SQLiteStateStore({ dbPath });
  await first.saveCheckpoint('run-restart', { step: 1, text: 'naïve \u0000 "quoted"' });
  await first.updateRunStatus('run-restart', 'running', { at: 'step 1' });
  await first.close();
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '-e', child, join(__dirname, '../../../src/state/sqlite.ts'), dbPath],
    { encoding: 'utf8', cwd: join(__dirname, '../../..') },
  );
  expect(JSON.parse(out)).toEqual({
    before: { step: 1, text: 'naïve \u0000 "quoted"' },
    status: 'running',
    details: { at: 'step 1' },
  });
  const again = new SQLiteStateStore({ dbPath });
  expect(await again.getCheckpoint('run-restart')).toEqual({ step: 2, by: 'child' });
  expect(await again.getRunStatus('run-restart')).toMatchObject({
    status: 'succeeded',
    details: { steps: 2 },
  });
  await again.close();
});

test('a path that is not a database file is a STORAGE_ERROR', async () => {
  const store = new SQLiteStateStore({ dbPath: dir });
  await expect(store.getCheckpoint('r')).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
});
