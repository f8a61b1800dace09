// Node side: the invokeModel activity. One model call, heartbeated, cancellable, classified errors;
// a streamed call publishes its deltas to watchers through the event bus (outside history).
import { performance } from 'node:perf_hooks';
import { CancelledFailure, Context } from '@temporalio/activity';
import { AgentRuntimeError } from '../src/core/errors';
import { EventType } from '../src/core/events';
import type { JsonObject, ToolCall, Usage } from '../src/core/types';
import { addUsage, emptyUsage } from '../src/core/types';
import type { EventBus, TransientEvent } from '../src/events/event-bus';
import { estimateCost, type PriceTable } from '../src/llm/cost';
import { redactSecrets } from '../src/llm/errors';
import { buildResponse } from '../src/llm/openai';
import type { LLMClient, LLMResponse } from '../src/core/llm-types';
import type {
  InvokeModelByReferenceInput,
  InvokeModelInput,
  InvokeModelOptions,
  InvokeModelOutput,
  LoadTranscriptInput,
  LoadTranscriptOutput,
  TranscriptTip,
} from '../src/core/activity-contract';
import type { Message } from '../src/core/types';
import { compactResult } from '../src/core/transcript';
import {
  chainEntries,
  isChain,
  readStoredContent,
  readStoredPrefix,
} from '../src/transcripts/chain';
import { InMemoryTranscriptStore } from '../src/transcripts/memory';
import type { TranscriptEntry, TranscriptStore } from '../src/transcripts/transcript-store';
import { checkPayloadSize } from '../src/payloads';
import { expandTranscriptId } from '../src/core/wire-ids';
import { asActivity, toApplicationFailure } from './failures';
import { startHeartbeats } from './heartbeat';
import { noteSentMessages } from './sent-messages';
import { OrderedSender } from './ordered-sender';
import { payloadLimit, type PayloadLimitDeps } from './payload-limit';
import { logText } from './redact';

/** Chooses the LLM client for a provider name (undefined: the worker's default). */
export type LLMClientResolver = (provider?: string) => LLMClient;

/** Dependencies of `invokeModel`. */
export interface InvokeModelDeps extends PayloadLimitDeps {
  /** The worker's LLM client, or a function choosing one by provider name. */
  llm: LLMClient | LLMClientResolver;
  /**
   * Event bus for token streaming: a streamed call publishes `assistant.delta` (and, on a retry,
   * `assistant.retry`) transient events to it. Without one (or one without `publishTransient`),
   * streamed calls publish nothing.
   */
  eventBus?: EventBus;
  /** Prices per million tokens by model, to report `usage.cost`. @default none (no cost) */
  modelPrices?: PriceTable;
  /**
   * Where this worker keeps the transcripts of runs' model calls, so that a call's history
   * carries only the messages new since the run's previous call (`TranscriptStore`). Give every
   * worker of a task queue the same durable store (Postgres, Redis): with a worker's own memory, a
   * call that lands on another worker, or after a restart, is sent again whole (correct, larger).
   * @default an `InMemoryTranscriptStore` of this worker
   */
  transcriptStore?: TranscriptStore;
}

/** What the activity keeps in its heartbeat details, so the next attempt can read it. */
interface HeartbeatState {
  turn: number;
  /** Usage billed by failed attempts so far. */
  failedUsage?: Usage;
}

/** Longest text of one published delta, in UTF-16 code units. */
const MAX_DELTA_CHARS = 2000;
/**
 * Largest JSON-encoded size of one delta's text, in bytes. Postgres NOTIFY payloads are limited to
 * about 8 kB, and model text may be hostile: a control character costs 6 bytes once escaped.
 */
const MAX_DELTA_JSON_BYTES = 4000;

/**
 * Splits streamed text into pieces small enough for every bus (at most `maxChars` code units and
 * `maxBytes` bytes once JSON-encoded), never between the two halves of a surrogate pair.
 * Concatenating the pieces gives the text back exactly.
 */
export function splitDelta(
  text: string,
  maxChars = MAX_DELTA_CHARS,
  maxBytes = MAX_DELTA_JSON_BYTES,
): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (i < text.length) {
    let n = Math.min(maxChars, text.length - i);
    while (n > 1 && Buffer.byteLength(JSON.stringify(text.slice(i, i + n))) > maxBytes) {
      n = Math.ceil(n / 2);
    }
    const last = text.charCodeAt(i + n - 1);
    if (n > 1 && i + n < text.length && last >= 0xd800 && last <= 0xdbff) n -= 1;
    pieces.push(text.slice(i, i + n));
    i += n;
  }
  return pieces;
}

