// Opening the embedded store: node:sqlite (no native addon to build), WAL so readers never block the
// writer, synchronous=FULL so a committed state transition survives a power cut. The schema version
// is checked on every open: a newer or damaged database is refused with a clear error, never reused.

import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { UserError, errorMessage } from "../domain/errors.ts";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "./migrations.ts";

export interface OpenOptions {
  /** Create the file and apply migrations when needed; read-only commands pass false. */
  create: boolean;
}

export function openDatabase(file: string, options: OpenOptions): DatabaseSync {
  if (!options.create && !fs.existsSync(file)) {
    // A fresh project has no database yet: give readers an empty in-memory one of the right shape.
    const db = new DatabaseSync(":memory:");
    migrate(db, file);
    return db;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
  } catch (e) {
    throw damaged(file, e);
  }
  const version = readVersion(db, file);
  if (version > LATEST_SCHEMA_VERSION) {
    db.close();
    throw new UserError({
      reason: "store_newer_schema",
      file,
      field: "schema version",
      message: `the database has schema version ${version}, but this Viable understands up to ${LATEST_SCHEMA_VERSION}`,
      fix: "upgrade Viable (a newer version wrote this database), or move the file away to start afresh",
    });
  }
  if (version < LATEST_SCHEMA_VERSION) migrate(db, file);
  checkShape(db, file);
  return db;
}

function readVersion(db: DatabaseSync, file: string): number {
  try {
    const row = db.prepare("PRAGMA user_version").get() as { user_version: number } | undefined;
    // A file that is not SQLite fails on its first read; force one.
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return row?.user_version ?? 0;
  } catch (e) {
    db.close();
    throw damaged(file, e);
  }
}

function migrate(db: DatabaseSync, file: string): void {
  const current = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    try {
      db.exec("BEGIN IMMEDIATE");
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec("COMMIT");
    } catch (e) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw damaged(file, e, `migration ${m.version} (${m.description}) failed`);
    }
  }
}

const EXPECTED_TABLES = ["events", "tasks", "attempts", "task_analysis", "file_versions", "settings", "plans", "plan_items", "plan_sessions"];

function checkShape(db: DatabaseSync, file: string): void {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  const names = new Set(rows.map((r) => r.name));
  const missing = EXPECTED_TABLES.filter((t) => !names.has(t));
  if (missing.length > 0) {
    db.close();
    throw new UserError({
      reason: "store_damaged",
      file,
      field: `tables ${missing.join(", ")}`,
      message: "the database claims the current schema but tables are missing",
      fix: "restore the file from a backup, or move it away (Viable starts a new one)",
    });
  }
}

function damaged(file: string, e: unknown, what = "cannot be read as a Viable database"): UserError {
  return new UserError({
    reason: "store_damaged",
    file,
    message: `${what}: ${errorMessage(e)}`,
    fix: "restore the file from a backup, or move it away (Viable starts a new one); nothing was written to it",
  });
}

/** Runs `fn` in one IMMEDIATE transaction: its event and projection updates commit together or not at all. */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (e) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}
