// The journal's commits on Postgres (the SqlWriter contract of ../sql-writer.ts). Every batch is
// one transaction that first takes the journal's advisory lock, so the processes writing to one
// store — the coordinator and every worker — commit one after another and sequence numbers are
// handed out in commit order: a reader that has seen event N never later finds an N-1.
//
// When the connection is lost mid-batch (the server restarted, the network dropped), the batch is
// sent again once the server answers, for as long as `patienceMs`. Whether the lost COMMIT landed
// is read back from viable_journal_batches, written in the same transaction: a batch is never
// applied twice.

import { randomUUID } from "node:crypto";
import type pg from "pg";
import { CommitFailed } from "../../domain/errors.ts";
import type { SqlOp } from "../changes.ts";
import type { SqlWriter } from "../sql-writer.ts";
import { isConnectionError, numberedPlaceholders, redactUrl } from "./connection.ts";
import { JOURNAL_CHANNEL } from "./notify.ts";
import { LOCKS } from "./schema.ts";

export interface PostgresWriterOptions {
  /** How long a batch waits for a lost server to come back before the journal stops. */
  patienceMs: number;
}

export function postgresWriter(pool: pg.Pool, url: string, options: PostgresWriterOptions): SqlWriter {
  const where = redactUrl(url);
  const texts = new Map<string, string>();
  const text = (op: SqlOp) => {
    const key = op.event ? `${op.sql}\u0000returning` : op.sql;
    let t = texts.get(key);
    if (t === undefined) texts.set(key, (t = numberedPlaceholders(op.sql) + (op.event ? " RETURNING id" : "")));
    return t;
  };
  let batches = 0;
  const once = async (id: string, ops: readonly SqlOp[]): Promise<number[]> => {
    const client = await pool.connect();
    // A server that goes away mid-batch also emits on the client; the failed query says so already.
    const ignore = () => {};
    client.on("error", ignore);
    let broken: unknown;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCKS.journal]);
      const done = (await client.query<{ event_ids: number[] }>("SELECT event_ids FROM viable_journal_batches WHERE id = $1", [id])).rows[0];
      if (done) {
        await client.query("ROLLBACK");
        return done.event_ids.map(Number);
      }
      const ids: number[] = [];
      for (const op of ops) {
        const r = await client.query<{ id: number }>(text(op), op.params as unknown[]);
        if (op.event) ids.push(Number(r.rows[0]!.id));
      }
      await client.query("INSERT INTO viable_journal_batches (id, event_ids) VALUES ($1, $2)", [id, ids]);
      // Followers on any machine (a dashboard) hear of it when it commits.
      await client.query(`NOTIFY ${JOURNAL_CHANNEL}`);
      // The record of committed batches only has to outlive a retry.
      if (++batches % 200 === 0) await client.query("DELETE FROM viable_journal_batches WHERE committed_at < now() - interval '1 day'");
      await client.query("COMMIT");
      return ids;
    } catch (e) {
      broken = isConnectionError(e) ? e : undefined;
      if (!broken) await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      // A client whose connection broke is dropped, not handed to the next batch.
      client.off("error", ignore);
      client.release(broken instanceof Error ? broken : undefined);
    }
  };
  return {
    file: where,
    apply: async (ops) => {
      const id = randomUUID();
      const started = performance.now();
      for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
        try {
          return await once(id, ops);
        } catch (e) {
          const err = e as { message?: string; code?: string };
          if (!isConnectionError(e) || performance.now() - started > options.patienceMs) {
            throw new CommitFailed(where, String(err.message ?? e), err.code, undefined);
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    },
    close: async () => {},
  };
}
