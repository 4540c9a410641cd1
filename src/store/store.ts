// The project's store: one SQLite database, the execution log, and the projections. Every state
// change goes through `transition`, which appends its event and updates projections atomically.

import type { DatabaseSync } from "node:sqlite";
import type { LogEntry } from "../domain/events.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { inTransaction, openDatabase } from "./database.ts";
import { EventLog, type NewEvent } from "./event-log.ts";
import { readKillSwitch, readMetrics, writeMetrics, type KillSwitch } from "./settings.ts";
import { acquireWriterLock, type WriterLock } from "./writer-lock.ts";

export interface StoreOptions {
  /** Take the project's writer lock (run, loop, reset, stop...). Readers leave it. */
  writer: boolean;
  /** Create the database if needed even without the lock: `viable stop` must reach a busy project. */
  create?: boolean;
  /** The command, for the lock's holder message. */
  command: string;
  sessionId?: string;
  now?: () => Date;
}

export class Store {
  readonly db: DatabaseSync;
  readonly log: EventLog;
  readonly paths: ProjectPaths;
  readonly now: () => Date;
  private lock: WriterLock | null;

  private constructor(paths: ProjectPaths, db: DatabaseSync, log: EventLog, lock: WriterLock | null, now: () => Date) {
    this.paths = paths;
    this.db = db;
    this.log = log;
    this.lock = lock;
    this.now = now;
  }

  static open(paths: ProjectPaths, options: StoreOptions): Store {
    const lock = options.writer ? acquireWriterLock(paths.lockFile, options.command) : null;
    try {
      const db = openDatabase(paths.database, { create: options.writer || options.create === true });
      const now = options.now ?? (() => new Date());
      const log = new EventLog(db, options.sessionId ?? newSessionId(), now);
      return new Store(paths, db, log, lock, now);
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  get isWriter(): boolean {
    return this.lock !== null;
  }

  /** Appends `event` and applies `update` in one transaction; returns the logged entry. */
  transition(event: NewEvent, update?: () => void): LogEntry {
    return inTransaction(this.db, () => {
      update?.();
      return this.log.append(event);
    });
  }

  atomically<T>(fn: () => T): T {
    return inTransaction(this.db, fn);
  }

  metrics(): ViabilityMetrics {
    return readMetrics(this.db, this.paths.database);
  }

  saveMetrics(m: ViabilityMetrics): void {
    writeMetrics(this.db, m);
  }

  killSwitch(): KillSwitch | null {
    return readKillSwitch(this.db, this.paths.database);
  }

  timestamp(): string {
    return this.now().toISOString();
  }

  close(): void {
    try {
      if (this.db.isOpen) this.db.close();
    } finally {
      this.lock?.release();
      this.lock = null;
    }
  }
}

/** Seed 001 took the session id from Claude Code's environment when there was one. */
export function newSessionId(): string {
  return process.env.VIABLE_SESSION_ID ?? process.env.CLAUDE_SESSION_ID ?? crypto.randomUUID();
}
