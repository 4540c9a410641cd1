// The project's store: one SQLite database (`.viable/state/viable.db`), or for several machines one
// Postgres database (postgres/store.ts), behind two doors: the journal, through which every state change goes in (journal.ts), and the named queries, through
// which everything comes out (queries.ts). No SQL lives outside this folder.

import fs from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { UserError } from "../domain/errors.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { JOURNAL_EPOCH_KEY } from "./changes.ts";
import { inTransaction, openDatabase } from "./database.ts";
import { EventBus } from "./event-bus.ts";
import { SqliteJournal, type Journal } from "./journal.ts";
import { sqliteQueries, type Queries } from "./queries.ts";
import { inlineWriter, threadWriter } from "./sql-writer.ts";
import { watchWal } from "./wal-watch.ts";
import { acquireWriterLock, type WriterLock } from "./writer-lock.ts";
import { PostgresStore } from "./postgres/store.ts";

export interface Store {
  /** The embedded file, or a Postgres server shared by several machines. */
  readonly kind: "sqlite" | "postgres";
  /** Where the records are: the database file, or the server's URL without its password. */
  readonly where: string;
  readonly paths: ProjectPaths;
  readonly journal: Journal;
  readonly queries: Queries;
  /** This process's session: every event it records carries it. */
  readonly sessionId: string;
  /** Whether this process holds the project's writer lock. */
  readonly isWriter: boolean;
  readonly now: () => Date;
  timestamp(): string;
  /**
   * Whether another process that recorded under `sessionId` still has the store open. With the
   * file, none can while this one holds the writer lock; on Postgres, any process on any machine
   * (this one's own session counts as alive).
   */
  isSessionAlive(sessionId: string): Promise<boolean>;
  /**
   * Calls `onCommit` soon after any process commits to the journal (a hint: the caller reads what
   * is new, and still looks now and then — a hint can be missed); returns the stop.
   */
  watchCommits(onCommit: () => void): () => void;
  /** Deletes every record: tasks, attempts, the log, metrics, the plan and its sessions. */
  reset(): Promise<void>;
  /** Commits what is staged, then closes. */
  close(): Promise<void>;
}

export type JournalTransport = "inline" | "thread";

export interface StoreOptions {
  /** Take the project's writer lock (run, loop, reset...). Readers leave it. */
  writer: boolean;
  /** Create the database if needed even without the lock: `viable stop` must reach a busy project. */
  create?: boolean;
  /** The command, for the lock's holder message. */
  command: string;
  sessionId?: string;
  now?: () => Date;
  /**
   * Where the journal's commits run: on this connection ("inline", the default: one-shot commands
   * and a VSM cycle), or on a writer thread ("thread": the plan loop, whose event loop must never
   * wait for the disk).
   */
  journal?: JournalTransport;
  /** Default 10 ms on a thread, 100 ms inline (where a commit holds up the event loop). */
  batchWindowMs?: number;
  /** A size limit for the journal's connection (`PRAGMA max_page_count`): for quotas and tests. */
  maxPageCount?: number;
  /** A Postgres server instead of the embedded file (config `store.url`, VIABLE_DATABASE_URL). */
  url?: string;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly paths: ProjectPaths;
  readonly journal: Journal;
  readonly queries: Queries;
  readonly sessionId: string;
  readonly now: () => Date;
  readonly #db: DatabaseSync;
  #lock: WriterLock | null;

  private constructor(paths: ProjectPaths, db: DatabaseSync, lock: WriterLock | null, options: StoreOptions) {
    this.paths = paths;
    this.#db = db;
    this.#lock = lock;
    this.now = options.now ?? (() => new Date());
    this.sessionId = options.sessionId ?? newSessionId();
    this.queries = sqliteQueries(db, paths.database);
    const transport = options.journal ?? "inline";
    // An in-memory reader (no database file yet) has nothing for a thread to open.
    const writer = transport === "thread" && fs.existsSync(paths.database)
      ? threadWriter(paths.database, { ...(options.maxPageCount ? { maxPageCount: options.maxPageCount } : {}) })
      : inlineWriter(db, paths.database, { ...(options.maxPageCount ? { maxPageCount: options.maxPageCount } : {}) });
    this.journal = new SqliteJournal(writer, {
      sessionId: this.sessionId, now: this.now, bus: new EventBus(),
      batchWindowMs: options.batchWindowMs ?? (transport === "thread" ? 10 : 100),
    });
  }

  static open(paths: ProjectPaths, options: StoreOptions): SqliteStore {
    checkStateDirectory(paths.stateDir);
    const lock = options.writer ? acquireWriterLock(paths.lockFile, options.command) : null;
    try {
      const db = openDatabase(paths.database, { create: options.writer || options.create === true });
      return new SqliteStore(paths, db, lock, options);
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  get isWriter(): boolean {
    return this.#lock !== null;
  }

  get where(): string {
    return this.paths.database;
  }

  async isSessionAlive(): Promise<boolean> {
    return false;
  }

  watchCommits(onCommit: () => void): () => void {
    return watchWal(this.paths.database, onCommit);
  }

  timestamp(): string {
    return this.now().toISOString();
  }

  async reset(): Promise<void> {
    await this.journal.flush();
    inTransaction(this.#db, () => {
      for (const table of ["events", "tasks", "attempts", "task_analysis", "file_versions", "settings", "plan_sessions", "plan_items", "plans", "approvals"]) {
        this.#db.exec(`DELETE FROM ${table}`);
      }
      this.#db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)").run(JOURNAL_EPOCH_KEY, JSON.stringify({ version: 1, value: crypto.randomUUID() }));
    });
    this.#db.exec("VACUUM");
  }

  async close(): Promise<void> {
    try {
      await this.journal.close();
    } finally {
      try {
        if (this.#db.isOpen) this.#db.close();
      } finally {
        this.#lock?.release();
        this.#lock = null;
      }
    }
  }

  /** The raw connection, for tests of the storage format itself. */
  get database(): DatabaseSync {
    return this.#db;
  }
}

/** The project's store: the SQLite file, or Postgres when `options.url` names a server. */
export async function openStore(paths: ProjectPaths, options: StoreOptions): Promise<Store> {
  if (options.url) return PostgresStore.open(paths, options.url, { ...options, sessionId: options.sessionId ?? newSessionId() });
  return SqliteStore.open(paths, options);
}

/** `.viable/state` must be a directory Viable can write in, when it exists (it is made when missing). */
function checkStateDirectory(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    throw new UserError({
      reason: "bad_directory", file: dir, message: "is a file, but Viable keeps its state (database, lock, transcripts) in a directory of that name",
      fix: `move the file away (mv ${dir} ${dir}.bak); Viable makes the directory`,
    });
  }
}

/** Seed 001 took the session id from Claude Code's environment when there was one. */
export function newSessionId(): string {
  return process.env.VIABLE_SESSION_ID ?? process.env.CLAUDE_SESSION_ID ?? crypto.randomUUID();
}
