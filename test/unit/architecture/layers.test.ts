// Layers point down only: src/ is the library both runtime sides build on, so nothing in it may
// import the workflow code (workflows/), the I/O code (activities/), the worker composition
// (worker/), the examples or the tests. Checked on every import, export-from, require and dynamic
// import specifier of every source file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(name) ? [p] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;

/** The project folders a file's relative imports reach, e.g. `workflows`, `src`. */
function importedTopFolders(file: string): { spec: string; top: string }[] {
  const text = readFileSync(file, 'utf8');
  const out: { spec: string; top: string }[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(path.dirname(file), spec));
    out.push({ spec, top: target.split(path.sep)[0]! });
  }
  return out;
}

describe('layers', () => {
  const forbidden = new Set(['workflows', 'activities', 'worker', 'examples', 'test', 'scripts']);

  it('no file under src/ imports workflows/, activities/, worker/, examples/ or test/', () => {
    const files = sourceFiles(path.join(root, 'src'));
    expect(files.length).toBeGreaterThan(40);
    const offences = files.flatMap((file) =>
      importedTopFolders(file)
        .filter(({ top }) => forbidden.has(top))
        .map(({ spec }) => `${path.relative(root, file)} imports ${spec}`),
    );
    expect(offences).toEqual([]);
  });

  it('workflows/ and activities/ never import each other, nor worker/', () => {
    const offences = ['workflows', 'activities'].flatMap((layer) =>
      sourceFiles(path.join(root, layer)).flatMap((file) =>
        importedTopFolders(file)
          .filter(({ top }) => top !== layer && top !== 'src')
          .map(({ spec }) => `${path.relative(root, file)} imports ${spec}`),
      ),
    );
    expect(offences).toEqual([]);
  });

  it('the check sees a forbidden import when there is one', () => {
    let found: string[] = [];
    // The negative control: the real scanner, on a file under src/ that imports upward.
    const dir = mkdtempSync(path.join(root, 'src', '.layers-probe-'));
    const probe = path.join(dir, 'probe.ts');
    try {
      writeFileSync(
        probe,
        'import { x } from \'../../workflows/agent-run\';\nexport * from "../../activities";\n',
      );
      found = importedTopFolders(probe).map(({ top }) => top);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(found).toEqual(['workflows', 'activities']);
  });
});
