// Sandbox-safe: the sample agents of the demo and of `npm run worker`. They run inside the workflow
// sandbox, so they import from `agent-runtime-core/workflows` (here: the source path).
import {
  AgentRuntime,
  Step,
  StepExecutor,
  ToolCallingAgent,
  getLLMClient,
  proxySteps,
  type Message,
  type RunContext,
  type RunResultInit,
  type ToolDeclaration,
} from '../workflows';
import type { exampleSteps } from './steps';
import { calculator, searchDocs } from './tools';

/** Answers a question in two model calls (draft, then a short summary), checkpointing between them. */
export class DemoAssistant extends AgentRuntime {
  get key(): string {
    return 'demo-assistant';
  }

  async run(ctx: RunContext): Promise<RunResultInit> {
    const llm = getLLMClient();
    const messages: Message[] = [
      {
        role: 'system',
        content: 'You are a concise assistant. Answer in at most three sentences.',
      },
      ...ctx.inputMessages,
    ];
    const draft = await llm.generate(messages);
    messages.push(draft.message);
    await ctx.checkpoint({ turn: 1, draft: draft.content });

    messages.push({ role: 'user', content: 'Summarise your answer in one line.' });
    const summary = await llm.generate(messages);
    messages.push(summary.message);
    return {
      finalOutput: { answer: draft.content, summary: summary.content },
      finalMessages: messages,
    };
  }
}

/**
 * A tool-calling research assistant: answers questions about agent-runtime-core by searching its
 * documentation (`search_docs`, run on the worker) and doing arithmetic (`calculator`). Each model
 * call streams its tokens (`assistant.delta` events when the worker and runner share an event
 * bus); each tool call is one durable `executeTool` activity.
 */
export class ResearchAssistant extends ToolCallingAgent {
  get key(): string {
    return 'research-assistant';
  }

  get systemPrompt(): string {
    return (
      'You answer questions about the agent-runtime-core library. Use search_docs to look ' +
      'things up in its documentation and calculator for arithmetic; cite the files you used. ' +
      'Answer in at most five sentences.'
    );
  }

  get tools(): readonly ToolDeclaration[] {
    return [searchDocs, calculator];
  }

  override get streaming(): boolean {
    return true;
  }

  override get maxIterations(): number {
    return 6;
  }
}

const docsSteps = proxySteps<typeof exampleSteps>();

/**
 * A durable three-step job with progress: fetch (list the documentation files), process (read
 * and measure each, reporting progress per file), summarise (totals). Each step attempt is one
 * `runStep` activity on the worker (examples/steps.ts); the executor checkpoints after each.
 */
export class DocsDigestAgent extends AgentRuntime {
  get key(): string {
    return 'docs-digest';
  }

  async run(ctx: RunContext): Promise<RunResultInit> {
    const executor = new StepExecutor(ctx);
    const results = await executor.run([
      Step('fetch', docsSteps.listDocs, { description: 'List the documentation files' }),
      Step('process', docsSteps.analyseDocs, {
        description: 'Read and measure each file',
        retry: { maximumAttempts: 3 },
        startToCloseTimeout: '60s',
      }),
      Step('summarise', docsSteps.summariseDocs, { description: 'Add up the figures' }),
    ]);
    return { finalOutput: { digest: results.summarise } };
  }
}
