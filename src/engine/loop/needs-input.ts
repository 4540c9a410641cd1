// An item whose agent stopped for a person (loop.on_needs_input: wait). The loop asks — an S5
// approval, so the dashboard's inbox and MCP's `answer` show the agent's question — and watches for
// whichever comes first:
// - a take-over (`viable attach`, app/attach.ts): the loop waits for it to end, then goes on from
//   verification as if the agent had finished; a take-over whose `viable attach` died is ended
//   (its tmux session too) and the item waits again;
// - an answer: approved is "retry, and tell the agent this" (the approval's comment), rejected is
//   "block it".
// Nothing is decided here about the item: the loop acts on the decision returned.

import { setTimeout as sleep } from "node:timers/promises";
import { Tmux } from "../../process/tmux.ts";
import type { TakeoverRecord } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import { processStartTime } from "../../store/writer-lock.ts";
import { requestApproval, type PendingApproval } from "../approval-wait.ts";

/** How often the records are read: an answer or a take-over is seen within this. */
const POLL_MS = 200;

export type PersonDecision =
  | { kind: "handed_back"; takeover: TakeoverRecord }
  | { kind: "retry"; by: string; answer: string | null }
  | { kind: "block"; by: string; comment: string | null };

export interface WaitingItem {
  itemId: string;
  runId: string;
  question: string;
  attemptId: string | null;
}

export interface PersonWatch {
  /** The approval the person may answer (a new one after an abandoned take-over). */
  approvalId(): string;
  decision: Promise<PersonDecision>;
}

/** Whether the loop has acted on this take-over's end already (it logged `item_handed_back` for it). */
export async function consumed(store: Store, t: TakeoverRecord): Promise<boolean> {
  return (await store.queries.itemEvents(t.item_id, 200)).some((e) => e.event_type === "item_handed_back" && e.data.takeover_id === t.id);
}

export async function watchForPerson(
  store: Store, w: WaitingItem, events: { takenOver(t: TakeoverRecord): void; abandoned(t: TakeoverRecord): void }, signal: AbortSignal,
): Promise<PersonWatch> {
  const ask = () => requestApproval(store, {
    taskId: w.runId, itemId: w.itemId, subject: "needs_input",
    question: `${w.itemId}: ${w.question}`,
    data: { attempt_id: w.attemptId, take_over: `viable attach ${w.itemId}`, approve: "retry with your comment as the answer", reject: "block the item" },
  });
  let pending: PendingApproval = await ask();
  const decide = async (): Promise<PersonDecision> => {
    let seen: string | null = null;
    try {
      for (;;) {
        const takeover = await store.queries.takeover(w.itemId);
        if (takeover && takeover.id === seen && takeover.status === "abandoned") {
          // Given up by `viable attach` itself (its CLI failed, a hang-up): the person is asked again.
          events.abandoned(takeover);
          seen = null;
          pending = await ask();
        } else if (takeover && (takeover.status === "active" || (takeover.status === "ended" && !(await consumed(store, takeover))))) {
          // An item has at most one take-over at a time: an active one is this wait's; an ended one
          // is, until the loop has taken the item on from it (handed back while no loop ran, say).
          if (seen !== takeover.id) {
            seen = takeover.id;
            await pending.close(`taken over by ${takeover.by_user}`);
            events.takenOver(takeover);
          }
          if (takeover.status === "ended") return { kind: "handed_back", takeover };
          if (processStartTime(takeover.pid) === null) {
            // Its `viable attach` was killed: nobody will record the end. The session goes too.
            await new Tmux(takeover.tmux_socket).killSession(takeover.tmux_session);
            await store.journal.commit({ changes: [{ type: "takeover_ended", id: takeover.id, status: "abandoned", at: store.timestamp() }] });
            events.abandoned({ ...takeover, status: "abandoned" });
            seen = null;
            pending = await ask();
          }
        } else {
          const row = await store.queries.approval(pending.id);
          const answered = row?.status === "approved" || row?.status === "rejected";
          // A take-over that began as the answer came wins: the person is in the worktree already.
          const now = answered ? await store.queries.takeover(w.itemId) : null;
          if (now?.status === "active") continue;
          if (row?.status === "approved") return { kind: "retry", by: row.answered_by ?? "unknown", answer: row.comment };
          if (row?.status === "rejected") return { kind: "block", by: row.answered_by ?? "unknown", comment: row.comment };
        }
        await sleep(POLL_MS, undefined, { signal });
      }
    } finally {
      await pending.close(signal.aborted ? "stopped" : "decided").catch(() => undefined);
    }
  };
  return { approvalId: () => pending.id, decision: decide() };
}
