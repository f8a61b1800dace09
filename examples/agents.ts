// Sandbox-safe: the sample agent of the demo and of `npm run worker`. It runs inside the workflow
// sandbox, so it imports from `agent-runtime-core/workflows` (here: the source path).
import {
  AgentRuntime,
  getLLMClient,
  type Message,
  type RunContext,
  type RunResultInit,
} from '../workflows';

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
