// Several agents on one item (best-of-N): who the candidates are, and how each did. Candidates run
// in parallel, each in its own worktree from the same base; the harness — not the agents — decides
// which one's work is merged: a candidate that fails verification is out, the rest are scored, and
// a reviewer agent may choose among the finalists.

import type { RuntimeName } from "./runtime.ts";

/** Candidates per item at most (config `loop.best_of.n`, an item's `best_of`). */
export const MAX_CANDIDATES = 16;

/** One way to do the item: the item's own agent unless `agent` names another; `runtime`/`model` override its CLI and model. */
export interface Candidate {
  agent?: string;
  runtime?: RuntimeName;
  model?: string;
}

/** How one candidate did, as the evaluator saw it. */
export type CandidateResult = {
  /** 1-based, in the order the candidates were listed. */
  candidate: number;
  agent: string;
  runtime: string;
  model: string | null;
  /** Did not start: the item's budget could not cover another one, or a first_pass winner came first. */
  skipped: string | null;
  /** Stopped before it could finish (first_pass, `viable shadow off`, the run stopping, a usage limit): not a verdict; `reason` says why. */
  stopped: boolean;
  passed: boolean;
  /** Why it is out, when it is. */
  reason: string | null;
  /** The extra scoring checks (`loop.best_of.checks`) that passed, of how many. */
  checks_passed: number;
  checks_total: number;
  files: string[];
  diff_lines: number;
  outside_scope: string[];
  score: number | null;
  cost_usd: number;
  duration_s: number;
  tokens: number;
  /** Where its work is kept (the winner's is merged). */
  branch: string | null;
};
