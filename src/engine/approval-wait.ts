// The engine's side of an S5 approval a person gives: the request is recorded (so the dashboard's
// inbox shows it), and the person answers at this process's terminal or from elsewhere (the
// dashboard of a `viable serve` watching the project), whichever comes first. An answer from
// elsewhere is written into the approval's record; the writer reads the record until someone
// answers it, the time runs out, everyone who could answer has gone, or the writer is stopped.
//
// The record decides: the first answer written holds (a conditional update), whoever gives it, and
// the writer acts on what the record says. The writer alone logs `approval_answered`, once per
// approval, naming who answered — so the log and the record cannot disagree. An approval the
// writer stops waiting for is closed as expired, whatever stopped it.

import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ApprovalRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { liveWatchers, type Watcher } from "../store/watchers.ts";

/** How often a waiting writer reads the record: an answer is seen within this. */
const POLL_MS = 150;
/** How often it checks that someone is still watching. */
const WATCHERS_MS = 2000;

export interface ApprovalAnswer {
  approved: boolean;
  /** Who answered: "terminal", "dashboard", ... */
  by: string;
}

export interface PendingApproval {
  id: string;
  /** The processes that can answer from elsewhere (none: only the terminal can). */
  watchers: Watcher[];
  /**
   * Waits for an answer written by someone else; null when nobody answered in time or nobody is
   * left to answer. `deadline` undefined: no time limit (a person at the terminal may still answer).
   */
  remote(signal: AbortSignal, timeoutMs: number | undefined): Promise<ApprovalAnswer | null>;
  /** Records an answer given here; resolves to the answer that holds (another may have come first). */
  answer(approved: boolean, by: string): Promise<ApprovalAnswer>;
  /** Closes the approval as expired unless it was answered; `why` is logged. */
  close(why: string): Promise<void>;
}

export async function requestApproval(store: Store, r: { taskId: string | null; itemId: string | null; subject: string; question: string; data: Record<string, unknown> }): Promise<PendingApproval> {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const watchers = liveWatchers(store.paths.watchersDir);
  await store.journal.commit({
    event: {
      event_type: "approval_requested", task_id: r.taskId,
      data: { ...r.data, approval_id: id, subject: r.subject, question: r.question, item_id: r.itemId, answer_at: watchers.map((w) => w.url ?? (w.kind === "mcp" ? "an MCP client (its `answer` tool)" : w.kind)) },
    },
    changes: [{
      type: "approval_requested",
      approval: { id, task_id: r.taskId, item_id: r.itemId, subject: r.subject, question: r.question, requested_at: store.timestamp(), requested_by_pid: process.pid },
    }],
  });
  let logged = false;
  /** The record's answer, logged once. */
  const settle = async (row: ApprovalRecord): Promise<ApprovalAnswer | null> => {
    if (!logged && row.status !== "pending") {
      logged = true;
      await store.journal.commit({
        event: { event_type: "approval_answered", task_id: r.taskId, data: { approval_id: id, status: row.status, by: row.answered_by, ...(row.comment ? { comment: row.comment } : {}) } },
      });
    }
    return row.status === "approved" || row.status === "rejected" ? { approved: row.status === "approved", by: row.answered_by ?? "unknown" } : null;
  };
  const write = async (status: "approved" | "rejected" | "expired", by: string): Promise<ApprovalRecord> => {
    await store.journal.commit({ changes: [{ type: "approval_answered", id, status, by, at: store.timestamp(), comment: null }] });
    const row = await store.queries.approval(id);
    if (!row) throw new Error(`approval ${id} vanished from the store`);
    return row;
  };
  return {
    id, watchers,
    remote: async (signal, timeoutMs) => {
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      let checkedWatchers = Date.now();
      for (;;) {
        const row = await store.queries.approval(id);
        if (row && row.status !== "pending") return settle(row);
        if (Date.now() >= deadline) return null;
        if (Date.now() - checkedWatchers >= WATCHERS_MS) {
          checkedWatchers = Date.now();
          if (liveWatchers(store.paths.watchersDir).length === 0) return null;
        }
        await sleep(Math.min(POLL_MS, deadline - Date.now()), undefined, { signal });
      }
    },
    answer: async (approved, by) => {
      const held = await settle(await write(approved ? "approved" : "rejected", by));
      return held ?? { approved: false, by: "timeout" };
    },
    close: async (why) => {
      if (logged) return;
      await settle(await write("expired", why));
    },
  };
}
