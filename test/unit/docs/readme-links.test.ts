// README.md is also rendered on the npm registry's page, where a relative link would resolve
// against npmjs.com (or, depending on the renderer, not at all). So its links to the docs are
// absolute URLs into the repository package.json names, and each names a file and heading that exist.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  repository?: { type?: string; url?: string };
  homepage?: string;
};

/** Markdown link targets of `text`, fenced code blocks left out. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const repoUrl = (pkg.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
const blobBase = `${repoUrl}/blob/HEAD/`;

test('package.json names the GitHub repository (npm links the page to it)', () => {
  expect(pkg.repository?.type).toBe('git');
  expect(repoUrl).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
  expect(pkg.homepage?.startsWith(repoUrl)).toBe(true);
});

test('README.md has no relative links (they break on the npm page)', () => {
  const relative = linkTargets(readme).filter((t) => !/^(https?:|mailto:|#)/.test(t));
  expect(relative).toEqual([]);
});

test("README.md's links into the repository name files and headings that exist", () => {
  const targets = linkTargets(readme).filter((t) => t.startsWith(repoUrl));
  expect(targets.length).toBeGreaterThan(5);
  for (const t of targets) {
    expect(t.startsWith(blobBase)).toBe(true);
    const [file, hash] = t.slice(blobBase.length).split('#') as [string, string | undefined];
    expect({ link: t, exists: existsSync(path.join(root, file)) }).toEqual({
      link: t,
      exists: true,
    });
    if (hash !== undefined) {
      const headings = [...readFileSync(path.join(root, file), 'utf8').matchAll(/^#+ (.+)$/gm)].map(
        (m) => anchor(m[1] as string),
      );
      expect({ link: t, anchors: headings.includes(hash) }).toEqual({ link: t, anchors: true });
    }
  }
});
