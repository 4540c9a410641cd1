// The engine's side of an S5 approval answered from elsewhere: the request is recorded (so the
// dashboard's inbox shows it), and the writer reads the record until someone answers it, the time
// runs out, or the writer is stopped. Answers arrive through the journal, so they are recorded
// with who gave them whatever the writer does next.

import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Store } from "../store/store.ts";
import { liveWatchers } from "../store/watchers.ts";
import type { RemoteAnswer } from "./s5-policy.ts";

/** How often a waiting writer reads the record: an answer is seen within this. */
const POLL_MS = 150;

export interface PendingApproval {
  id: string;
  /** Waits for an answer from elsewhere; undefined when nobody watches the project to give one. */
  remote: ((signal: AbortSignal) => Promise<RemoteAnswer | null>) | undefined;
  /** Records an answer given at this process's terminal (the first answer holds). */
  answeredHere(approved: boolean): Promise<void>;
  /** Records that nobody could answer. */
  unanswered(): Promise<void>;
}

export async function requestApproval(store: Store, r: { taskId: string | null; itemId: string | null; subject: string; question: string; timeoutSeconds: number; data: Record<string, unknown> }): Promise<PendingApproval> {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  await store.journal.commit({
    event: { event_type: "approval_requested", task_id: r.taskId, data: { ...r.data, approval_id: id, subject: r.subject, question: r.question, item_id: r.itemId } },
    changes: [{
      type: "approval_requested",
      approval: { id, task_id: r.taskId, item_id: r.itemId, subject: r.subject, question: r.question, requested_at: store.timestamp(), requested_by_pid: process.pid },
    }],
  });
  const answer = async (status: "approved" | "rejected" | "expired", by: string) => {
    await store.journal.commit({
      event: { event_type: "approval_answered", task_id: r.taskId, data: { approval_id: id, status, by } },
      changes: [{ type: "approval_answered", id, status, by, at: store.timestamp(), comment: null }],
    });
  };
  const watched = liveWatchers(store.paths.watchersDir).length > 0;
  return {
    id,
    remote: watched ? (signal) => waitForAnswer(store, id, r.timeoutSeconds * 1000, signal) : undefined,
    answeredHere: (approved) => answer(approved ? "approved" : "rejected", "terminal"),
    unanswered: () => answer("expired", "timeout"),
  };
}

async function waitForAnswer(store: Store, id: string, timeoutMs: number, signal: AbortSignal): Promise<RemoteAnswer | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await store.queries.approval(id);
    if (a && a.status !== "pending") return a.status === "expired" ? null : { approved: a.status === "approved", via: a.answered_by ?? "unknown" };
    if (Date.now() >= deadline) return null;
    await sleep(Math.min(POLL_MS, deadline - Date.now()), undefined, { signal });
  }
}
