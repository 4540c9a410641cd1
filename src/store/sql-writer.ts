// Where the journal's transactions run. Two transports for the same operations:
//
// - inline: on the store's own connection, synchronously. A one-shot command or a VSM cycle writes
//   a few dozen records; waiting for the disk in the event loop costs them nothing.
// - thread: on a worker thread holding its own connection to the same database. A durable commit
//   (synchronous=FULL) waits for the disk about as long as spawning a short process, and
//   node:sqlite can only wait synchronously, which would stall the loop that spawns agents and
//   reads their output. Thousands of short plan items would spend most of their time there.
//
// Either way one batch is one IMMEDIATE transaction, committed or rolled back whole. A failed
// commit (a full disk: SQLITE_FULL) is a CommitFailed; everything committed before it stays.

import type { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { CommitFailed } from "../domain/errors.ts";
import type { SqlOp } from "./changes.ts";

export { CommitFailed };

export interface SqlWriter {
  readonly file: string;
  /**
   * Runs `ops` in one transaction. Resolves with the rowids of the event inserts (`op.event`), in
   * order: the events' sequence numbers. Rejects with CommitFailed. One batch at a time.
   */
  apply(ops: readonly SqlOp[]): Promise<number[]>;
  close(): Promise<void>;
}

export interface WriterOptions {
  /**
   * `PRAGMA max_page_count` for the writer's connection: a size limit, after which commits fail as
   * on a full disk. For quotas, and for tests of what a full disk does.
   */
  maxPageCount?: number;
}

/** Commits on `db`, the store's own connection. */
export function inlineWriter(db: DatabaseSync, file: string, options: WriterOptions = {}): SqlWriter {
  if (options.maxPageCount) db.exec(`PRAGMA max_page_count = ${Number(options.maxPageCount)}`);
  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  return {
    file,
    apply: async (ops) => {
      const ids: number[] = [];
      try {
        db.exec("BEGIN IMMEDIATE");
        for (const op of ops) {
          let s = statements.get(op.sql);
          if (s === undefined) {
            s = db.prepare(op.sql);
            statements.set(op.sql, s);
          }
          const r = s.run(...op.params);
          if (op.event) ids.push(Number(r.lastInsertRowid));
        }
        db.exec("COMMIT");
        return ids;
      } catch (e) {
        try {
          if (db.isTransaction) db.exec("ROLLBACK");
        } catch {
          // The connection is gone: nothing of the batch was committed either way.
        }
        const err = e as { message?: string; code?: string; errcode?: number };
        throw new CommitFailed(file, String(err.message ?? e), err.code, err.errcode);
      }
    },
    close: async () => {},
  };
}

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
  const ids = [];
  try {
    db.exec("BEGIN IMMEDIATE");
    for (const op of m.ops) {
      let s = statements.get(op.sql);
      if (s === undefined) { s = db.prepare(op.sql); statements.set(op.sql, s); }
      const r = s.run(...op.params);
      if (op.event) ids.push(Number(r.lastInsertRowid));
    }
    db.exec("COMMIT");
    parentPort.postMessage({ type: "committed", seq: m.seq, ids });
  } catch (e) {
    try { if (db.isTransaction) db.exec("ROLLBACK"); } catch {}
    parentPort.postMessage({ type: "failed", seq: m.seq, message: String(e && e.message || e), code: e && e.code, errcode: e && e.errcode });
  }
});
`;

type FromWorker =
  | { type: "ready" }
  | { type: "committed"; seq: number; ids: number[] }
  | { type: "failed"; seq: number; message: string; code?: string; errcode?: number };

/**
 * Commits on a worker thread with its own connection; the database must exist and be migrated.
 * The thread starts at once and the first batch waits for it to be ready.
 */
export function threadWriter(file: string, options: WriterOptions = {}): SqlWriter {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, maxPageCount: options.maxPageCount ?? 0 } });
  // Only while a batch is in flight does the thread keep the process alive.
  worker.unref();
  let seq = 0;
  let closed = false;
  let broken: CommitFailed | undefined;
  let waiting: { seq: number; resolve: (ids: number[]) => void; reject: (e: Error) => void } | undefined;
  const fail = (e: CommitFailed) => {
    broken ??= e;
    worker.unref();
    const w = waiting;
    waiting = undefined;
    w?.reject(e);
  };
  let exited = false;
  // Settled by the thread's first message, or by its end if it never sends one.
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  worker.once("message", (m: FromWorker) => {
    if (m.type === "failed") fail(new CommitFailed(file, m.message, m.code, m.errcode));
    markReady();
  });
  worker.on("message", (m: FromWorker) => {
    if (m.type === "ready" || waiting === undefined || m.seq !== waiting.seq) return;
    const w = waiting;
    waiting = undefined;
    worker.unref();
    if (m.type === "committed") w.resolve(m.ids);
    else w.reject(new CommitFailed(file, m.message, m.code, m.errcode));
  });
  worker.on("error", (e: Error) => {
    fail(new CommitFailed(file, e.message, undefined, undefined));
    markReady();
  });
  worker.on("exit", (code) => {
    exited = true;
    if (!closed) fail(new CommitFailed(file, `the writer thread stopped (exit code ${code})`, undefined, undefined));
    markReady();
  });
  return {
    file,
    apply: async (ops) => {
      if (waiting) throw new Error("threadWriter.apply: one batch at a time");
      // Whoever waits for a commit keeps the process alive until it is answered.
      worker.ref();
      await ready;
      if (broken) {
        worker.unref();
        throw broken;
      }
      const n = ++seq;
      return new Promise<number[]>((resolve, reject) => {
        waiting = { seq: n, resolve, reject };
        worker.postMessage({ type: "batch", seq: n, ops });
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (exited) return;
      const gone = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.ref();
      worker.postMessage({ type: "close" });
      await gone;
    },
  };
}
