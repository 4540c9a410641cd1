// The journal's events as they are committed, in process. Every event published here is already
// durable and carries its sequence number; subscribers see them in sequence order. `follow` gives a
// reader the history after a sequence number, then the live tail, with no gap and no duplicate —
// what a progress display, an NDJSON stream or a reconnecting client needs.

import type { LogEntry } from "../domain/events.ts";

export type EventListener = (entry: LogEntry) => void;

export class EventBus {
  readonly #listeners = new Set<EventListener>();
  #last = 0;

  /** The sequence number of the last event published. */
  get lastSeq(): number {
    return this.#last;
  }

  /** Live events from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called by the journal after a commit, with that commit's events in order. */
  publish(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.id > this.#last) this.#last = entry.id;
      for (const listener of this.#listeners) {
        try {
          listener(entry);
        } catch {
          // A listener's failure is its own: it must not stop the others or the writer.
        }
      }
    }
  }

  /**
   * Events after `after` from `history` (committed before this call), then live ones, each once and
   * in order. Live events that arrive while the history is read are held and deduplicated. While
   * the history is read, a listener may return a promise to be waited for (a slow socket draining):
   * the history is read no faster than it is taken.
   */
  async follow(after: number, history: (after: number) => AsyncIterable<LogEntry>, listener: (entry: LogEntry) => void | Promise<void>): Promise<() => void> {
    let delivered = after;
    let held: LogEntry[] | null = [];
    const deliver = (e: LogEntry): void | Promise<void> => {
      if (e.id <= delivered) return;
      delivered = e.id;
      return listener(e);
    };
    const unsubscribe = this.subscribe((e) => {
      if (held) held.push(e);
      else void deliver(e);
    });
    try {
      for await (const e of history(after)) {
        const pending = deliver(e);
        if (pending) await pending;
      }
    } catch (e) {
      unsubscribe();
      throw e;
    }
    const caught = held;
    held = null;
    for (const e of caught) void deliver(e);
    return unsubscribe;
  }
}
