// Sandbox-safe: the workflow's side of model calls by reference. It mirrors what the workers'
// transcript store holds for this execution (the messages of each transcript and the prefix
// hashes the workers reported) and plans each call: which transcript, which stored prefix, which
// messages are new, whether the call options must travel. The workers check every reference
// (`TRANSCRIPT_MISSING` when they cannot follow it), so a stale mirror costs a resend, never a
// wrong conversation.
import type {
  InvokeModelOptions,
  StoredToolResultRef,
  ToolArgumentsRef,
  TranscriptRef,
  TranscriptTip,
} from '../core/activity-contract';
import { AgentRuntimeError } from '../core/errors';
import type { CarriedTranscript } from '../core/run-contract';
import { jsonEqual, messageText, messageToolCalls } from '../core/transcript';
import { EventType } from '../core/events';
import type { EventFieldRef, StoredFieldRef } from '../core/persistence-contract';
import { toolResultContent } from '../tools/registry';
import type { JsonObject, JsonValue, Message, RunEvent } from '../core/types';

/** One transcript as this workflow believes the workers store it. */
interface Chain {
  readonly id: string;
  /** Its messages (copies), position by position. */
  messages: Message[];
  /** Lengths whose chained hash a worker reported, with that hash (0 → ''). */
  readonly points: Map<number, string>;
  /** The call options stored with it, under `key`. */
  options?: { key: string; value: InvokeModelOptions };
  /** Whether the worker's store keeps it across restarts (its last call said so). */
  durable?: boolean;
  /** Whether clients can read the worker's store too (its last call said so). */
  shared?: boolean;
}

/**
 * The transcript id and 1-based position a placeholder message stands for (see
 * `isTranscriptPlaceholder`), or `undefined` for any other message.
 */
export function placeholderPosition(
  m: Message | undefined,
): { id: string; index: number } | undefined {
  if (!isTranscriptPlaceholder(m)) return undefined;
  const text = (m as Message).content as string;
  const hash = text.lastIndexOf('#');
  const index = Number(text.slice(hash + 1, -1));
  if (hash < PLACEHOLDER_PREFIX.length || !Number.isInteger(index)) return undefined;
  return { id: text.slice(PLACEHOLDER_PREFIX.length, hash), index };
}

/** Text of the messages that stand for a carried transcript's stored prefix (see `seed`). */
const PLACEHOLDER_PREFIX = '[agent-runtime: message kept in the transcript store: ';

/**
 * Whether `m` stands for a message of a carried transcript that the workers hold (a continued
 * execution does not have its text).
 */
export function isTranscriptPlaceholder(m: Message | undefined): boolean {
  return (
    m !== undefined &&
    m.role === 'user' &&
    typeof m.content === 'string' &&
    m.content.startsWith(PLACEHOLDER_PREFIX)
  );
}

/** How one model call is sent: the `invokeModel` input's transcript fields. */
export interface TranscriptCallPlan {
  /** @internal The transcript the plan writes to. */
  readonly chain: Chain;
  /** The stored prefix the call refers to. */
  transcript: TranscriptRef;
  /** The call's messages after that prefix. */
  newMessages: Message[];
  /** Key of the call options among the transcript's constants. */
  optionsKey: string;
  /** Present when the options must travel with the call. */
  options?: InvokeModelOptions;
}

/**
 * A copy of a JSON-like value that shares its strings (immutable) and drops `undefined`
 * properties: cheap to keep, and safe from the agent mutating its messages afterwards.
 */
function snapshot<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(snapshot) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = snapshot(v);
  return out as T;
}

/** How many leading messages of `a` and `b` are equal as JSON. */
function commonPrefix(a: readonly Message[], b: readonly Message[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && jsonEqual(a[i], b[i])) i++;
  return i;
}

/**
 * The transcripts of one workflow execution. Most agents extend one conversation call after
 * call, and each call then sends only the messages after the previous call's reply (which the
 * worker stored itself). An agent that keeps several conversations (a planner and a critic) gets
 * one transcript each, up to `maxTranscripts` recently used ones; a call that continues none of
 * them starts a new transcript and sends its messages whole.
 */
export class TranscriptChains {
  /** Least recently used first. */
  private readonly chains: Chain[] = [];
  private transcripts = 0;
  private optionKeys = 0;

  /**
   * @param idPrefix Unique per workflow execution (`<run id>:<execution run id>`), so no two
   * executions, not even a reset or a continued run, write to the same transcript.
   * @param maxTranscripts How many transcripts to follow at once.
   */
  constructor(
    private readonly idPrefix: string,
    private readonly maxTranscripts = 4,
  ) {}

