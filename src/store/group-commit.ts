// Group commit for the plan loop. A durable commit (synchronous=FULL) waits for the disk — about as
// long as spawning a short process — and node:sqlite can only wait synchronously, which would stall
// the event loop that spawns agents and reads their output. So the loop's writes go to a worker
// thread holding its own connection to the same database: operations staged in one event-loop turn
// travel together, and whatever is staged while a commit waits for the disk, or in a short window
// after it (batchWindowMs), goes in the next one. At thousands of short items a commit per
// transition would be a disk wait and two thread wake-ups each, competing with the agents for the
// CPU; batched, it is a few per second. Every transition is still committed durably and in order;
// the loop only waits for a commit where an outside effect depends on it, and at the end.
//
// A failed commit (a full disk: SQLITE_FULL) rolls back that batch and nothing after it is
// accepted: what was committed before stays, the error says what happened, and the caller stops.

import { Worker } from "node:worker_threads";
import type { SqlOp } from "./plan-store.ts";

export interface GroupCommitOptions {
  /**
   * `PRAGMA max_page_count` for the writer's connection: a size limit, after which commits fail as
   * on a full disk. For quotas, and for tests of what a full disk does.
   */
  maxPageCount?: number;
  /**
   * How long after a commit the next one may start, so that what is staged meanwhile shares it
   * (default 10 ms): fewer, larger commits, each as durable. The event loop does not wait for
   * commits; `flush()` starts the next one at once.
   */
  batchWindowMs?: number;
}

/** A commit failed; nothing staged from that batch on was recorded. */
export class CommitFailed extends Error {
  readonly code: string | undefined;
  readonly diskFull: boolean;
  constructor(file: string, message: string, code: string | undefined, errcode: number | undefined) {
    // 13 is SQLITE_FULL: the disk, or the database's size limit.
    const diskFull = errcode === 13;
    super(diskFull
      ? `the disk is full (or ${file} reached its size limit): the last state changes could not be recorded (${message}); everything recorded before them is intact`
      : `recording to ${file} failed: ${message}; everything recorded before is intact`);
    this.name = "CommitFailed";
    this.code = code;
    this.diskFull = diskFull;
  }
}

type FromWorker =
  | { type: "ready" }
  | { type: "committed"; seq: number }
  | { type: "failed"; seq: number; message: string; code?: string; errcode?: number };