/** The default model of a provider client, when it exposes one (`OpenAIClient`, `AnthropicClient`). */
function defaultModelOf(client: LLMClient | undefined): string {
  const model = (client as { defaultModel?: unknown } | undefined)?.defaultModel;
  return typeof model === 'string' ? model : '';
}

/** A model call with its conversation and options in hand. */
interface ResolvedCall {
  messages: Message[];
  options: InvokeModelOptions;
}

/** Builds the `invokeModel` activity. */
export function createInvokeModel(
  deps: InvokeModelDeps,
): (input: InvokeModelInput) => Promise<InvokeModelOutput> {
  const resolve: LLMClientResolver =
    typeof deps.llm === 'function' ? deps.llm : () => deps.llm as LLMClient;
  const transcripts = deps.transcriptStore ?? new InMemoryTranscriptStore();
  return async function invokeModel(input: InvokeModelInput): Promise<InvokeModelOutput> {
    const ctx = Context.current();
    const prior = ctx.info.heartbeatDetails as HeartbeatState | undefined;
    const state: HeartbeatState = {
      turn: input.turn,
      ...(prior?.failedUsage ? { failedUsage: prior.failedUsage } : {}),
    };
    const stopHeartbeats = startHeartbeats(ctx, () => state);
    const execution = ctx.info.workflowExecution;
    const runId = input.runId ?? execution?.workflowId ?? '';
    // Short ids of the scheduling execution's transcripts, expanded (`~<n>`).
    const byReference =
      'transcript' in input
        ? {
            ...input,
            transcript: {
              ...input.transcript,
              id: expandTranscriptId(input.transcript.id, execution),
            },
          }
        : undefined;
    const publisher =
      input.stream && deps.eventBus?.publishTransient
        ? new DeltaPublisher(deps.eventBus, runId, input.turn, ctx.info.attempt)
        : undefined;
    const full = 'transcript' in input ? undefined : input;
    let client: LLMClient | undefined;
    let options: InvokeModelOptions | undefined;
    try {
      // Before the model is called: a missing transcript costs nothing but the resend.
      const call: ResolvedCall = full
        ? { messages: full.messages, options: full.options }
        : await readTranscript(transcripts, byReference as InvokeModelByReferenceInput);
      // The new messages as the model gets them (stored tool results filled in): stored after
      // the prefix, and the trace's recorded input.
      const sent = byReference
        ? call.messages.slice(call.messages.length - byReference.newMessages.length)
        : [];
      if (byReference?.storedResults?.length) noteSentMessages(ctx, sent);
      options = call.options;
      client = resolve(input.provider);
      const callOptions = { ...call.options, signal: ctx.cancellationSignal };
      const started = performance.now();
      publisher?.start();
      const response = input.stream
        ? await collectStream(client, call.messages, callOptions, publisher)
        : await client.generate(call.messages, callOptions);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const cost = estimateCost(response.usage, response.model, deps.modelPrices);
      const result = {
        ...response,
        ...(cost !== undefined ? { usage: { ...response.usage, cost } } : {}),
        latencyMs,
        ...(state.failedUsage ? { failedAttemptsUsage: state.failedUsage } : {}),
      };
      // Fail (not retried) before Temporal rejects an oversize result and retries the paid call;
      // the tokens it cost go with the failure (`usage` is what the catch below reports).
      const label = 'The model reply (invokeModel result)';
      const sizeLimit = { usage: response.usage };
      // Runs recorded before transcripts by reference read the whole result.
      if (!byReference) {
        checkPayloadSize(result, label, payloadLimit(deps), sizeLimit);
        return result;
      }
      const compact = compactResult(result);
      checkPayloadSize(compact, label, payloadLimit(deps), sizeLimit);
      const tip = await storeTranscript(
        transcripts,
        byReference,
        call.options,
        response.message,
        sent,
      );
      return { ...compact, ...(tip ? { transcript: tip } : {}) };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        // Report cancellation as such (the SDK's CancelledFailure), not as a provider error.
        await ctx.cancelled;
      }
      if (err instanceof CancelledFailure) throw err;
      const failure = AgentRuntimeError.is(err) ? err : unclassifiedError(err);
      // Tokens this attempt was billed for (a stream that broke after it started) count too:
      // keep them for the next attempt (heartbeat) and for the workflow (failure details).
      const reported = failure.details.usage as Usage | undefined;
      const model = options?.model ?? defaultModelOf(client);
      const failedCost = reported ? estimateCost(reported, model, deps.modelPrices) : undefined;
      const billed =
        reported && failedCost !== undefined ? { ...reported, cost: failedCost } : reported;
      if (billed) {
        state.failedUsage = addUsage(state.failedUsage ?? emptyUsage(), billed);
        ctx.heartbeat(state);
      }
      if (state.failedUsage) failure.details.failedAttemptsUsage = state.failedUsage;
      throw toApplicationFailure(failure);
    } finally {
      stopHeartbeats();
      await publisher?.drain();
    }
  };
}

