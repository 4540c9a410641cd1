// Following a journal that other processes write. A `viable loop` in one terminal commits; a reader
// (the dashboard's server) publishes what it committed on a bus of its own, in sequence order, as
// soon as it is on disk. The reader never writes for this: it wakes on the database's write-ahead
// log changing (inotify), reads the events after the last one it published, and also looks on a
// slow timer in case a wake-up was missed (a file system without notifications).
//
// Sequence numbers only grow while the log exists; `viable reset` empties it and they start again,
// which the tail reports (onReset) so followers can start afresh instead of waiting for numbers
// they already passed.

import fs from "node:fs";
import path from "node:path";
import type { LogEntry } from "../domain/events.ts";
import { EventBus } from "./event-bus.ts";
import type { Queries } from "./queries.ts";

export interface TailOptions {
  /** The database file; its directory is watched for changes to `<file>-wal`. */
  databaseFile: string;
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
  #watcher: fs.FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #again = false;
  #closed = false;
  /** The last read's failure (a damaged file): kept for whoever asks, reading goes on. */
  error: unknown;

  constructor(queries: Queries, options: TailOptions) {
    this.#queries = queries;
    this.#options = options;
  }

  /** Starts after what is already committed: followers get history through `history`. */
  async start(): Promise<void> {
    this.#last = await this.#queries.lastSeq();
    const dir = path.dirname(this.#options.databaseFile);
    const wal = `${path.basename(this.#options.databaseFile)}-wal`;
    try {
      this.#watcher = fs.watch(dir, { persistent: false }, (_kind, name) => {
        if (name === wal) this.poke();
      });
      this.#watcher.on("error", () => this.#unwatch());
    } catch {
      // No notifications here: the timer alone.
    }
    this.#timer = setInterval(() => this.poke(), this.#options.pollMs);
    this.#timer.unref();
  }

  /** The last sequence number published. */
  get lastSeq(): number {
    return this.#last;
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
      for (;;) {
        const events = await this.#queries.events({ after: this.#last, limit: pageSize });
        if (events.length === 0) {
          const newest = await this.#queries.lastSeq();
          if (newest < this.#last) {
            this.#last = newest;
            for (const l of this.#resetListeners) l(newest);
          }
          return;
        }
        this.#last = events.at(-1)!.id;
        this.bus.publish(events);
        if (events.length < pageSize) return;
      }
    } catch (e) {
      this.error = e;
    }
  }

  #unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#unwatch();
    if (this.#timer) clearInterval(this.#timer);
  }
}
