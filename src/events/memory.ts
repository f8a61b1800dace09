// Node side only: the in-memory EventBus (tests, one process).
import { EventEmitter } from 'node:events';
import { jsonCopy } from '../core/json';
import type { RunEvent } from '../core/types';
import { SafeKey } from '../persistence/models';
import { parseModel } from '../persistence/validation';
import type {
  EventBus,
  GetEventsOptions,
  SubscribeOptions,
  TransientEvent,
  TransientSubscription,
} from './event-bus';
import {
  TransientQueue,
  checkEvent,
  checkQuery,
  checkTransient,
  follow,
  outOfOrder,
  timedWatch,
} from './shared';

/** In-memory `EventBus` (tests, single process). */
export class InMemoryEventBus implements EventBus {
  private readonly logs = new Map<string, RunEvent[]>();
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly transient = new EventEmitter().setMaxListeners(0);

  async publish(event: RunEvent): Promise<void> {
    const e = checkEvent(event);
    const log = this.logs.get(e.runId) ?? [];
    if (e.seq <= log.length) return;
    if (e.seq !== log.length + 1) throw outOfOrder(e.runId, e.seq, log.length);
    log.push(jsonCopy(e));
    this.logs.set(e.runId, log);
    this.emitter.emit(e.runId);
  }

  async getEvents(runId: string, options: GetEventsOptions = {}): Promise<RunEvent[]> {
    const q = checkQuery(runId, options);
    const log = this.logs.get(q.runId) ?? [];
    return log.slice(q.afterSeq, q.afterSeq + q.limit).map((e) => jsonCopy(e));
  }

  subscribe(runId: string, options: SubscribeOptions = {}): AsyncIterable<RunEvent> {
    return follow(this, runId, options, async (_after, signal) =>
      timedWatch(60_000, signal, (wake) => {
        this.emitter.once(runId, wake);
        return () => this.emitter.off(runId, wake);
      }),
    );
  }

  async publishTransient(event: TransientEvent): Promise<void> {
    const e = checkTransient(event);
    this.transient.emit(e.runId, jsonCopy(e));
  }

  async subscribeTransient(runId: string): Promise<TransientSubscription> {
    const id = parseModel(SafeKey, runId, 'runId');
    const queue = new TransientQueue(() => void this.transient.off(id, listener));
    const listener = (e: TransientEvent) => queue.push(e);
    this.transient.on(id, listener);
    return queue;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    this.transient.removeAllListeners();
  }
}
