// Sandbox-safe: the agent and tool of the history benchmark (bench/history.ts), imported by its
// workflows module (the agent) and by its worker (the tool's handler).
import { z } from 'zod';
import { ToolCallingAgent, defineTool } from '../workflows';

/** Size of each tool call's arguments and of each tool result, in characters. */
export const PAYLOAD_CHARS = 2048;

/** The benchmark's tool: takes a 2 KB argument, returns a 2 KB result. */
export const fetchChunk = defineTool({
  name: 'fetch_chunk',
  description: 'Returns the chunk of data after the given one.',
  parameters: z.object({ after: z.string() }),
  execute: ({ after }) => ({ chunk: `${after.length}:`.padEnd(PAYLOAD_CHARS, 'r') }),
});

/** The same tool, declared `local`: each call a local activity (only its result in history). */
export const fetchChunkLocal = defineTool({
  name: 'fetch_chunk_local',
  description: fetchChunk.description,
  parameters: z.object({ after: z.string() }),
  local: true,
  execute: ({ after }) => ({ chunk: `${after.length}:`.padEnd(PAYLOAD_CHARS, 'r') }),
});

/** A tool-calling agent that keeps calling `fetch_chunk` until the model stops asking. */
export class HistoryBenchAgent extends ToolCallingAgent {
  get key(): string {
    return 'history-bench';
  }
  get systemPrompt(): string {
    return 'You fetch chunks of data until you have all of them.';
  }
  get tools() {
    return [fetchChunk];
  }
  override get maxIterations(): number {
    return 1000;
  }
}

/** The same agent with the local tool. */
export class HistoryBenchLocalAgent extends HistoryBenchAgent {
  override get key(): string {
    return 'history-bench-local';
  }
  override get tools() {
    return [fetchChunkLocal];
  }
}
