// Sandbox-safe: the baseline of bench/throughput.ts and bench/overhead.ts, a hand-written Temporal
// workflow that calls the same `invokeModel` activity as our runs, with nothing of this library in
// its bundle (only types are imported). It is what a user writing Temporal by hand would write.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { InvokeModelFullInput, InvokeModelResult } from '../src/core/activity-contract';
import type { Message } from '../src/core/types';

const { invokeModel } = proxyActivities<{
  invokeModel(input: InvokeModelFullInput): Promise<InvokeModelResult>;
}>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Approves the parked run (bench/throughput.ts, parked mode). */
export const approveSignal = defineSignal('approve');

/** Input of `rawAgentWorkflow`. */
export interface RawInput {
  runId: string;
  messages: Message[];
  /** Model calls to make. */
  calls: number;
  /** After the first call, wait for the `approve` signal. */
  park?: boolean;
}

/** Makes `calls` model calls, each with the whole conversation, and returns the conversation. */
export async function rawAgentWorkflow(input: RawInput): Promise<{ finalMessages: Message[] }> {
  const messages = [...input.messages];
  let approved = false;
  setHandler(approveSignal, () => {
    approved = true;
  });
  for (let turn = 1; turn <= input.calls; turn++) {
    const r = await invokeModel({ runId: input.runId, turn, messages: [...messages], options: {} });
    messages.push(r.message);
    if (input.park && turn === 1) await condition(() => approved);
    if (turn < input.calls) messages.push({ role: 'user', content: `again ${turn + 1}` });
  }
  return { finalMessages: messages };
}
