// S5 approvals from the outside: the inbox, and an answer given there. The answer is written into
// the approval's record (the first answer holds); the writer that asked reads it, carries on, and
// logs who answered (engine/approval-wait.ts). An approval whose writer has gone cannot be answered:
// it is closed as expired and the person is told to run the task again.

import { UserError } from "../domain/errors.ts";
import { APPROVAL_STATUSES, type ApprovalRecord, type ApprovalStatus } from "../store/records.ts";
import { processStartTime } from "../store/writer-lock.ts";
import type { Project } from "./project.ts";

export type { ApprovalRecord };

export function parseApprovalStatus(value: string | undefined): ApprovalStatus | undefined {
  if (value === undefined || value === "all") return undefined;
  if ((APPROVAL_STATUSES as readonly string[]).includes(value)) return value as ApprovalStatus;
  throw new UserError({ reason: "bad_usage", field: "status", message: `unknown approval status "${value}"`, fix: `use one of: all, ${APPROVAL_STATUSES.join(", ")}` });
}

/** Approvals, newest first; pending ones whose writer has gone are closed first, so none is offered in vain. */
export async function listApprovals(p: Project, status?: ApprovalStatus): Promise<ApprovalRecord[]> {
  for (const a of await p.store.queries.approvals("pending")) if (!askerAlive(a)) await write(p, a.id, "expired", "asker gone", null);
  return p.store.queries.approvals(status);
}

/** Records `decision` for a pending approval; refused when it was answered already or nobody waits for it. */
export async function answerApproval(p: Project, id: string, decision: "approve" | "reject", via: string, comment: string | null): Promise<ApprovalRecord> {
  const before = await p.store.queries.approval(id);
  if (!before) throw new UserError({ reason: "not_found", message: `there is no approval "${id}"`, fix: "pick one from the pending approvals" });
  if (before.status === "pending" && !askerAlive(before)) {
    await write(p, id, "expired", "asker gone", null);
    throw new UserError({ reason: "conflict", message: `approval "${id}" has nobody waiting for it: the run that asked has ended`, fix: "run the task again; it asks again if approval is still required" });
  }
  const status = decision === "approve" ? "approved" : "rejected";
  const after = before.status === "pending" ? await write(p, id, status, via, comment) : before;
  // Answered before, or by someone else in the same instant: theirs holds, and says so.
  if (after.status !== status || after.answered_by !== via || after.answered_at === before.answered_at) {
    throw new UserError({ reason: "conflict", message: `approval "${id}" was already ${after.status}${after.answered_by ? ` (by ${after.answered_by})` : ""}`, fix: "nothing to do: the first answer holds" });
  }
  return after;
}

function askerAlive(a: ApprovalRecord): boolean {
  return a.requested_by_pid !== null && processStartTime(a.requested_by_pid) !== null;
}

async function write(p: Project, id: string, status: "approved" | "rejected" | "expired", by: string, comment: string | null): Promise<ApprovalRecord> {
  await p.store.journal.commit({ changes: [{ type: "approval_answered", id, status, by, at: p.store.timestamp(), comment }] });
  return (await p.store.queries.approval(id))!;
}
