// Sandbox-safe: the example tools, defined once. The agents (workflow bundle) import them for
// their specs; the worker imports them for their handlers. `calculator` is pure, so its handler
// lives here; `search_docs` reads files, so only its spec is here and its handler is worker code
// (examples/tool-handlers.ts), which keeps `node:fs` out of the workflow bundle.
import { z } from 'zod';
import { AgentRuntimeError, defineTool, defineToolSpec } from '../workflows';

/** Arithmetic on two numbers (pure: its handler runs on the worker but needs no I/O). */
export const calculator = defineTool({
  name: 'calculator',
  description: 'Computes `a op b` for two numbers; op is one of + - * / ^.',
  parameters: z.object({
    a: z.number().describe('left operand'),
    op: z.enum(['+', '-', '*', '/', '^']).describe('operator'),
    b: z.number().describe('right operand'),
  }),
  execute: ({ a, op, b }) => {
    if (op === '/' && b === 0) {
      throw new AgentRuntimeError('TOOL_ERROR', 'calculator: division by zero');
    }
    const value =
      op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a ** b;
    return { expression: `${a} ${op} ${b}`, value };
  },
});

/** Full-text search over this project's documentation (README.md and docs/*.md) on the worker. */
export const searchDocs = defineToolSpec({
  name: 'search_docs',
  description:
    'Searches the agent-runtime-core documentation (README and guides) and returns the best matching passages with their file names.',
  parameters: z.object({
    query: z.string().min(1).max(200).describe('words to look for'),
    limit: z.number().int().min(1).max(5).default(3).describe('most passages to return'),
  }),
  startToCloseTimeout: '10s',
});
