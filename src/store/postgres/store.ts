// The project's store on Postgres (`store.url` or VIABLE_DATABASE_URL): the same journal, records,
// sequence numbers, named queries and migrations as the SQLite file, shared by every machine that
// works the plan — the coordinator and the workers. Files stay where they are (transcripts, diffs,
// worktrees live on the machine that made them); only the records move.

import { JOURNAL_EPOCH_KEY } from "../changes.ts";
import { EventBus } from "../event-bus.ts";
import { SqliteJournal, type Journal } from "../journal.ts";
import { StoreQueries, type Queries } from "../queries.ts";
import type { Store, StoreOptions } from "../store.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import { CommitFailed, isUserError } from "../../domain/errors.ts";
import type pg from "pg";
import { createPool, isConnectionError, redactUrl, unreachable } from "./connection.ts";
import { listenForCommits } from "./notify.ts";
import { Presence } from "./presence.ts";
import { postgresReader } from "./reader.ts";
import { LOCKS, migrate } from "./schema.ts";
import { postgresWriter } from "./writer.ts";

/** How long reads and commits wait for a restarted or unreachable server before giving up. */
const PATIENCE_MS = Number(process.env.VIABLE_PG_PATIENCE_MS ?? 120_000);

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly paths: ProjectPaths;
  readonly journal: Journal;
  readonly queries: Queries;
  readonly sessionId: string;
  readonly now: () => Date;
  readonly where: string;
  readonly #pool: pg.Pool;
  readonly #presence: Presence;
  readonly #writer: boolean;
  readonly #url: string;
  readonly #command: string;
  /** Listening connections (watchCommits) still open: closed with the store. */
  readonly #watches = new Set<() => void>();

  private constructor(paths: ProjectPaths, url: string, pool: pg.Pool, presence: Presence, options: StoreOptions & { sessionId: string }) {
    this.paths = paths;
    this.where = redactUrl(url);
    this.#pool = pool;
    this.#presence = presence;
    this.#writer = options.writer;
    this.#url = url;
    this.#command = options.command;
    this.now = options.now ?? (() => new Date());
    this.sessionId = options.sessionId;
    this.queries = new StoreQueries(postgresReader(pool, PATIENCE_MS), this.where, (e) => (isConnectionError(e) ? unreachable(url, e) : e));
    this.journal = new SqliteJournal(postgresWriter(pool, url, { patienceMs: PATIENCE_MS }), {
      // Every commit is a round trip to the server: a short window lets a burst share one.
      sessionId: this.sessionId, now: this.now, bus: new EventBus(), batchWindowMs: options.batchWindowMs ?? 10,
    });
    // Another process took the writer lock while the connection was down: this one must stop writing.
    presence.onLost = (e) => this.journal.onFailure?.(new CommitFailed(this.where, `the writer lock was lost: ${e.summary}`, "lock_lost", undefined));
  }

  static async open(paths: ProjectPaths, url: string, options: StoreOptions & { sessionId: string }): Promise<PostgresStore> {
    const pool = createPool(url, { name: `viable ${options.command}` });
    let presence: Presence | undefined;
    try {
      const client = await pool.connect();
      const ignore = () => {};
      client.on("error", ignore);
      try {
        await migrate(client, url);
      } finally {
        client.off("error", ignore);
        client.release();
      }
      presence = await Presence.open(url, pool, { sessionId: options.sessionId, command: options.command, writer: options.writer });
      return new PostgresStore(paths, url, pool, presence, options);
    } catch (e) {
      await presence?.close();
      await pool.end().catch(() => {});
      if (isUserError(e)) throw e;
      throw unreachable(url, e);
    }
  }

  get isWriter(): boolean {
    return this.#writer;
  }

  timestamp(): string {
    return this.now().toISOString();
  }

  isSessionAlive(sessionId: string): Promise<boolean> {
    return this.#presence.isAlive(sessionId);
  }

  watchCommits(onCommit: () => void): () => void {
    const stop = listenForCommits(this.#url, `viable ${this.#command}`, onCommit);
    this.#watches.add(stop);
    return () => {
      this.#watches.delete(stop);
      stop();
    };
  }

  async reset(): Promise<void> {
    await this.journal.flush();
    const client = await this.#pool.connect();
    const ignore = () => {};
    client.on("error", ignore);
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCKS.journal]);
      for (const table of ["events", "tasks", "attempts", "task_analysis", "file_versions", "settings", "plan_sessions", "plan_items", "plans", "approvals"]) {
        await client.query(`DELETE FROM ${table}`);
      }
      await client.query("INSERT INTO settings (key, value) VALUES ($1, $2)", [JOURNAL_EPOCH_KEY, JSON.stringify({ version: 1, value: crypto.randomUUID() })]);
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.off("error", ignore);
      client.release();
    }
  }

  async close(): Promise<void> {
    for (const stop of this.#watches) stop();
    this.#watches.clear();
    try {
      await this.journal.close();
    } finally {
      await this.#presence.close();
      await this.#pool.end().catch(() => {});
    }
  }
}
