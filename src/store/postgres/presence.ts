// Who has the Postgres store open, and who is its one writer. Each process holds, on a connection
// of its own, an advisory lock keyed by its session: Postgres lets go of it the moment the process
// dies or its connection drops, so "is session S alive?" is a try of that lock — true across
// machines, with no heartbeat table to go stale. The coordinator (`viable loop`, `run`, `reset`)
// also holds the writer lock: a second one is refused, naming the holder, as the lock file does for
// the SQLite store.
//
// When the connection drops (a server restart), the locks are taken again as soon as it answers;
// if another process took the writer lock meanwhile, `onLost` is told and the writer stops.

import os from "node:os";
import type pg from "pg";
import { UserError } from "../../domain/errors.ts";
import { createClient, redactUrl } from "./connection.ts";
import { LOCKS } from "./schema.ts";

export interface PresenceOptions {
  sessionId: string;
  command: string;
  writer: boolean;
}

interface Holder {
  session_id: string;
  pid: number;
  host: string;
  command: string;
  started_at: Date;
}

export class Presence {
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #options: PresenceOptions;
  #client: pg.Client | null = null;
  #closed = false;
  /** Told when the writer lock could not be taken back after a lost connection. */
  onLost: ((e: UserError) => void) | undefined;

  private constructor(url: string, pool: pg.Pool, options: PresenceOptions) {
    this.#url = url;
    this.#pool = pool;
    this.#options = options;
  }

  static async open(url: string, pool: pg.Pool, options: PresenceOptions): Promise<Presence> {
    const p = new Presence(url, pool, options);
    await p.#connect();
    return p;
  }

  async #connect(): Promise<void> {
    const client = createClient(this.#url, `viable ${this.#options.command} (presence)`);
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1, hashtext($2))", [LOCKS.session, this.#options.sessionId]);
      if (this.#options.writer) {
        const ok = (await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, 0) AS ok", [LOCKS.writer])).rows[0]!.ok;
        if (!ok) throw await this.#locked();
      }
      await client.query(
        `INSERT INTO viable_sessions (session_id, pid, host, command, writer) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (session_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, command = excluded.command, writer = excluded.writer`,
        [this.#options.sessionId, process.pid, os.hostname(), this.#options.command, this.#options.writer],
      );
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    this.#client = client;
    client.once("end", () => void this.#reconnect());
  }

  /** The connection holding the locks ended: take them again once the server answers. */
  async #reconnect(): Promise<void> {
    this.#client = null;
    for (let delay = 100; !this.#closed; delay = Math.min(delay * 2, 500)) {
      await new Promise((r) => setTimeout(r, delay));
      if (this.#closed) return;
      try {
        await this.#connect();
        return;
      } catch (e) {
        if (e instanceof UserError) {
          this.onLost?.(e);
          return;
        }
      }
    }
  }

  async #locked(): Promise<UserError> {
    const holders = (await this.#pool.query<Holder>("SELECT session_id, pid, host, command, started_at FROM viable_sessions WHERE writer ORDER BY started_at DESC")).rows;
    let holder: Holder | undefined;
    for (const h of holders) if (await this.isAlive(h.session_id)) holder = h;
    const who = holder ? `another Viable process (pid ${holder.pid} on ${holder.host}, \`viable ${holder.command}\`, since ${holder.started_at.toISOString()})` : "another Viable process";
    return new UserError({
      reason: "store_locked", file: redactUrl(this.#url),
      message: `${who} is working on this project's store`,
      fix: `wait for it to finish, or stop it (\`viable stop\`${holder ? `, or kill ${holder.pid} on ${holder.host}` : ""}); read-only commands like \`viable state\` still work`,
    });
  }

  /** Whether the process of `sessionId` still has the store open (on any machine). */
  async isAlive(sessionId: string): Promise<boolean> {
    if (sessionId === this.#options.sessionId) return true;
    const client = await this.#pool.connect();
    const ignore = () => {};
    client.on("error", ignore);
    try {
      const free = (await client.query<{ free: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS free", [LOCKS.session, sessionId])).rows[0]!.free;
      if (free) await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", [LOCKS.session, sessionId]);
      return !free;
    } finally {
      client.off("error", ignore);
      client.release();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    client.removeAllListeners("end");
    try {
      await client.query("DELETE FROM viable_sessions WHERE session_id = $1", [this.#options.sessionId]);
    } catch {
      // The server is gone: the row says nothing once its lock is free.
    }
    await client.end().catch(() => {});
  }
}