  /** Plans a call sending `messages` with `options`. */
  plan(messages: readonly Message[], options: InvokeModelOptions): TranscriptCallPlan {
    let best: { chain: Chain; length: number } | undefined;
    for (const chain of this.chains) {
      const common = commonPrefix(chain.messages, messages);
      let length = 0;
      for (const known of chain.points.keys())
        if (known <= common && known > length) length = known;
      if (length > 0 && (!best || length > best.length)) best = { chain, length };
    }
    const chain = best?.chain ?? this.newChain();
    this.chains.splice(this.chains.indexOf(chain), 1);
    this.chains.push(chain);
    return this.planOn(chain, best?.length ?? 0, messages, options);
  }

  /** The same call, sent whole on the same transcript (after `TRANSCRIPT_MISSING`). */
  resend(
    plan: TranscriptCallPlan,
    messages: readonly Message[],
    options: InvokeModelOptions,
  ): TranscriptCallPlan {
    return this.planOn(plan.chain, 0, messages, options);
  }

  /**
   * Records a call that succeeded: the worker stored its new messages and the reply after the
   * prefix and reported the hashes (`tip`). Without a tip (the worker could not store them) the
   * transcript is forgotten, and the next call starts a new one.
   */
  succeeded(
    plan: TranscriptCallPlan,
    messages: readonly Message[],
    reply: Message,
    tip: TranscriptTip | undefined,
  ): void {
    const { chain } = plan;
    const at = plan.transcript.length;
    if (!tip || tip.length !== messages.length + 1) {
      this.forget(chain);
      return;
    }
    this.dropAfter(chain, at);
    chain.messages.length = at;
    for (const m of messages.slice(at)) chain.messages.push(snapshot(m));
    chain.messages.push(snapshot(reply));
    chain.points.set(tip.length - 1, tip.previousHash);
    chain.points.set(tip.length, tip.hash);
    chain.durable = tip.durable === true;
    chain.shared = tip.shared === true;
    if (plan.options) chain.options = { key: plan.optionsKey, value: snapshot(plan.options) };
  }

  /**
   * How `messages` travel to the next execution of the run (continue-as-new): by reference to
   * the longest prefix a durable transcript store holds (with `anyStore`: any store), plus the
   * messages after it; or whole.
   */
  carry(messages: readonly Message[], anyStore = false): CarriedTranscript {
    const best = this.longestStored(messages, (chain) => anyStore || chain.durable === true);
    if (!best) {
      if (messages.some(isTranscriptPlaceholder)) {
        throw new AgentRuntimeError(
          'TRANSCRIPT_MISSING',
          'A carried conversation cannot continue: the transcript it refers to is no longer followed',
        );
      }
      return { ref: { id: '', length: 0, hash: '' }, tail: messages.map(snapshot) };
    }
    const { chain, length } = best;
    return {
      ref: { id: chain.id, length, hash: chain.points.get(length) ?? '' },
      ...(chain.shared === true ? { shared: true } : {}),
      ...(chain.options
        ? { optionsKey: chain.options.key, options: snapshot(chain.options.value) as JsonObject }
        : {}),
      tail: messages.slice(length).map(snapshot),
    };
  }

  /**
   * `messages` as the longest prefix a store that clients can read holds plus the messages after
   * it (a run's `finalMessages` by reference), or undefined when no such prefix exists.
   */
  storedPrefix(
    messages: readonly Message[],
    readers: 'clients' | 'workers' = 'clients',
  ): { ref: TranscriptRef; tail: Message[] } | undefined {
    // `workers`: any transcript (a worker that lacks it answers TRANSCRIPT_MISSING).
    const best = this.longestStored(
      messages,
      (chain) => readers === 'workers' || chain.shared === true,
    );
    if (!best) return undefined;
    const { chain, length } = best;
    return {
      ref: { id: chain.id, length, hash: chain.points.get(length) ?? '' },
      tail: messages.slice(length).map(snapshot),
    };
  }

