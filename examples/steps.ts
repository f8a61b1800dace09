// Node side (worker): the step functions of the example DocsDigestAgent (examples/agents.ts). They
// may do any I/O: each attempt runs in the worker's `runStep` activity. The agent imports only
// their type (`proxySteps<typeof exampleSteps>()`), so none of this enters the workflow bundle.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineSteps, type StepContext } from '../src/steps';
import { DOCS_ROOT, listDocFiles } from './tool-handlers';

/** The custom state of a digest run (set by the agent; steps only read it). */
export interface DigestState {
  /** Directory holding README.md and docs/; the worker's copy of this repository by default. */
  root?: string;
}

/** Per-file figures of the `process` step. */
export interface DocFigures {
  file: string;
  words: number;
  headings: string[];
  codeBlocks: number;
}

/** What the `summarise` step returns (the agent's final output). */
export interface DocsDigest {
  files: number;
  totalWords: number;
  totalCodeBlocks: number;
  totalHeadings: number;
  largest: { file: string; words: number };
}

export const exampleSteps = defineSteps({
  /** fetch: finds the documentation files and their sizes. */
  async listDocs(ctx: StepContext, state: DigestState) {
    const root = state.root ?? DOCS_ROOT;
    const files = await listDocFiles(root, ctx.signal);
    ctx.progress(100, `${files.length} files found`);
    return { files };
  },

  /** process: reads each file, counting words, headings and code blocks, reporting progress. */
  async analyseDocs(ctx: StepContext, state: DigestState) {
    const root = state.root ?? DOCS_ROOT;
    const { files } = ctx.results.fetch as { files: string[] };
    const figures: DocFigures[] = [];
    for (const [i, file] of files.entries()) {
      const text = await readFile(join(root, file), { encoding: 'utf8', signal: ctx.signal });
      figures.push({
        file,
        words: text.split(/\s+/).filter(Boolean).length,
        headings: [...text.matchAll(/^##\s+(.+)$/gm)].map((m) => (m[1] ?? '').trim()),
        codeBlocks: Math.floor((text.match(/^```/gm) ?? []).length / 2),
      });
      ctx.progress(((i + 1) / files.length) * 100, `read ${file}`);
    }
    return { figures };
  },

  /** summarise: totals and the largest file. */
  async summariseDocs(ctx: StepContext, _state: DigestState): Promise<DocsDigest> {
    const { figures } = ctx.results.process as unknown as { figures: DocFigures[] };
    if (figures.length === 0) {
      const none = { file: '', words: 0 };
      return { files: 0, totalWords: 0, totalCodeBlocks: 0, totalHeadings: 0, largest: none };
    }
    const largest = figures.reduce((a, b) => (b.words > a.words ? b : a));
    return {
      files: figures.length,
      totalWords: figures.reduce((n, f) => n + f.words, 0),
      totalCodeBlocks: figures.reduce((n, f) => n + f.codeBlocks, 0),
      totalHeadings: figures.reduce((n, f) => n + f.headings.length, 0),
      largest: { file: largest.file, words: largest.words },
    };
  },
});