/**
 * Builds the `loadTranscript` activity over the same store as `invokeModel` (pass the store both
 * use). A prefix it lacks, or whose hashes differ, fails `TRANSCRIPT_MISSING` (not retried); one
 * larger than `maxPayloadBytes`, `PAYLOAD_TOO_LARGE` (not retried).
 */
export function createLoadTranscript(
  store: TranscriptStore,
  maxPayloadBytes = Infinity,
): (input: LoadTranscriptInput) => Promise<LoadTranscriptOutput> {
  return async function loadTranscript(input) {
    return asActivity(async () => {
      const { id, length } = input.transcript;
      const messages = await readStoredPrefix(store, input.transcript);
      if (!messages) {
        throw new AgentRuntimeError(
          'TRANSCRIPT_MISSING',
          `Transcript ${id} (${length} messages) is not available on this worker`,
          { details: { transcriptId: id, length } },
        );
      }
      // Too large to return: fails once (PAYLOAD_TOO_LARGE), not retried until Temporal refuses.
      checkPayloadSize({ messages }, `Transcript ${id} (${length} messages)`, maxPayloadBytes, {
        transcriptId: id,
      });
      return { messages };
    });
  };
}

/** The failure that makes the workflow send the call again with the whole transcript. */
function transcriptMissing(
  input: InvokeModelByReferenceInput,
  reason: string,
  cause?: unknown,
): AgentRuntimeError {
  return new AgentRuntimeError(
    'TRANSCRIPT_MISSING',
    `Transcript ${input.transcript.id} is not available on this worker (${reason}); the run sends it again whole.`,
    {
      ...(cause !== undefined ? { cause } : {}),
      details: { transcriptId: input.transcript.id, length: input.transcript.length, reason },
    },
  );
}

/**
 * The conversation and options of a call by reference: the stored prefix (checked to be exactly
 * the one referred to) followed by the new messages. Throws `TRANSCRIPT_MISSING` when the store
 * lacks or cannot give them.
 */
async function readTranscript(
  store: TranscriptStore,
  input: InvokeModelByReferenceInput,
): Promise<ResolvedCall> {
  const { id, length, hash } = input.transcript;
  let prefix: TranscriptEntry[] | null;
  let options: InvokeModelOptions | JsonObject | null | undefined = input.options;
  try {
    [prefix, options] = await Promise.all([
      length > 0 ? store.read(id, length) : [],
      options ?? store.getConstant(id, input.optionsKey),
    ]);
  } catch (err) {
    Context.current().log.warn('invokeModel: reading the transcript failed', {
      transcriptId: id,
      error: logText(err),
    });
    throw transcriptMissing(input, 'the transcript store failed', err);
  }
  if (!prefix) throw transcriptMissing(input, `its first ${length} messages are not stored`);
  if (!isChain(prefix, hash)) throw transcriptMissing(input, 'the stored messages differ');
  if (!options)
    throw transcriptMissing(input, `its call options ${input.optionsKey} are not stored`);
  return {
    messages: [...prefix.map((e) => e.message), ...(await withStoredResults(store, input))],
    options,
  };
}

/**
 * `input.newMessages` with the tool results sent by reference (`storedResults`) filled in from
 * the transcript's constants. Throws `TRANSCRIPT_MISSING` when one is missing or differs.
 */
async function withStoredResults(
  store: TranscriptStore,
  input: InvokeModelByReferenceInput,
): Promise<Message[]> {
  const refs = input.storedResults ?? [];
  if (refs.length === 0) return input.newMessages;
  const id = input.transcript.id;
  let values: (string | null)[];
  try {
    values = await Promise.all(refs.map((r) => readStoredContent(store, id, r.key, r.hash)));
  } catch (err) {
    Context.current().log.warn('invokeModel: reading stored tool results failed', {
      transcriptId: id,
      error: logText(err),
    });
    throw transcriptMissing(input, 'the transcript store failed', err);
  }
  const messages = [...input.newMessages];
  refs.forEach((r, i) => {
    const content = values[i];
    const target = messages[r.at];
    if (content === null || content === undefined || target?.role !== 'tool') {
      throw transcriptMissing(input, `the tool result ${r.key} is not stored as sent`);
    }
    messages[r.at] = { ...target, content };
  });
  return messages;
}

