// Node side (worker): the handlers of the example tools. `npm run worker` and `npm run demo` give
// `exampleTools` to the worker (`createAgentWorker({ activities: { tools: exampleTools } })`).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyTool } from '../workflows';
import { calculator, searchDocs } from './tools';

/** The documentation `search_docs` searches: README.md and docs/*.md of this repository. */
export const DOCS_ROOT = join(__dirname, '..');

/** One passage `search_docs` returns. */
export interface DocPassage {
  /** Path relative to the repository root, e.g. `docs/tools.md`. */
  file: string;
  /** The heading the passage sits under ('' before the first heading). */
  heading: string;
  /**
   * The passage, at most 400 characters: a longer one starts at the sentence of its first match
   * and is cut at a sentence end where possible.
   */
  text: string;
  /** Relevance: query words found in the passage, plus those found in its heading. */
  score: number;
}

/** The documentation files, relative to `root`: README.md first, then docs/*.md by name. */
export async function listDocFiles(
  root: string = DOCS_ROOT,
  signal?: AbortSignal,
): Promise<string[]> {
  signal?.throwIfAborted();
  const docs = (await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** Splits markdown into paragraphs, each with the heading it sits under. */
function paragraphs(markdown: string): { heading: string; text: string }[] {
  const out: { heading: string; text: string }[] = [];
  let heading = '';
  for (const block of markdown.split(/\n\s*\n/)) {
    const text = block.trim();
    if (!text) continue;
    const h = /^#{1,6}\s+(.*)$/m.exec(text);
    if (h && text.startsWith('#')) {
      heading = (h[1] ?? '').trim();
      continue;
    }
    out.push({ heading, text });
  }
  return out;
}

/** `text` with whitespace collapsed, cut to `max` characters, at a sentence end if there is one. */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const head = flat.slice(0, max);
  const end = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
  return end > max / 3 ? head.slice(0, end + 1) : `${head.slice(0, max - 1)}…`;
}

/** Searches the documentation under `root` for `query`'s words (case-insensitive). */
export async function searchDocumentation(
  query: string,
  limit: number,
  root: string = DOCS_ROOT,
  signal?: AbortSignal,
): Promise<DocPassage[]> {
  const words = [...new Set(query.toLowerCase().match(/[a-z0-9_.-]{3,}/g) ?? [])];
  if (words.length === 0) return [];
  const found: DocPassage[] = [];
  for (const file of await listDocFiles(root, signal)) {
    const text = await readFile(join(root, file), { encoding: 'utf8', signal });
    for (const p of paragraphs(text)) {
      const body = p.text.toLowerCase();
      const heading = p.heading.toLowerCase();
      // Each query word found counts once (twice under a matching heading): passages matching
      // more of the words rank first, then document order (README first).
      let score = 0;
      for (const w of words) {
        if (body.includes(w)) score += 1;
        if (heading.includes(w)) score += 1;
      }
      if (score > 0) {
        // Start at the sentence holding the first match, so the cut keeps what matched.
        const flat = p.text.replace(/\s+/g, ' ').trim();
        const lower = flat.toLowerCase();
        const hits = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0);
        const first = hits.length ? Math.min(...hits) : 0;
        const start = flat.length <= 400 ? 0 : flat.lastIndexOf('. ', first) + 1;
        found.push({ file, heading: p.heading, text: excerpt(flat.slice(start), 400), score });
      }
    }
  }
  // Highest score first; ties keep document order.
  return found
    .map((p, i) => ({ p, i }))
    .sort((x, y) => y.p.score - x.p.score || x.i - y.i)
    .slice(0, limit)
    .map(({ p }) => p);
}

/** The example tools with their handlers, for the worker. */
export const exampleTools: readonly AnyTool[] = [
  calculator,
  searchDocs.implement(async ({ query, limit }, ctx) => {
    const passages = await searchDocumentation(query, limit, DOCS_ROOT, ctx.signal);
    return { query, matches: passages.length, passages: passages.map((p) => ({ ...p })) };
  }),
];
