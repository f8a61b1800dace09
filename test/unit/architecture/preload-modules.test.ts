// The modules a worker preloads into its workflow sandbox (AGENT_PRELOAD_MODULES) are shared by
// every run of a worker thread, and so is everything they import. A module only belongs in that
// list after someone checked that it keeps no per-run state at module level, so the list must be
// closed under value imports: a new import of a preloaded module must be looked at and listed too
// (or the import moved). The SDK's workflow API (`@temporalio/workflow`) and workflow code never
// are: they hold per-run state.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_PRELOAD_MODULES } from '../../../worker';

const root = path.resolve(__dirname, '../../..');

/** Packages a preloaded module may import (stateless, or set up by src/runtime/zod-preload.ts). */
const PACKAGES = /^(zod|@temporalio\/common)(\/|$)/;

/** The specifiers of a file's value imports and re-exports (type-only ones are erased). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /^(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*(['"])([^'"]+)\3/gm,
  )) {
    if (!m[2]) out.push(m[4]!);
  }
  for (const m of text.matchAll(/^import\s*(['"])([^'"]+)\1/gm)) out.push(m[2]!);
  for (const m of text.matchAll(/\brequire\s*\(\s*(['"])([^'"]+)\1/g)) out.push(m[2]!);
  return out;
}

function resolveTs(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const p of [`${base}.ts`, path.join(base, 'index.ts')]) if (existsSync(p)) return p;
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

describe('AGENT_PRELOAD_MODULES', () => {
  const listed = new Set(AGENT_PRELOAD_MODULES.map((m) => m.replace(/\.js$/, '.ts')));

  it('lists source files of this package', () => {
    expect(listed.size).toBeGreaterThan(10);
    for (const file of listed) expect(existsSync(file)).toBe(true);
  });

  it('is closed under value imports and reaches no workflow API or workflow code', () => {
    const offences: string[] = [];
    for (const file of listed) {
      const rel = path.relative(root, file);
      if (rel.startsWith('workflows/') && !/^workflows\/[a-z-]+\.ts$/.test(rel)) {
        offences.push(`${rel} is not a plain workflows/ module`);
      }
      for (const spec of valueImports(file)) {
        if (spec.startsWith('.')) {
          const target = resolveTs(file, spec);
          if (!listed.has(target)) {
            offences.push(`${rel} imports ${path.relative(root, target)}, which is not preloaded`);
          }
        } else if (!PACKAGES.test(spec)) {
          offences.push(`${rel} imports ${spec}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });
});
