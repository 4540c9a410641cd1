// S5: who approves an allocation when the `require_s5_approval` adaptation is active. A person at a
// terminal is asked; otherwise `--auto-approve` or the config's `approval` policy decides; with
// neither, the cycle stops with a message saying how to proceed (never a silent yes).

export type ApprovalPolicy = "ask" | "approve" | "reject";

export interface ApprovalRequest {
  question: string;
  autoApprove: boolean;
  policy: ApprovalPolicy;
  /** True when stdin and stdout are a terminal. */
  interactive: boolean;
  ask: (question: string, signal: AbortSignal) => Promise<boolean>;
  signal: AbortSignal;
}

export type ApprovalDecision =
  | { decision: "approved" | "rejected"; by: "user" | "flag" | "policy" }
  | { decision: "unavailable"; by: "none" };

export async function decideApproval(r: ApprovalRequest): Promise<ApprovalDecision> {
  if (r.autoApprove) return { decision: "approved", by: "flag" };
  if (r.policy === "approve") return { decision: "approved", by: "policy" };
  if (r.policy === "reject") return { decision: "rejected", by: "policy" };
  if (!r.interactive) return { decision: "unavailable", by: "none" };
  return { decision: (await r.ask(r.question, r.signal)) ? "approved" : "rejected", by: "user" };
}
