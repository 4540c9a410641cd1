// S5: who approves an allocation when the `require_s5_approval` adaptation is active. `--auto-approve`
// or the config's `approval` policy decide first. Otherwise a person does: at the terminal, or from
// elsewhere (the dashboard of a `viable serve` watching the project) — whichever answers first; the
// other question is withdrawn. With nobody to ask, or nobody answering in time, the cycle stops with
// a message saying how to proceed (never a silent yes).

import type { ApprovalAnswer } from "./approval-wait.ts";

export type ApprovalPolicy = "ask" | "approve" | "reject";

/** What a flag or the policy decides without a person; null: a person must. */
export function ruleDecision(autoApprove: boolean, policy: ApprovalPolicy): { decision: "approved" | "rejected"; by: "flag" | "policy" } | null {
  if (autoApprove) return { decision: "approved", by: "flag" };
  if (policy === "approve") return { decision: "approved", by: "policy" };
  if (policy === "reject") return { decision: "rejected", by: "policy" };
  return null;
}

export interface PersonRequest {
  /** Asks at the terminal, when there is one; resolves to the answer that holds. */
  terminal: ((signal: AbortSignal) => Promise<ApprovalAnswer>) | undefined;
  /** Waits for an answer from elsewhere, when someone watches; null when none came. */
  remote: ((signal: AbortSignal) => Promise<ApprovalAnswer | null>) | undefined;
  signal: AbortSignal;
}

/** The first answer of the terminal and the remote side; null when the remote side gave up and there is no terminal. */
export async function askPerson(r: PersonRequest): Promise<ApprovalAnswer | null> {
  const withdraw = new AbortController();
  const onAbort = () => withdraw.abort(r.signal.reason);
  r.signal.addEventListener("abort", onAbort, { once: true });
  const askers: Promise<ApprovalAnswer | null>[] = [];
  if (r.terminal) askers.push(r.terminal(withdraw.signal));
  // With a terminal, the remote side giving up does not end the question: the person here may answer.
  if (r.remote) askers.push(r.remote(withdraw.signal).then((a) => (a === null && r.terminal ? new Promise<never>(() => undefined) : a)));
  try {
    return await Promise.race(askers.map((a) => a.catch((e: unknown) => {
      // A withdrawn question (the other side answered) never settles the race.
      if (withdraw.signal.aborted && !r.signal.aborted) return new Promise<never>(() => undefined);
      throw e;
    })));
  } finally {
    r.signal.removeEventListener("abort", onAbort);
    withdraw.abort();
  }
}
