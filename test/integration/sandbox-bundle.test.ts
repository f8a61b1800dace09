// Every project file the workflow bundle contains is covered by the sandbox lint rule (no I/O
// modules, no Node built-ins): the rule's globs are proved against what webpack really bundles,
// for the test workflows module (bundled once by the global setup) and the examples' module.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';

const root = path.resolve(__dirname, '../..');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Project files (not node_modules) named by the bundle's module markers. */
function bundledProjectFiles(code: string): string[] {
  const files = new Set<string>();
  for (const m of code.matchAll(/\/\*\*\*\/ "\.\/([^"]+)"/g)) {
    if (!m[1]!.includes('node_modules')) files.add(m[1]!);
  }
  return [...files].sort();
}

/**
 * Which of these files the sandbox lint rule (`no-restricted-imports`) applies to, as ESLint itself
 * computes it from eslint.config.mjs. In a child process: Jest's VM cannot load an ES module config.
 */
function sandboxRuleCovers(files: string[]): Record<string, boolean> {
  const script = `
    const { ESLint } = require('eslint');
    const eslint = new ESLint({ cwd: process.cwd() });
    (async () => {
      const out = {};
      for (const f of process.argv.slice(1)) {
        const rule = (await eslint.calculateConfigForFile(f)).rules?.['no-restricted-imports'];
        out[f] = Array.isArray(rule) && rule[0] !== 0 && rule[0] !== 'off';
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  const stdout = execFileSync(process.execPath, ['-e', script, ...files], { cwd: root });
  return JSON.parse(stdout.toString()) as Record<string, boolean>;
}

describe('the workflow bundle stays inside the sandbox-safe folders', () => {
  function check(code: string): string[] {
    const files = bundledProjectFiles(code).filter((f) => !/^(test|examples)\//.test(f));
    expect(files).toEqual(expect.arrayContaining(['workflows/agent-run.ts', 'src/core/errors.ts']));
    const covered = sandboxRuleCovers(files);
    return files.filter((f) => covered[f] !== true);
  }

  it('test workflows bundle', () => {
    const code = readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8');
    expect(check(code)).toEqual([]);
  });

  it('examples workflows bundle', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../examples/workflows'),
      logger: quiet,
    });
    expect(check(code)).toEqual([]);
  });

  it('a file outside the globs is reported (negative control)', () => {
    expect(sandboxRuleCovers(['src/llm/openai.ts', 'src/tools/tool.ts'])).toEqual({
      'src/llm/openai.ts': false,
      'src/tools/tool.ts': true,
    });
  });
});
