// S5: who approves an allocation when the `require_s5_approval` adaptation is active. `--auto-approve`
// or the config's `approval` policy decide first. Otherwise a person does: at the terminal, or from
// elsewhere (the dashboard of a `viable serve` watching the project) — whichever answers first; the
// other question is withdrawn. With nobody to ask, or nobody answering in time, the cycle stops with
// a message saying how to proceed (never a silent yes).

export type ApprovalPolicy = "ask" | "approve" | "reject";

/** An answer given somewhere else than this process's terminal, and where. */
export interface RemoteAnswer {
  approved: boolean;
  via: string;
}

export interface ApprovalRequest {
  question: string;
  autoApprove: boolean;
  policy: ApprovalPolicy;
  /** True when stdin and stdout are a terminal. */
  interactive: boolean;
  ask: (question: string, signal: AbortSignal) => Promise<boolean>;
  /**
   * Waits for an answer from elsewhere; resolves null when nobody answered in time. Absent when
   * nobody elsewhere can answer.
   */
  remote?: ((signal: AbortSignal) => Promise<RemoteAnswer | null>) | undefined;
  signal: AbortSignal;
}

export type ApprovalDecision =
  | { decision: "approved" | "rejected"; by: "flag" | "policy" }
  | { decision: "approved" | "rejected"; by: "user"; via: string }
  | { decision: "unavailable"; by: "none"; unanswered: boolean };

export async function decideApproval(r: ApprovalRequest): Promise<ApprovalDecision> {
  if (r.autoApprove) return { decision: "approved", by: "flag" };
  if (r.policy === "approve") return { decision: "approved", by: "policy" };
  if (r.policy === "reject") return { decision: "rejected", by: "policy" };
  if (!r.interactive && !r.remote) return { decision: "unavailable", by: "none", unanswered: false };
  // Both asked at once; the first answer withdraws the other question.
  const withdraw = new AbortController();
  const onAbort = () => withdraw.abort(r.signal.reason);
  r.signal.addEventListener("abort", onAbort, { once: true });
  const askers: Promise<RemoteAnswer | null>[] = [];
  if (r.interactive) askers.push(r.ask(r.question, withdraw.signal).then((approved) => ({ approved, via: "terminal" })));
  if (r.remote) askers.push(r.remote(withdraw.signal));
  try {
    const answer = await Promise.race(askers.map((a) => a.catch((e: unknown) => {
      // A withdrawn question (the other side answered) never settles the race.
      if (withdraw.signal.aborted && !r.signal.aborted) return new Promise<never>(() => undefined);
      throw e;
    })));
    if (answer === null) return { decision: "unavailable", by: "none", unanswered: true };
    return { decision: answer.approved ? "approved" : "rejected", by: "user", via: answer.via };
  } finally {
    r.signal.removeEventListener("abort", onAbort);
    withdraw.abort();
  }
}
