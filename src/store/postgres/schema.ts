// The store's schema on Postgres: the same migrations as the SQLite file (../migrations.ts), each
// spelled for Postgres by a few fixed rules, applied once and in order under an advisory lock (two
// processes opening a new database at once migrate it once), the version checked on every open.
// Beside them, three tables only Postgres needs: the schema version (SQLite keeps it in
// `PRAGMA user_version`), the journal's committed batches (a commit retried after a lost
// connection is recognized, never applied twice), and the processes with the store open.

import type pg from "pg";
import { UserError } from "../../domain/errors.ts";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../migrations.ts";
import { redactUrl } from "./connection.ts";

/** Advisory lock namespaces (the first key of the two-key form). */
export const LOCKS = { migrate: 0x5649_0001, journal: 0x5649_0002, session: 0x5649_0003, writer: 0x5649_0004 } as const;

const SUPPORT = `
  CREATE TABLE IF NOT EXISTS viable_schema (id INT PRIMARY KEY CHECK (id = 1), version INT NOT NULL);
  CREATE TABLE IF NOT EXISTS viable_journal_batches (id UUID PRIMARY KEY, event_ids BIGINT[] NOT NULL, committed_at TIMESTAMPTZ NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS viable_sessions (
    session_id TEXT PRIMARY KEY, pid INT NOT NULL, host TEXT NOT NULL, command TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(), writer BOOLEAN NOT NULL DEFAULT false
  );
`;

/**
 * A SQLite migration as Postgres runs it. SQLite's implicit rowid (queries order by it to break
 * ties in insertion order) becomes an explicit column on every table without an id of its own.
 */
export function postgresDdl(sql: string): string {
  return sql
    .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, "BIGSERIAL PRIMARY KEY")
    .replace(/\bINTEGER\b/g, "BIGINT")
    .replace(/\bREAL\b/g, "DOUBLE PRECISION")
    .replace(/CREATE TABLE (\w+) \(\n/g, (whole: string, table: string) => (table === "events" ? whole : `${whole}        rowid BIGSERIAL,\n`));
}

export const EXPECTED_TABLES = ["events", "tasks", "attempts", "task_analysis", "file_versions", "settings", "plans", "plan_items", "plan_sessions", "approvals", "takeovers"];

/** Creates or upgrades the schema; refuses a newer one and a database missing tables it claims. */
export async function migrate(client: pg.ClientBase, url: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCKS.migrate]);
    await client.query(SUPPORT);
    const row = (await client.query<{ version: number }>("SELECT version FROM viable_schema WHERE id = 1")).rows[0];
    const current = row?.version ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new UserError({
        reason: "store_newer_schema", file: redactUrl(url), field: "schema version",
        message: `the database has schema version ${current}, but this Viable understands up to ${LATEST_SCHEMA_VERSION}`,
        fix: "upgrade Viable on this machine (a newer version wrote this database), or point store.url at another database",
      });
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      try {
        await client.query(postgresDdl(m.sql));
      } catch (e) {
        throw new UserError({
          reason: "store_damaged", file: redactUrl(url), field: `migration ${m.version}`,
          message: `migration ${m.version} (${m.description}) failed: ${e instanceof Error ? e.message : String(e)}`,
          fix: "point store.url at an empty database, or restore this one from a backup; nothing was changed",
        });
      }
    }
    await client.query("INSERT INTO viable_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version", [Math.max(current, LATEST_SCHEMA_VERSION)]);
    const tables = new Set((await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()")).rows.map((r) => r.name));
    const missing = EXPECTED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0) {
      throw new UserError({
        reason: "store_damaged", file: redactUrl(url), field: `tables ${missing.join(", ")}`,
        message: "the database claims the current schema but tables are missing",
        fix: "restore the database from a backup, or point store.url at an empty one",
      });
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}
