// Every TypeScript block of README.md and docs/*.md compiles against the library as a user's
// project would see it (`agent-runtime-core`, `agent-runtime-core/workflows`, … mapped to the
// package's entry sources), with strict settings. Each block is a module of its own; a block whose
// first line is a comment naming a file (`// agents.ts — …`) is written under that name, so another
// block of the same document can import it (`import { MyAgent } from './agents'`).
//
// The blocks are compiled from memory, as files of a folder inside the repository that does not
// exist on disk: nothing is written, and imports of the package's dependencies (`zod`,
// `@jest/globals`) resolve through the repository's node_modules as in a user's project.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../../..');
/** Where the blocks seem to live: one folder per document. */
const blocksDir = path.join(root, '.doc-blocks');

interface Block {
  doc: string;
  /** Line of the block's first code line in the document (1-based). */
  line: number;
  code: string;
}

/** The ```ts / ```typescript blocks of a markdown file, with the line each starts on. */
function tsBlocks(doc: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** `agent-runtime-core[/entry]` → the entry's source file, from package.json `exports`. */
function packagePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(pkg.exports)) {
    if (typeof value === 'string') continue;
    const source = value.types.replace('./dist/', '').replace(/\.d\.ts$/, '.ts');
    paths[key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`] = [path.join(root, source)];
  }
  return paths;
}

/** The blocks as virtual files: `<blocksDir>/<doc>/<name>.ts`. */
function blockFiles(blocks: Block[]): Map<string, Block> {
  const files = new Map<string, Block>();
  blocks.forEach((b, i) => {
    const docDir = path.join(blocksDir, path.basename(b.doc, '.md'));
    const named = /^\/\/ ([\w.-]+)\.ts\b/.exec(b.code)?.[1];
    let name = path.join(docDir, `${named ?? `block-${i}`}.ts`);
    if (files.has(name)) name = path.join(docDir, `${named}-${i}.ts`);
    files.set(name, b);
  });
  return files;
}

const compilerOptions: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
  typeRoots: [path.join(root, 'node_modules/@types')],
  baseUrl: root,
  paths: packagePaths(),
};

/** Type-checks the blocks; one line per problem: `doc:line: message` and the offending code. */
function check(files: Map<string, Block>): string[] {
  // Each block is its own module (an empty export makes one of a block without imports).
  const text = (file: string): string | undefined => {
    const block = files.get(file);
    return block && `${block.code}\nexport {};\n`;
  };
  const dirs = new Set([blocksDir, ...[...files.keys()].map((f) => path.dirname(f))]);
  const disk = ts.createCompilerHost(compilerOptions);
  const host: ts.CompilerHost = {
    ...disk,
    fileExists: (f) => files.has(f) || disk.fileExists(f),
    readFile: (f) => text(f) ?? disk.readFile(f),
    directoryExists: (d) => dirs.has(d) || (disk.directoryExists?.(d) ?? true),
    getSourceFile: (f, language, ...rest) => {
      const source = text(f);
      return source === undefined
        ? disk.getSourceFile(f, language, ...rest)
        : ts.createSourceFile(f, source, language, true);
    },
  };
  const program = ts.createProgram([...files.keys()], compilerOptions, host);
  const problems: { doc: string; line: number; text: string }[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const block = d.file && files.get(d.file.fileName);
    if (!block) {
      // An error inside the library itself is `npm run typecheck`'s to report.
      if (!d.file) problems.push({ doc: '', line: 0, text: message });
      continue;
    }
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    const code = block.code.split('\n')[line]?.trim() ?? '';
    const at = block.line + line;
    problems.push({
      doc: block.doc,
      line: at,
      text: `${block.doc}:${at}: ${message}\n    ${code}`,
    });
  }
  // In reading order: by document (README first), then line.
  problems.sort((a, b) => docs.indexOf(a.doc) - docs.indexOf(b.doc) || a.line - b.line);
  return problems.map((p) => p.text);
}

const docs = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocks = docs.flatMap((doc) => tsBlocks(doc, readFileSync(path.join(root, doc), 'utf8')));

describe('TypeScript blocks in README.md and docs/*.md', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(15);
  });

  it('every block type-checks against the package entries', () => {
    const problems = check(blockFiles(blocks));
    if (problems.length > 0) {
      throw new Error(
        `${problems.length} problem(s) in ${blocks.length} doc blocks ` +
          `(each block must compile on its own: import what it uses, declare what it assumes):\n\n` +
          problems.join('\n'),
      );
    }
  });
});