/**
 * Stores the call's new messages and the reply after the prefix (and the options when they came
 * with the call). Returns where the transcript stands, or undefined when the store failed: the
 * answer is not lost for that, the run's next call is then sent whole.
 */
async function storeTranscript(
  store: TranscriptStore,
  input: InvokeModelByReferenceInput,
  options: InvokeModelOptions,
  reply: Message,
  newMessages: readonly Message[],
): Promise<TranscriptTip | undefined> {
  const { id, length, hash } = input.transcript;
  const entries = chainEntries(hash, [...newMessages, reply]);
  try {
    await Promise.all([
      store.append(id, length, entries),
      input.options ? store.putConstant(id, input.optionsKey, options as JsonObject) : undefined,
    ]);
  } catch (err) {
    Context.current().log.warn('invokeModel: storing the transcript failed', {
      transcriptId: id,
      error: logText(err),
    });
    return undefined;
  }
  const last = entries[entries.length - 1] as (typeof entries)[number];
  return {
    length: length + entries.length,
    hash: last.hash,
    previousHash: last.previousHash,
    ...(store.durable === true ? { durable: true } : {}),
    ...(store.shared === true ? { shared: true } : {}),
  };
}

/**
 * An error the provider adapter did not classify (a `TypeError` from a bad base URL, a proxy's
 * error quoting headers, a bug in a custom client) goes to history as `LLM_ERROR` with its
 * message redacted and without its stack or cause, which could quote a key. It stays retryable,
 * as the raw error was.
 */
function unclassifiedError(err: unknown): AgentRuntimeError {
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentRuntimeError(
    'LLM_ERROR',
    `Model call failed: ${name}: ${redactSecrets(message)}`,
    {
      retryable: true,
      details: { errorName: name },
    },
  );
}

/**
 * Publishes one streamed call's transient events in order (each publish awaits the previous
 * one, so a bus with several connections cannot reorder them) without slowing the stream down.
 * A bus failure loses deltas, never the model call: the answer is in history regardless.
 */
class DeltaPublisher {
  private readonly sender: OrderedSender<TransientEvent>;
  private index = 0;

  constructor(
    bus: EventBus,
    private readonly runId: string,
    private readonly turn: number,
    private readonly attempt: number,
  ) {
    let warned = false;
    this.sender = new OrderedSender<TransientEvent>({
      send: async (event) => {
        await bus.publishTransient?.(event);
      },
      onError: (err) => {
        if (warned) return;
        warned = true;
        Context.current().log.warn('invokeModel: publishing stream deltas failed', {
          runId,
          error: logText(err),
        });
      },
    });
  }

  start(): void {
    if (this.attempt > 1) {
      this.send(EventType.ASSISTANT_RETRY, { turn: this.turn, attempt: this.attempt });
    }
  }

  delta(text: string): void {
    for (const piece of splitDelta(text)) {
      this.send(EventType.ASSISTANT_DELTA, {
        turn: this.turn,
        attempt: this.attempt,
        index: this.index++,
        delta: piece,
      });
    }
  }

  private send(type: string, payload: Record<string, unknown>): void {
    this.sender.push({ runId: this.runId, type, payload, timestamp: new Date().toISOString() });
  }

  /** Resolves once every event sent so far is published (or failed). */
  drain(): Promise<void> {
    return this.sender.flush();
  }
}

async function collectStream(
  client: LLMClient,
  messages: readonly Message[],
  options: InvokeModelOptions & { signal: AbortSignal },
  publisher: DeltaPublisher | undefined,
): Promise<LLMResponse> {
  let content = '';
  let toolCalls: ToolCall[] = [];
  let finishReason = 'stop';
  let usage: Usage = emptyUsage();
  for await (const chunk of client.stream(messages, options)) {
    if (chunk.delta) {
      content += chunk.delta;
      publisher?.delta(chunk.delta);
    }
    if (chunk.toolCalls) toolCalls = chunk.toolCalls;
    if (chunk.finishReason) finishReason = chunk.finishReason;
    if (chunk.usage) usage = chunk.usage;
  }
  // Streams do not name the model in our chunks: report the one asked for, else the client's default.
  const model = options.model ?? (client as { defaultModel?: string }).defaultModel ?? '';
  return buildResponse(content, toolCalls, usage, model, finishReason);
}