// Plain JavaScript, evaluated by the worker: it must not depend on how Viable itself is loaded
// (TypeScript sources in development, compiled dist/ when installed).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
let db;
try {
  db = new DatabaseSync(workerData.file);
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  if (workerData.maxPageCount) db.exec("PRAGMA max_page_count = " + Number(workerData.maxPageCount));
  parentPort.postMessage({ type: "ready" });
} catch (e) {
  parentPort.postMessage({ type: "failed", seq: 0, message: String(e && e.message || e), code: e && e.code, errcode: e && e.errcode });
}
const statements = new Map();
parentPort.on("message", (m) => {
  if (m.type === "close") {
    try { db && db.close(); } catch {}
    parentPort.close();
    return;
  }
  try {
    db.exec("BEGIN IMMEDIATE");
    for (const op of m.ops) {
      let s = statements.get(op.sql);
      if (s === undefined) { s = db.prepare(op.sql); statements.set(op.sql, s); }
      s.run(...op.params);
    }
    db.exec("COMMIT");
    parentPort.postMessage({ type: "committed", seq: m.seq });
  } catch (e) {
    try { if (db.isTransaction) db.exec("ROLLBACK"); } catch {}
    parentPort.postMessage({ type: "failed", seq: m.seq, message: String(e && e.message || e), code: e && e.code, errcode: e && e.errcode });
  }
});
`;

const DEFAULT_BATCH_WINDOW_MS = 10;

export class GroupCommitter {
  readonly file: string;
  readonly #worker: Worker;
  #pending: SqlOp[] = [];
  /** Sequence number of the last batch sent, and of the last one committed. */
  #sent = 0;
  #committed = 0;
  #inFlight = false;
  #scheduled = false;
  /** When the last commit was acknowledged, and the timer that starts the next one. */
  #lastCommitAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  readonly #windowMs: number;
  #failure: CommitFailed | undefined;
  #closed = false;
  readonly #waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Called once, when a commit fails: the caller stops what depends on being recorded. */
  onFailure: ((e: CommitFailed) => void) | undefined;
  /** Batches committed and operations written, for benchmarks and tests. */
  readonly stats = { commits: 0, ops: 0 };

  private constructor(file: string, worker: Worker, windowMs: number) {
    this.file = file;
    this.#worker = worker;
    this.#windowMs = windowMs;
  }

  /** Starts the writer and opens its connection; the database must exist and be migrated. */
  static async open(file: string, options: GroupCommitOptions = {}): Promise<GroupCommitter> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, maxPageCount: options.maxPageCount ?? 0 } });
    const committer = new GroupCommitter(file, worker, options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        worker.off("error", onError);
        if (m.type === "ready") resolve();
        else if (m.type === "failed") reject(new CommitFailed(file, m.message, m.code, m.errcode));
      };
      const onError = (e: Error) => reject(e);
      worker.once("message", onMessage);
      worker.once("error", onError);
    });
    worker.on("message", (m: FromWorker) => committer.#onMessage(m));
    worker.on("error", (e: Error) => committer.#fail(new CommitFailed(file, e.message, undefined, undefined)));
    worker.on("exit", (code) => {
      if (!committer.#closed) committer.#fail(new CommitFailed(file, `the writer thread stopped (exit code ${code})`, undefined, undefined));
    });
    return committer;
  }

  /** Set once a commit failed; nothing more is accepted. */
  get failure(): CommitFailed | undefined {
    return this.#failure;
  }

  /** Operations committed in order, in one transaction with whatever else is staged this turn. */
  stage(ops: readonly SqlOp[]): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error("the group committer is closed");
    for (const op of ops) this.#pending.push(op);
    if (!this.#inFlight) this.#schedule();
  }

  /**
   * Starts the next commit once the window since the last one has passed, and never in the turn
   * that staged: the rest of this turn's transitions join the batch.
   */
  #schedule(): void {
    if (this.#scheduled || this.#pending.length === 0) return;
    this.#scheduled = true;
    const wait = this.#lastCommitAt + this.#windowMs - performance.now();
    const go = () => {
      this.#scheduled = false;
      this.#timer = undefined;
      this.#send();
    };
    if (wait >= 1) this.#timer = setTimeout(go, wait);
    else setImmediate(go);
  }

  /** Resolves once everything staged so far is committed; rejects if a commit failed. */
  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const target = this.#sent + (this.#pending.length > 0 ? 1 : 0);
    if (target <= this.#committed) return Promise.resolve();
    // Someone is waiting: no reason to wait out the window.
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#scheduled = false;
      this.#send();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ seq: target, resolve, reject }));
  }

  /** Flushes, then stops the writer. Safe to call more than once, and after a failure. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#failure) await this.flush();
    } finally {
      this.#closed = true;
      const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
      this.#worker.postMessage({ type: "close" });
      await exited;
    }
  }

  #send(): void {
    if (this.#inFlight || this.#pending.length === 0 || this.#failure) return;
    const ops = this.#pending;
    this.#pending = [];
    this.#inFlight = true;
    this.#sent++;
    this.stats.ops += ops.length;
    this.#worker.postMessage({ type: "batch", seq: this.#sent, ops });
  }

  #onMessage(m: FromWorker): void {
    if (m.type === "committed") {
      this.#inFlight = false;
      this.#committed = m.seq;
      this.#lastCommitAt = performance.now();
      this.stats.commits++;
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (w.seq <= this.#committed) {
          this.#waiters.splice(i, 1);
          w.resolve();
        }
      }
      // Whatever was staged while the disk was busy goes next, as one commit, with what the window adds.
      if (this.#waiters.length > 0) this.#send();
      else this.#schedule();
    } else if (m.type === "failed") {
      this.#inFlight = false;
      this.#fail(new CommitFailed(this.file, m.message, m.code, m.errcode));
    }
  }

  #fail(e: CommitFailed): void {
    if (this.#failure) return;
    this.#failure = e;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
    for (const w of this.#waiters.splice(0)) w.reject(e);
    this.onFailure?.(e);
  }
}
