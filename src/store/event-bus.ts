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
   * in order. Live events that arrive while the history is read are held and deduplicated.
   */
  async follow(after: number, history: (after: number) => AsyncIterable<LogEntry>, listener: EventListener): Promise<() => void> {
    let delivered = after;
    let held: LogEntry[] | null = [];
    const deliver = (e: LogEntry) => {
      if (e.id <= delivered) return;
      delivered = e.id;
      listener(e);
    };
    const unsubscribe = this.subscribe((e) => (held ? held.push(e) : deliver(e)));
    try {
      for await (const e of history(after)) deliver(e);
    } catch (e) {
      unsubscribe();
      throw e;
    }
    const pending = held;
    held = null;
    for (const e of pending) deliver(e);
    return unsubscribe;
  }
}
