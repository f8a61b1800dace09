// The example agents, tools and step functions (examples/) without Temporal: the streamed
// tool-calling loop of ResearchAssistant with the worker's real tool handlers, the calculator,
// the documentation search on this repository's files, and the three digest steps.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GenerateOptions, LLMStreamChunk } from '../../src/core/llm-types';
import type { Message } from '../../src/core/types';
import type { StepContext } from '../../src/runtime/step-executor';
import { createTestContext, runAgentTest } from '../../src/testing/mock-context';
import { MockLLMClient } from '../../src/testing/mock-llm';
import { ToolRegistry } from '../../src/tools/registry';
import type { AnyTool } from '../../workflows';
import { DocsDigestAgent, ResearchAssistant } from '../../examples/agents';
import { exampleSteps, type DocsDigest } from '../../examples/steps';
import {
  DOCS_ROOT,
  excerpt,
  exampleTools,
  searchDocumentation,
} from '../../examples/tool-handlers';

/** Counts which method the agent used for each model call. */
class CountingLLM extends MockLLMClient {
  streamed = 0;
  override stream(
    messages: readonly Message[],
    options?: GenerateOptions,
  ): AsyncIterable<LLMStreamChunk> {
    this.streamed += 1;
    return super.stream(messages, options);
  }
}

/** ResearchAssistant with the worker's handlers in place of its specs (no worker here). */
class LocalResearchAssistant extends ResearchAssistant {
  override get tools(): readonly AnyTool[] {
    return exampleTools;
  }
}

test('ResearchAssistant streams each model call and runs search_docs on the real documentation', async () => {
  const llm = new CountingLLM({
    responses: [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'search_docs', arguments: '{"query":"approveToolCall"}' },
          },
        ],
      },
      { role: 'assistant', content: 'Approve with handle.approveToolCall (docs/tools.md).' },
    ],
  });
  const ctx = createTestContext({
    inputMessages: [{ role: 'user', content: 'How do I approve?' }],
    llm,
  });
  const result = await runAgentTest(new LocalResearchAssistant(), ctx);

  expect(result.error).toBeUndefined();
  expect(result.finalOutput).toEqual({
    response: 'Approve with handle.approveToolCall (docs/tools.md).',
  });
  expect(llm.streamed).toBe(2);
  expect(ctx.eventTypes()).toEqual([
    'run.started',
    'assistant.message',
    'tool.call',
    'tool.result',
    'assistant.message',
    'run.succeeded',
  ]);
  // The assistant message built from the stream carries the tool call, and the tool's real
  // output (passages of docs/tools.md) went back to the model.
  const messages = result.finalMessages ?? [];
  expect(messages[2]).toMatchObject({
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'c1', function: { name: 'search_docs' } }],
  });
  const toolMessage = messages[3];
  expect(toolMessage?.role).toBe('tool');
  expect(typeof toolMessage?.content).toBe('string');
  const output = JSON.parse(toolMessage?.content as string) as {
    matches: number;
    passages: { file: string; text: string }[];
  };
  expect(output.matches).toBeGreaterThan(0);
  expect(output.passages.map((p) => p.file)).toContain('docs/tools.md');
  for (const p of output.passages) expect(p.text.toLowerCase()).toContain('approvetoolcall');
});

test('ResearchAssistant declares its tools by spec only and streams', () => {
  const agent = new ResearchAssistant();
  expect(agent.streaming).toBe(true);
  expect(agent.tools.map((t) => t.name)).toEqual(['search_docs', 'calculator']);
  // search_docs is spec-only on the workflow side (its handler reads files on the worker).
  expect((agent.tools[0] as { handler?: unknown }).handler).toBeUndefined();
  expect(typeof (agent.tools[1] as { handler?: unknown }).handler).toBe('function');
});

test('calculator computes, and division by zero is a TOOL_ERROR', async () => {
  const tools = ToolRegistry.from(exampleTools);
  await expect(tools.execute('calculator', { a: 6, op: '*', b: 7 })).resolves.toEqual({
    expression: '6 * 7',
    value: 42,
  });
  await expect(tools.execute('calculator', { a: 2, op: '^', b: 10 })).resolves.toMatchObject({
    value: 1024,
  });
  await expect(tools.execute('calculator', { a: 1, op: '/', b: 0 })).rejects.toMatchObject({
    code: 'TOOL_ERROR',
  });
  await expect(tools.execute('calculator', { a: 1, op: '%', b: 2 })).rejects.toMatchObject({
    code: 'TOOL_INVALID_ARGUMENTS',
  });
});

test('searchDocumentation ranks passages matching more query words first and cuts them', async () => {
  const passages = await searchDocumentation('StepExecutor checkpointKey', 3);
  expect(passages.length).toBeGreaterThan(0);
  expect(passages[0]?.file).toBe('docs/steps.md');
  expect(passages[0]?.text.toLowerCase()).toContain('checkpointkey');
  for (const p of passages) expect(p.text.length).toBeLessThanOrEqual(400);
  expect(await searchDocumentation('a b', 3)).toEqual([]);
  expect(await searchDocumentation('zzqxnotaword', 3)).toEqual([]);
  expect(excerpt('First sentence here. Second one is longer than that.', 30)).toBe(
    'First sentence here.',
  );
  expect(excerpt('Nosentenceendhere at all in this text', 10)).toBe('Nosentenc…');
});

function stepCtx(
  stepName: string,
  results: Record<string, unknown>,
  progress: string[],
): StepContext {
  return {
    runId: 'unit',
    stepName,
    stepIndex: 0,
    totalSteps: 3,
    attempt: 1,
    maxAttempts: 1,
    results: results as StepContext['results'],
    signal: new AbortController().signal,
    progress: (percent, message) => progress.push(`${percent} ${message ?? ''}`),
    heartbeat: () => undefined,
    isCancelled: () => false,
  };
}

test('the digest steps list, measure and add up the documentation files', async () => {
  const progress: string[] = [];
  const fetch = await exampleSteps.listDocs(stepCtx('fetch', {}, progress), {});
  expect(fetch.files[0]).toBe('README.md');
  expect(fetch.files).toContain('docs/steps.md');
  const processed = await exampleSteps.analyseDocs(stepCtx('process', { fetch }, progress), {});
  expect(processed.figures).toHaveLength(fetch.files.length);
  expect(progress.at(-1)).toBe(`100 read ${fetch.files.at(-1)}`);
  const readme = await readFile(join(DOCS_ROOT, 'README.md'), 'utf8');
  expect(processed.figures[0]?.words).toBe(readme.split(/\s+/).filter(Boolean).length);
  const digest: DocsDigest = await exampleSteps.summariseDocs(
    stepCtx('summarise', { fetch, process: processed }, progress),
    {},
  );
  expect(digest.files).toBe(fetch.files.length);
  expect(digest.totalWords).toBe(processed.figures.reduce((n, f) => n + f.words, 0));
  expect(digest.largest.words).toBe(Math.max(...processed.figures.map((f) => f.words)));
});

test('DocsDigestAgent has its key', () => {
  expect(new DocsDigestAgent().key).toBe('docs-digest');
});