  /**
   * A conversation carried from the previous execution: the stored prefix becomes placeholder
   * messages this mirror knows to be stored (calls that continue it send only what follows);
   * returns them followed by the carried tail.
   */
  seed(carried: CarriedTranscript): Message[] {
    const { ref } = carried;
    if (ref.length <= 0) return carried.tail.map(snapshot);
    const placeholders: Message[] = [];
    for (let i = 1; i <= ref.length; i++) {
      placeholders.push({ role: 'user', content: `${PLACEHOLDER_PREFIX}${ref.id}#${i}]` });
    }
    if (this.chains.length >= this.maxTranscripts) this.chains.shift();
    const chain: Chain = {
      id: ref.id,
      messages: placeholders.map(snapshot),
      points: new Map([
        [0, ''],
        [ref.length, ref.hash],
      ]),
      durable: true,
      ...(carried.shared === true ? { shared: true } : {}),
      ...(carried.optionsKey && carried.options
        ? {
            options: {
              key: carried.optionsKey,
              value: snapshot(carried.options) as unknown as InvokeModelOptions,
            },
          }
        : {}),
    };
    this.chains.push(chain);
    return [...placeholders, ...carried.tail.map(snapshot)];
  }

  /**
   * Records a call that failed: a worker may have written after the prefix before failing, so
   * only the prefix is still known.
   */
  failed(plan: TranscriptCallPlan): void {
    this.dropAfter(plan.chain, plan.transcript.length);
  }

  private planOn(
    chain: Chain,
    length: number,
    messages: readonly Message[],
    options: InvokeModelOptions,
  ): TranscriptCallPlan {
    const stored = length > 0 && chain.options && jsonEqual(chain.options.value, options);
    const optionsKey = stored && chain.options ? chain.options.key : `o${++this.optionKeys}`;
    return {
      chain,
      transcript: { id: chain.id, length, hash: chain.points.get(length) ?? '' },
      newMessages: messages.slice(length),
      optionsKey,
      ...(stored ? {} : { options }),
    };
  }

  /** The longest known stored prefix of `messages` among the chains `eligible` accepts. */
  private longestStored(
    messages: readonly Message[],
    eligible: (chain: Chain) => boolean,
  ): { chain: Chain; length: number } | undefined {
    let best: { chain: Chain; length: number } | undefined;
    for (const chain of this.chains) {
      if (!eligible(chain)) continue;
      const common = commonPrefix(chain.messages, messages);
      let length = 0;
      for (const known of chain.points.keys())
        if (known <= common && known > length) length = known;
      if (length > 0 && (!best || length > best.length)) best = { chain, length };
    }
    return best;
  }

  private newChain(): Chain {
    if (this.chains.length >= this.maxTranscripts) this.chains.shift();
    const chain: Chain = {
      id: `${this.idPrefix}:${++this.transcripts}`,
      messages: [],
      points: new Map([[0, '']]),
    };
    this.chains.push(chain);
    return chain;
  }

  private dropAfter(chain: Chain, length: number): void {
    for (const known of [...chain.points.keys()]) if (known > length) chain.points.delete(known);
  }

  private forget(chain: Chain): void {
    const i = this.chains.indexOf(chain);
    if (i >= 0) this.chains.splice(i, 1);
  }
}

/**
 * The tool calls of a run's latest model reply and the tool results stored for its next call, so
 * neither enters history twice: `executeTool` reads a call's arguments from the stored reply, and
 * the next `invokeModel` reads each result's content from the store. Every reference is checked by
 * hash on the worker; a mismatch there costs a resend, never a wrong message.
 */
export class ToolCallReferences {
  /** The latest stored reply's calls, by the model's call id. */
  private replies = new Map<string, { ref: ToolArgumentsRef; arguments: string }>();
  /** Results stored since that reply, by the model's call id, with the transcript holding them. */
  private results = new Map<
    string,
    { transcript: string; key: string; hash: string; content: string }
  >();
  /** The latest stored reply and where it is. */
  private reply: { at: ToolArgumentsRef; message: Message } | undefined;

  /** A reply the workers stored at `tip.length - 1` of `transcript`. */
  noteReply(transcript: string, tip: TranscriptTip, reply: Message): void {
    this.replies = new Map();
    this.results = new Map();
    this.reply = {
      at: { transcript, position: tip.length - 1, hash: tip.hash },
      message: snapshot(reply),
    };
    const calls = reply.tool_calls ?? [];
    const seen = new Map<string, number>();
    for (const call of calls) seen.set(call?.id, (seen.get(call?.id) ?? 0) + 1);
    for (const call of calls) {
      if (typeof call?.id !== 'string' || typeof call.function?.arguments !== 'string') continue;
      // An id two calls share cannot name one of them: those go whole.
      if (call.id === '' || (seen.get(call.id) ?? 0) > 1) continue;
      this.replies.set(call.id, {
        ref: { transcript, position: tip.length - 1, hash: tip.hash, toolCallId: call.id },
        arguments: call.function.arguments,
      });
    }
  }

