// Node side only: PGlite's one database session behind the `pg.Pool` surface the stores use.
//
// Why not `new Pool(createPgConfig(pglite))`: PGlite has a single session, and its node-postgres
// adapter hands the same connection object to every client the pool creates. `pg.Pool` destroys
// a client after any failed `pool.query` or a release with an error; the destroyed client's
// queued `end` then reaches the next client ("Connection terminated unexpectedly"), its ROLLBACK
// never runs, and the shared session stays in an aborted transaction, so every later call fails
// until the process ends (and `close()` crashed on an unhandled `'error'`). Here one `pg.Client`
// is checked out at a time (a lock, so nothing interleaves); after each checkout the session is
// put back into a clean state on the same session (ROLLBACK of a transaction left open or
// aborted), and a client that failed outside the server (a value the driver could not encode, an
// adapter error) is replaced after its queue drained and the session was resynchronised.
import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import type { ClientConfig, Pool, PoolClient, QueryResultRow } from 'pg';

/** The PGlite instance methods the session needs (all public PGlite API). */
export interface PgliteInstance {
  close(): Promise<void>;
  /** Sends one raw protocol message (used to send `Sync` after a broken extended query). */
  execProtocolStream?(message: Uint8Array, options?: { throwOnError?: boolean }): Promise<unknown>;
  /** Runs SQL on the simple protocol (used for the session reset). */
  exec?(sql: string): Promise<unknown>;
}

/** Protocol `Sync`: ends an extended query, so a backend that skipped to it answers again. */
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

/** A pg DatabaseError comes from the server: the session is fine, only the statement failed. */
function isServerError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'severity' in err && 'code' in err;
}

/** Settles with `p`'s value, or `undefined` when it fails or takes longer than `ms`. */
function withTimeout(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A `pg.Pool` look-alike over PGlite's single session: `query`, `connect`/`release`, `end`, and
 * `'error'` events. Checkouts are serialised; a failed statement never affects another call.
 */
export class PgliteSessionPool extends EventEmitter {
  private client: Client | undefined;
  private connection: EventEmitter | undefined;
  private broken = false;
  private closed = false;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly pglite: PgliteInstance,
    private readonly makeConfig: () => ClientConfig & { connection?: EventEmitter },
  ) {
    super();
  }

  /** Waits for the session, then hands out a client; `release()` resets and frees the session. */
  async connect(): Promise<PoolClient> {
    if (this.closed) throw new Error('Cannot use a pool after calling end on the pool');
    let unlock!: () => void;
    const prev = this.tail;
    this.tail = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    await prev;
    if (this.closed) {
      unlock();
      throw new Error('Cannot use a pool after calling end on the pool');
    }
    let client: Client;
    try {
      client = await this.openClient();
    } catch (err) {
      this.broken = true;
      unlock();
      throw err;
    }
    let released = false;
    const lease = {
      query: async (text: unknown, values?: unknown[]) => {
        if (released) throw new Error('Client was released');
        try {
          return await client.query(text as string, values);
        } catch (err) {
          if (!isServerError(err)) this.broken = true;
          throw err;
        }
      },
      release: (err?: Error | boolean) => {
        if (released) return;
        released = true;
        if (err instanceof Error) this.broken = true;
        void this.reset().finally(unlock);
      },
    };
    return lease as unknown as PoolClient;
  }

  /** One statement on the session, like `Pool.query`. */
  async query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    const c = await this.connect();
    try {
      const res = await c.query<R>(text, values);
      return res;
    } finally {
      c.release();
    }
  }

  /** Waits for the session, then closes the client (the PGlite instance stays open). */
  async end(): Promise<void> {
    if (this.closed) return;
    const prev = this.tail;
    this.closed = true;
    await prev;
    await this.dropClient();
  }

  private async openClient(): Promise<Client> {
    if (this.client && !this.broken) return this.client;
    const recovering = this.client !== undefined;
    if (this.client) {
      await this.dropClient();
      await this.resync();
    }

    this.broken = false;
    const config = this.makeConfig();
    const client = new Client(config);
    const connection = config.connection;
    // The adapter's connection and the client both emit 'error' when PGlite itself throws:
    // mark the client broken and tell the pool's listeners instead of crashing the process.
    const onError = (err: Error) => {
      this.broken = true;
      this.emit('error', err);
    };
    client.on('error', onError);
    connection?.on('error', onError);
    this.client = client;
    this.connection = connection;
    await client.connect();
    if (recovering) await this.probe(client);
    return client;
  }

  /** Ends the current client after its queued messages ran, so none can reach the next one. */
  private async dropClient(): Promise<void> {
    const client = this.client;
    const connection = this.connection;
    this.client = undefined;
    this.connection = undefined;
    if (!client) return;
    await withTimeout(client.end(), 5000);
    // `end()` removed the adapter's listeners; a late adapter error must not go unhandled.
    connection?.on('error', () => {});
    client.on('error', () => {});
  }

  /**
   * After a client failed mid-protocol: answer the backend's wait for `Sync`, then end any
   * transaction. A half-written message (pg's cleanup after a value it could not encode) leaves
   * bytes that make the next statement fail "invalid message format", so the reset repeats until
   * a statement succeeds.
   */
  private async resync(): Promise<void> {
    const db = this.pglite;
    if (db.execProtocolStream)
      await withTimeout(db.execProtocolStream(SYNC, { throwOnError: false }), 5000);
    if (!db.exec) return;
    for (let i = 0; i < 3; i++) {
      const ok = await withTimeout(
        db.exec('ROLLBACK').then(() => true),
        5000,
      );
      if (ok === true) return;
    }
  }

  /**
   * After a failure outside the server: pg encodes parameters into one buffer shared by the whole
   * process, and a value it failed to encode leaves bytes there that corrupt the next statement
   * with parameters ("invalid message format"). A parameterised probe takes that hit (and empties
   * the buffer) instead of the next caller's statement.
   */
  private async probe(client: Client): Promise<void> {
    for (let i = 0; i < 3; i++) {
      try {
        await client.query('SELECT $1::int AS probe', [1]);
        return;
      } catch {
        // the stale message was consumed by this statement; try again
      }
    }
  }

  /** Puts the session back in a clean state for the next checkout. */
  private async reset(): Promise<void> {
    const client = this.client;
    if (!client || this.broken) return;
    // 'I': idle, nothing open; null: no statement ran on this client yet.
    const status = client.getTransactionStatus() as string | null;
    if (status === 'I' || status === null) return;
    try {
      await client.query('ROLLBACK');
    } catch {
      this.broken = true;
    }
  }
}

/** Types the session pool as the `pg.Pool` the stores expect (it has the part they use). */
export function asPool(session: PgliteSessionPool): Pool {
  return session as unknown as Pool;
}
