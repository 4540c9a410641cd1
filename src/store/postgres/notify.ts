// Commits to the Postgres journal by any process on any machine, noticed: every batch sends
// NOTIFY viable_journal inside its transaction (delivered when it commits; writer.ts), and a reader
// LISTENs on a connection of its own. A lost connection is made again (the server restarted);
// meanwhile, and right after, the follower looks anyway — notifications sent while nobody listened
// are gone.

import type pg from "pg";
import { createClient } from "./connection.ts";

export const JOURNAL_CHANNEL = "viable_journal";

/** Calls `onCommit` after any journal commit; returns the stop. */
export function listenForCommits(url: string, name: string, onCommit: () => void): () => void {
  let stopped = false;
  let client: pg.Client | null = null;
  const connect = async (): Promise<void> => {
    for (let delay = 250; !stopped; delay = Math.min(delay * 2, 5000)) {
      const c = createClient(url, `${name} (listen)`);
      c.on("error", () => {});
      try {
        await c.connect();
        await c.query(`LISTEN ${JOURNAL_CHANNEL}`);
      } catch {
        await c.end().catch(() => {});
        await new Promise((r) => setTimeout(r, delay).unref());
        continue;
      }
      if (stopped) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      c.on("notification", () => onCommit());
      c.once("end", () => {
        client = null;
        if (!stopped) void connect();
      });
      // What was committed while nobody listened.
      onCommit();
      return;
    }
  };
  void connect();
  return () => {
    stopped = true;
    void client?.end().catch(() => {});
    client = null;
  };
}
