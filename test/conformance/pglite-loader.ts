// Test support: loading PGlite under Jest.
import * as nodeModule from 'node:module';
import type { PgliteModules } from '../../src/persistence';

/**
 * Loads PGlite with Node's own `require`, outside Jest's module sandbox: PGlite's internal
 * dynamic `import()`s fail inside the sandbox unless Node runs with `--experimental-vm-modules`.
 */
export async function loadPgliteOutsideJest(): Promise<PgliteModules> {
  // Jest's `node:module` is Node's own, and its `_load` bypasses Jest's registry.
  const nodeLoad = (
    nodeModule as unknown as { _load: (path: string, parent: null, isMain: boolean) => unknown }
  )._load;
  const main = nodeLoad(require.resolve('@electric-sql/pglite'), null, false) as Pick<
    PgliteModules,
    'PGlite'
  >;
  const adapter = nodeLoad(
    require.resolve('@electric-sql/pglite/node-postgres'),
    null,
    false,
  ) as Pick<PgliteModules, 'createPgConfig'>;
  return { PGlite: main.PGlite, createPgConfig: adapter.createPgConfig };
}
