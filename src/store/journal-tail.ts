// Following a journal that other processes write. A `viable loop` in one terminal commits; a reader
// (the dashboard's server) publishes what it committed on a bus of its own, in sequence order, as
// soon as it is durable. The reader never writes for this: it wakes when the store says something
// was committed (Store.watchCommits: the SQLite file's write-ahead log changing, a Postgres
// NOTIFY), reads the events after the last one it published, and also looks on a slow timer in case
// a wake-up was missed (a file system without notifications, a connection being remade).
//
// Sequence numbers only grow. `viable reset` empties the log (the numbers go on from where they
// were) and changes the journal's epoch; a database restored from a backup can even go back. The
// tail reports both (onReset) so followers start afresh instead of showing what no longer is.

import type { LogEntry } from "../domain/events.ts";
import { EventBus } from "./event-bus.ts";
import type { Queries } from "./queries.ts";

export interface TailOptions {
  /** Calls `poke` whenever something may have been committed; returns the stop (Store.watchCommits). */
  wake?: (poke: () => void) => () => void;
  /** The slow timer's period. */
  pollMs: number;
  /** How many events one read takes at most; a longer backlog is read in pages. */
  pageSize?: number;
}

export class JournalTail {
  readonly bus = new EventBus();
  readonly #queries: Queries;
  readonly #options: TailOptions;
  readonly #resetListeners = new Set<(lastSeq: number) => void>();
  #last = 0;
  #epoch = "";
  #unwake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #again = false;
  #closed = false;
  /** The last read's failure (a damaged file), until a read succeeds again: reading goes on. */
  error: unknown;

  constructor(queries: Queries, options: TailOptions) {
    this.#queries = queries;
    this.#options = options;
  }

  /** Starts after what is already committed: followers get history through `history`. */
  async start(): Promise<void> {
    this.#last = await this.#queries.lastSeq();
    this.#epoch = await this.#queries.journalEpoch();
    this.#unwake = this.#options.wake?.(() => this.poke());
    this.#timer = setInterval(() => this.poke(), this.#options.pollMs);
    this.#timer.unref();
  }

  /** The last sequence number published. */
  get lastSeq(): number {
    return this.#last;
  }

  /** The journal's epoch as last read (see JOURNAL_EPOCH_KEY). */
  get epoch(): string {
    return this.#epoch;
  }

  /** History for EventBus.follow: committed events after `after`, in order. */
  history = (after: number): AsyncIterable<LogEntry> => this.#queries.eachEvent({ after });

  onReset(listener: (lastSeq: number) => void): () => void {
    this.#resetListeners.add(listener);
    return () => this.#resetListeners.delete(listener);
  }

  /** Reads what was committed since the last read; reads coalesce. */
  poke(): void {
    if (this.#closed) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    void this.#read().finally(() => {
      this.#reading = false;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.poke();
      }
    });
  }

  async #read(): Promise<void> {
    const pageSize = this.#options.pageSize ?? 1000;
    try {
      const epoch = await this.#queries.journalEpoch();
      if (epoch !== this.#epoch) {
        this.#epoch = epoch;
        this.#reset(await this.#queries.lastSeq());
      }
      for (;;) {
        const events = await this.#queries.events({ after: this.#last, limit: pageSize });
        if (events.length === 0) {
          const newest = await this.#queries.lastSeq();
          if (newest < this.#last) this.#reset(newest);
          this.error = undefined;
          return;
        }
        this.#last = events.at(-1)!.id;
        this.bus.publish(events);
        if (events.length < pageSize) {
          this.error = undefined;
          return;
        }
      }
    } catch (e) {
      this.error = e;
    }
  }

  /** What followers knew is void; they start again after `last`. */
  #reset(last: number): void {
    this.#last = last;
    for (const l of this.#resetListeners) l(last);
  }

  close(): void {
    this.#closed = true;
    this.#unwake?.();
    this.#unwake = undefined;
    if (this.#timer) clearInterval(this.#timer);
  }
}
