// The journal: the one way state changes are recorded. An entry is events plus the projection
// changes they stand for (changes.ts), committed together in one transaction, in the order they
// were handed in. After a commit its events — each with its sequence number — are published on the
// bus (event-bus.ts), never before.
//
// - `commit(entry)` where an outside effect depends on the record being durable (a task row before
//   its agents start, a merge): it resolves once the entry, and everything staged before it, is on
//   disk.
// - `stage(entry)` for everything else: entries staged in one event-loop turn travel together, and
//   whatever is staged while a commit waits for the disk, or within a short window after it, goes
//   in the next one. Every entry is still committed durably and in order; nobody waits for it.
//
// A failed commit (a full disk) rolls back that batch and nothing after it is accepted: what was
// committed before stays, `failure` says what happened, and `onFailure` lets the caller stop.
//
// The interface is what the engine sees; SqliteJournal runs it over an SqlWriter (inline or on a
// thread), and a Postgres journal can implement the same contract.

import type { LogEntry, NewEvent } from "../domain/events.ts";
import { eventOp, opsOf, type Change, type SqlOp, type StampedEvent } from "./changes.ts";
import { EventBus } from "./event-bus.ts";
import { CommitFailed, type SqlWriter } from "./sql-writer.ts";

export { CommitFailed };

export interface JournalEntry {
  event?: NewEvent;
  /** More events, after `event`. */
  events?: readonly NewEvent[];
  changes?: readonly Change[];
}

export interface Journal {
  readonly sessionId: string;
  readonly bus: EventBus;
  /** Set once a commit failed; nothing more is accepted. */
  readonly failure: CommitFailed | undefined;
  /** Called once, when a commit fails: the caller stops what depends on being recorded. */
  onFailure: ((e: CommitFailed) => void) | undefined;
  /** Recorded durably and in order, soon, with whatever else is staged. Throws after a failure. */
  stage(entry: JournalEntry): void;
  /** Durable when it resolves, with everything staged before it; resolves to its events as logged. */
  commit(entry: JournalEntry): Promise<LogEntry[]>;
  /** Resolves once everything staged so far is committed; rejects if a commit failed. */
  flush(): Promise<void>;
  /** Flushes, then stops the writer. Safe to call more than once, and after a failure. */
  close(): Promise<void>;
  /** Batches committed and operations written, for benchmarks and tests. */
  readonly stats: { commits: number; ops: number };
}

export interface JournalOptions {
  sessionId: string;
  now: () => Date;
  /**
   * How long after a commit the next one may start, so that what is staged meanwhile shares it:
   * fewer, larger commits, each as durable. `commit()` and `flush()` do not wait it out.
   */
  batchWindowMs: number;
  bus?: EventBus;
}

interface Batch {
  ops: SqlOp[];
  events: StampedEvent[];
  /** Entries whose caller waits for their logged events: [index of first event, count, resolve]. */
  waiters: { from: number; count: number; resolve: (e: LogEntry[]) => void; reject: (e: Error) => void }[];
}

