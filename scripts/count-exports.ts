// Counts the public exports of each package entry (package.json `exports`), from the sources:
// `npx tsx scripts/count-exports.ts` (LIST=1 lists the names). Used for the API-size figures in
// closing notes and by test/unit/public-api.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Exported names per entry (`.`, `./workflows`, …), read from the TypeScript sources. */
export function exportsPerEntry(root: string): Map<string, string[]> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string }>;
  };
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(pkg.exports)) {
    if (typeof value === 'string') continue;
    const source = value.types.replace('./dist/', '').replace(/\.d\.ts$/, '.ts');
    entries.set(key, path.join(root, source));
  }
  const program = ts.createProgram([...entries.values()], {
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [key, file] of entries) {
    const sf = program.getSourceFile(file);
    const symbol = sf && checker.getSymbolAtLocation(sf);
    if (!symbol) throw new Error(`entry ${key}: cannot read ${file}`);
    out.set(
      key,
      checker
        .getExportsOfModule(symbol)
        .map((s) => s.name)
        .sort(),
    );
  }
  return out;
}

if (require.main === module) {
  const perEntry = exportsPerEntry(path.resolve(__dirname, '..'));
  const seen = new Map<string, number>();
  let total = 0;
  for (const [key, names] of perEntry) {
    total += names.length;
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    console.log(`${key.padEnd(16)} ${names.length}`);
    if (process.env.LIST) console.log(`    ${names.join(' ')}`);
  }
  const twice = [...seen.values()].filter((n) => n > 1).length;
  console.log(`total ${total}, distinct ${seen.size}, exported by more than one entry ${twice}`);
}
