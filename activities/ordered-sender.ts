// Node side: sends what an activity reports while it runs (step progress, stream deltas) in
// order, one send at a time, optionally throttled, without ever failing the activity.

/** Options of `OrderedSender`. */
export interface OrderedSenderOptions<T> {
  /**
   * Least time between two sends: a value pushed sooner waits, and a later push replaces it, so
   * the latest is always sent. 0 sends every value. @default 0
   */
  intervalMs?: number;
  /** Sends one value. Sends run one at a time, in the order of their values. */
  send: (value: T) => Promise<void>;
  /** Called with the error of a failed send; the next sends go on regardless. */
  onError: (err: unknown) => void;
  /**
   * Whether a value due to be sent is worth it (e.g. it changed). A value refused here does not
   * count against the interval. @default every value
   */
  accept?: (value: T) => boolean;
}

/** A queue of sends, in order, one at a time, at most one per `intervalMs`. */
export class OrderedSender<T> {
  private last = 0;
  private pending: { value: T } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: OrderedSenderOptions<T>) {}

  /** Sends `value` now if the interval since the last send has passed, else when it has. */
  push(value: T): void {
    this.pending = { value };
    if (this.timer) return;
    const interval = this.options.intervalMs ?? 0;
    const wait = interval - (Date.now() - this.last);
    if (interval <= 0 || wait <= 0) this.fire();
    else this.timer = setTimeout(() => this.fire(), wait);
  }

  /** Sends the value still waiting for its interval at once; resolves when every send is done. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.fire();
    }
    await this.chain;
  }

  /** Drops the value still waiting for its interval; sends already started go on. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    const due = this.pending;
    this.pending = undefined;
    if (!due || (this.options.accept && !this.options.accept(due.value))) return;
    this.last = Date.now();
    this.chain = this.chain.then(() => this.options.send(due.value)).catch(this.options.onError);
  }
}
