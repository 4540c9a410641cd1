// S5 approvals from the outside: the inbox, and an answer given there. The writer that asked waits
// on the record (engine/approval-wait.ts) and carries on with the first answer; this side only
// records it, with where it came from, through the journal.

import { UserError } from "../domain/errors.ts";
import { APPROVAL_STATUSES, type ApprovalRecord, type ApprovalStatus } from "../store/records.ts";
import type { Project } from "./project.ts";

export type { ApprovalRecord };

export function parseApprovalStatus(value: string | undefined): ApprovalStatus | undefined {
  if (value === undefined || value === "all") return undefined;
  if ((APPROVAL_STATUSES as readonly string[]).includes(value)) return value as ApprovalStatus;
  throw new UserError({ reason: "bad_usage", field: "status", message: `unknown approval status "${value}"`, fix: `use one of: all, ${APPROVAL_STATUSES.join(", ")}` });
}

export async function listApprovals(p: Project, status?: ApprovalStatus): Promise<ApprovalRecord[]> {
  return p.store.queries.approvals(status);
}

/** Records `decision` for a pending approval; the first answer holds, a later one is refused. */
export async function answerApproval(p: Project, id: string, decision: "approve" | "reject", via: string, comment: string | null): Promise<ApprovalRecord> {
  const before = await p.store.queries.approval(id);
  if (!before) throw new UserError({ reason: "not_found", message: `there is no approval "${id}"`, fix: "pick one from the pending approvals" });
  if (before.status !== "pending") {
    throw new UserError({
      reason: "conflict", message: `approval "${id}" was already ${before.status}${before.answered_by ? ` (by ${before.answered_by})` : ""}`,
      fix: "nothing to do: the first answer holds",
    });
  }
  const status = decision === "approve" ? "approved" : "rejected";
  await p.store.journal.commit({
    event: { event_type: "approval_answered", task_id: before.task_id, data: { approval_id: id, status, by: via, ...(comment ? { comment } : {}) } },
    changes: [{ type: "approval_answered", id, status, by: via, at: p.store.timestamp(), comment }],
  });
  const after = await p.store.queries.approval(id);
  // Answered elsewhere in the same instant: theirs holds, and says so.
  if (after && after.answered_by !== via) throw new UserError({ reason: "conflict", message: `approval "${id}" was already ${after.status} (by ${after.answered_by})`, fix: "nothing to do: the first answer holds" });
  return after ?? before;
}