export class SqliteJournal implements Journal {
  readonly sessionId: string;
  readonly bus: EventBus;
  readonly stats = { commits: 0, ops: 0 };
  onFailure: ((e: CommitFailed) => void) | undefined;
  readonly #writer: SqlWriter;
  readonly #now: () => Date;
  readonly #windowMs: number;
  #pending: Batch = emptyBatch();
  /** Sequence number of the last batch sent, and of the last one committed. */
  #sent = 0;
  #committed = 0;
  #inFlight = false;
  #scheduled = false;
  #lastCommitAt = -Infinity;
  /** Cancels the scheduled start of the next commit (a timer or an immediate). */
  #cancelScheduled: (() => void) | undefined;
  #failure: CommitFailed | undefined;
  #closed = false;
  readonly #flushWaiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(writer: SqlWriter, options: JournalOptions) {
    this.#writer = writer;
    this.sessionId = options.sessionId;
    this.#now = options.now;
    this.#windowMs = options.batchWindowMs;
    this.bus = options.bus ?? new EventBus();
  }

  get failure(): CommitFailed | undefined {
    return this.#failure;
  }

  stage(entry: JournalEntry): void {
    this.#add(entry);
    if (!this.#inFlight) this.#schedule();
  }

  commit(entry: JournalEntry): Promise<LogEntry[]> {
    const logged = new Promise<LogEntry[]>((resolve, reject) => this.#add(entry, { resolve, reject }));
    this.#sendNow();
    return logged;
  }

  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const target = this.#sent + (this.#pending.ops.length > 0 ? 1 : 0);
    if (target <= this.#committed) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.push({ seq: target, resolve, reject }));
    this.#sendNow();
    return done;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      // What is staged while the last batch commits (a listener's reaction) goes too.
      while (!this.#failure && (this.#pending.ops.length > 0 || this.#inFlight)) await this.flush();
    } catch (e) {
      // A failed commit was already reported (failure, onFailure); closing still releases the writer.
      if (e !== this.#failure) throw e;
    } finally {
      this.#closed = true;
      this.#unschedule();
      await this.#writer.close();
    }
  }

  #add(entry: JournalEntry, waiter?: { resolve: (e: LogEntry[]) => void; reject: (e: Error) => void }): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error("the journal is closed");
    const batch = this.#pending;
    for (const change of entry.changes ?? []) for (const op of opsOf(change)) batch.ops.push(op);
    const timestamp = this.#now().toISOString();
    const from = batch.events.length;
    for (const e of entry.event ? [entry.event, ...(entry.events ?? [])] : (entry.events ?? [])) {
      const stamped: StampedEvent = {
        timestamp, event_type: e.event_type, task_id: e.task_id ?? null, agent: e.agent ?? null, data: e.data ?? {}, session_id: this.sessionId,
      };
      batch.events.push(stamped);
      batch.ops.push(eventOp(stamped));
    }
    if (waiter) batch.waiters.push({ from, count: batch.events.length - from, ...waiter });
    // An entry with nothing to write still orders after what came before it.
    if (batch.ops.length === 0 && waiter) batch.ops.push({ sql: "SELECT 1", params: [] });
  }

  /** Someone waits: no reason to wait out the window. */
  #sendNow(): void {
    this.#unschedule();
    if (!this.#inFlight) this.#send();
  }

  #unschedule(): void {
    this.#cancelScheduled?.();
    this.#cancelScheduled = undefined;
    this.#scheduled = false;
  }

  /**
   * Starts the next commit once the window since the last one has passed, and never in the turn
   * that staged: the rest of this turn's transitions join the batch.
   */
  #schedule(): void {
    if (this.#scheduled || this.#pending.ops.length === 0) return;
    this.#scheduled = true;
    const wait = this.#lastCommitAt + this.#windowMs - performance.now();
    const go = () => {
      this.#scheduled = false;
      this.#cancelScheduled = undefined;
      this.#send();
    };
    if (wait >= 1) {
      const timer = setTimeout(go, wait);
      this.#cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(go);
      this.#cancelScheduled = () => clearImmediate(immediate);
    }
  }

  #send(): void {
    if (this.#inFlight || this.#pending.ops.length === 0 || this.#failure) return;
    const batch = this.#pending;
    this.#pending = emptyBatch();
    this.#inFlight = true;
    const seq = ++this.#sent;
    this.stats.ops += batch.ops.length;
    this.#writer.apply(batch.ops).then(
      (ids) => this.#committedBatch(seq, batch, ids),
      (e: unknown) => {
        this.#inFlight = false;
        const failure = e instanceof CommitFailed ? e : new CommitFailed(this.#writer.file, e instanceof Error ? e.message : String(e), undefined, undefined);
        for (const w of batch.waiters) w.reject(failure);
        this.#fail(failure);
      },
    );
  }

  #committedBatch(seq: number, batch: Batch, ids: number[]): void {
    this.#inFlight = false;
    this.#committed = seq;
    this.#lastCommitAt = performance.now();
    this.stats.commits++;
    const logged: LogEntry[] = batch.events.map((e, i) => ({ id: ids[i] ?? 0, ...e, event_type: e.event_type }));
    this.bus.publish(logged);
    for (const w of batch.waiters) w.resolve(logged.slice(w.from, w.from + w.count));
    for (let i = this.#flushWaiters.length - 1; i >= 0; i--) {
      const w = this.#flushWaiters[i]!;
      if (w.seq <= this.#committed) {
        this.#flushWaiters.splice(i, 1);
        w.resolve();
      }
    }
    // Whatever was staged while the disk was busy goes next, as one commit, with what the window adds.
    if (this.#flushWaiters.length > 0 || this.#pending.waiters.length > 0) this.#send();
    else this.#schedule();
  }

  #fail(e: CommitFailed): void {
    if (this.#failure) return;
    this.#failure = e;
    this.#unschedule();
    for (const w of this.#pending.waiters) w.reject(e);
    this.#pending = emptyBatch();
    for (const w of this.#flushWaiters.splice(0)) w.reject(e);
    this.onFailure?.(e);
  }
}

function emptyBatch(): Batch {
  return { ops: [], events: [], waiters: [] };
}