  /**
   * Where the arguments of call `toolCallId` are stored, when the stored reply's arguments parse to
   * exactly `args`; else undefined (send them).
   */
  argumentsRef(
    toolCallId: string | undefined,
    args: Record<string, unknown>,
  ): ToolArgumentsRef | undefined {
    const known = toolCallId === undefined ? undefined : this.replies.get(toolCallId);
    if (!known) return undefined;
    let parsed: unknown;
    try {
      parsed = known.arguments.trim() === '' ? {} : JSON.parse(known.arguments);
    } catch {
      return undefined;
    }
    return jsonEqual(parsed, args) ? known.ref : undefined;
  }

  /** A result `executeTool` stored under `key` (hash `hash`) for the model's call `toolCallId`. */
  noteResult(toolCallId: string, key: string, hash: string, content: string): void {
    const transcript = this.replies.get(toolCallId)?.ref.transcript;
    if (transcript !== undefined) this.results.set(toolCallId, { transcript, key, hash, content });
  }

  /**
   * `messages` (a model call's new messages) with the content of each stored tool result left
   * out, and where the worker finds it; the same messages when none is stored.
   */
  withoutStoredResults(
    messages: readonly Message[],
    transcript: string,
  ): {
    messages: Message[];
    storedResults: StoredToolResultRef[];
  } {
    const storedResults: StoredToolResultRef[] = [];
    const out = messages.map((m, at) => {
      if (m.role !== 'tool' || typeof m.tool_call_id !== 'string') return m;
      const stored = this.results.get(m.tool_call_id);
      // The worker reads it from the call's own transcript.
      if (!stored || stored.transcript !== transcript || m.content !== stored.content) return m;
      storedResults.push({ at, key: stored.key, hash: stored.hash });
      return { ...m, content: '' };
    });
    return { messages: out, storedResults };
  }

  /**
   * The fields of `event` that the workers store (a model reply's text and tool calls, a tool
   * call's arguments, a tool result), left `null` and named by reference for `publishRunEvents`;
   * undefined when there are none. Call as the event is appended (the references are current).
   */
  compactEvent(event: RunEvent): CompactEvent | undefined {
    const refs: EventFieldRef[] = [];
    const payload = { ...event.payload };
    const at = (path: string[], from: StoredFieldRef) => refs.push({ seq: event.seq, path, from });
    const p = event.payload;
    if (event.type === EventType.ASSISTANT_MESSAGE && this.reply) {
      const { at: where, message } = this.reply;
      const reply = { transcript: where.transcript, position: where.position, hash: where.hash };
      if (typeof p.content === 'string' && p.content !== '' && p.content === messageText(message)) {
        payload.content = null;
        at(['content'], { reply, as: 'content' });
      }
      if (Array.isArray(p.toolCalls) && p.toolCalls.length > 0) {
        if (jsonEqual(p.toolCalls, messageToolCalls(message))) {
          payload.toolCalls = null;
          at(['toolCalls'], { reply, as: 'toolCalls' });
        }
      }
    } else if (event.type === EventType.TOOL_CALL) {
      const call = p.toolCall as { id?: unknown; arguments?: unknown } | undefined;
      const known = typeof call?.id === 'string' ? this.replies.get(call.id) : undefined;
      if (known && call && call.arguments === known.arguments) {
        payload.toolCall = { ...call, arguments: null };
        const { transcript, position, hash, toolCallId } = known.ref;
        at(['toolCall', 'arguments'], {
          reply: { transcript, position, hash },
          as: 'arguments',
          toolCallId,
        });
      }
    } else if (event.type === EventType.TOOL_RESULT && p.isError !== true) {
      const id = p.toolCallId;
      const stored = typeof id === 'string' ? this.results.get(id) : undefined;
      const result = p.result as JsonValue;
      if (stored && stored.content === toolResultContent(result)) {
        payload.result = null;
        at(['result'], {
          result: { transcript: stored.transcript, key: stored.key, hash: stored.hash },
          json: typeof result !== 'string',
        });
      }
    }
    return refs.length > 0 ? { payload, refs } : undefined;
  }
}

/** An event as `publishRunEvents` gets it: some fields `null`, named in `refs`. */
export interface CompactEvent {
  payload: Record<string, unknown>;
  refs: EventFieldRef[];
}
