// Sandbox-safe: the agents of bench/throughput.ts and bench/overhead.ts (ours), the same work as
// bench/raw-workflows.ts (the baseline).
import { z } from 'zod';
import { AgentRuntime, ToolCallingAgent, defineTool, type RunContext } from '../workflows';
import type { RunResultInit } from '../workflows';

/** Makes `params.calls` model calls (default 3), appending each answer and a new user turn. */
export class CallsAgent extends AgentRuntime {
  get key(): string {
    return 'bench-calls';
  }

  async run(ctx: RunContext): Promise<RunResultInit> {
    const calls = Number(ctx.params.calls ?? 3);
    const messages = [...ctx.inputMessages];
    for (let turn = 1; turn <= calls; turn++) {
      const r = await ctx.llm.generate(messages);
      messages.push(r.message);
      if (turn < calls) messages.push({ role: 'user', content: `again ${turn + 1}` });
    }
    return { finalMessages: messages };
  }
}

/** A tool every call of which waits for a human's approval (the parked runs). */
export const approvedAction = defineTool({
  name: 'approved_action',
  description: 'Does something a human must approve first.',
  parameters: z.object({ what: z.string() }),
  requiresConfirmation: true,
  approvalTimeout: '1h',
  execute: ({ what }) => ({ done: what }),
});

/** Asks the model, which calls `approved_action`: the run parks until the call is approved. */
export class ParkedAgent extends ToolCallingAgent {
  get key(): string {
    return 'bench-parked';
  }
  get systemPrompt(): string {
    return 'You do what you are asked, with approval.';
  }
  get tools() {
    return [approvedAction];
  }
}
