// One plan item as the dashboard shows it — its attempts, verification and diff — and the two
// things a person does to an item that stopped: retry it (a failed or blocked item starts afresh)
// and unblock it (a blocked one only). Changing an item takes the writer lock: while a loop works
// the plan, it is refused with the loop named, like any second writer.

import type { LoopEventData } from "../domain/loop-events.ts";
import fs from "node:fs";
import { UserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import type { PlanItem } from "../plan/plan.ts";
import type { AttemptRecord, ItemState } from "../store/records.ts";
import { git } from "../workspace/git.ts";
import { attemptTranscriptPath, type ProjectPaths } from "../workspace/paths.ts";
import { branchExists, itemBranch, itemWorktreeDir } from "../workspace/worktrees.ts";
import { itemReport, storedPlan, type ItemReport } from "./plan.ts";
import { withProject, type Project } from "./project.ts";

export interface AttemptView {
  id: string;
  task_id: string;
  item_id: string | null;
  agent: string;
  runtime: string;
  model: string | null;
  attempt_no: number;
  status: AttemptRecord["status"];
  started_at: string;
  ended_at: string | null;
  outcome: { status: string; summary: string; error: string | null; cost_usd: number | null; tokens: number; duration_ms: number } | null;
  has_output: boolean;
}

export interface VerificationView {
  at: string;
  attempt: number | null;
  passed: boolean;
  checks: { command: string; passed: boolean; duration_ms: number; output_tail: string }[];
}

export interface ItemDetail {
  item: ItemReport & { description: string; tests: string[]; verify: string[]; cost_usd: number };
  attempts: AttemptView[];
  verification: VerificationView[];
  /** Best-of-N: each attempt's candidates side by side, with the evaluator's choice and reasons. */
  candidates: LoopEventData["item_candidates_evaluated"][];
  /** Shadow runs beside this item's agent: both sides of each pair. */
  shadows: LoopEventData["item_shadow_compared"][];
  events: LogEntry[];
}

export function attemptView(a: AttemptRecord, paths: Pick<ProjectPaths, "transcriptsDir">): AttemptView {
  const o = a.outcome;
  return {
    id: a.id, task_id: a.task_id, item_id: a.item_id, agent: a.agent, runtime: a.runtime, model: o?.model ?? null, attempt_no: a.attempt_no,
    status: a.status, started_at: a.started_at, ended_at: a.ended_at,
    outcome: o ? {
      status: o.status, summary: o.summary, error: o.error ?? null, cost_usd: o.costUsd ?? null,
      tokens: o.usage.inputTokens + o.usage.outputTokens, duration_ms: o.durationMs,
    } : null,
    has_output: fs.existsSync(attemptTranscriptPath(paths, a.id)),
  };
}

export async function itemDetail(p: Project, itemId: string): Promise<ItemDetail> {
  const stored = await storedPlan(p);
  const item = findItem(stored.plan.items, itemId);
  const attempts = (await p.store.queries.attemptsOfItem(item.id)).map((a) => attemptView(a, p.paths));
  const events = await p.store.queries.itemEvents(item.id, 500);
  const verification: VerificationView[] = [];
  for (const e of events) {
    const checks = e.data.checks as VerificationView["checks"] | undefined;
    if (e.event_type === "item_verified" || (e.event_type === "item_failed" && checks)) {
      verification.push({
        at: e.timestamp, attempt: typeof e.data.attempt === "number" ? e.data.attempt : null,
        passed: e.event_type === "item_verified", checks: (checks ?? []).map((c) => ({ ...c, output_tail: c.output_tail ?? "" })),
      });
    }
  }
  const candidates = events.filter((e) => e.event_type === "item_candidates_evaluated").map((e) => e.data as unknown as LoopEventData["item_candidates_evaluated"]);
  const shadows = events.filter((e) => e.event_type === "item_shadow_compared").map((e) => e.data as unknown as LoopEventData["item_shadow_compared"]);
  return {
    item: {
      ...itemReport(item, stored.state.get(item.id)), description: item.description, tests: item.tests, verify: item.verify,
      cost_usd: attempts.reduce((sum, a) => sum + (a.outcome?.cost_usd ?? 0), 0),
    },
    attempts, verification, candidates, shadows, events,
  };
}

export interface ItemDiff {
  /** What the diff is against, and what it shows. */
  base: string | null;
  head: string | null;
  source: "worktree" | "branch" | "merged" | "none";
  stat: { path: string; added: number; removed: number }[];
  diff: string;
  truncated: boolean;
}

/** A diff larger than this is cut: a browser would not show more usefully. */
const MAX_DIFF_BYTES = 512 * 1024;

/**
 * The item's work: in its worktree while it runs (uncommitted changes too), on its branch after, or
 * the commit it was merged as.
 */
export async function itemDiff(p: Project, itemId: string): Promise<ItemDiff> {
  const stored = await storedPlan(p);
  const item = findItem(stored.plan.items, itemId);
  const state: ItemState | undefined = stored.state.get(item.id);
  const root = p.paths.root;
  const worktree = itemWorktreeDir(p.paths, item.id);
  const base = state?.base_commit ?? null;
  if (base && fs.existsSync(worktree)) return withUntracked(worktree, await diffOf(worktree, [base], base, "working tree", "worktree"));
  const branch = itemBranch(item.id);
  const integration = stored.meta.integration_branch;
  if (integration && await branchExists(root, branch)) {
    const mergeBase = (await git(root, ["merge-base", integration, branch])).stdout.trim();
    if (mergeBase) return diffOf(root, [mergeBase, branch], mergeBase, branch, "branch");
  }
  if (state?.merged_commit) return diffOf(root, [`${state.merged_commit}^`, state.merged_commit], `${state.merged_commit}^`, state.merged_commit, "merged");
  return { base: null, head: null, source: "none", stat: [], diff: "", truncated: false };
}

async function diffOf(cwd: string, range: string[], base: string, head: string, source: ItemDiff["source"]): Promise<ItemDiff> {
  const numstat = await git(cwd, ["diff", "--numstat", "--no-renames", ...range]);
  const patch = await git(cwd, ["diff", "--no-color", "--no-ext-diff", ...range]);
  const stat = numstat.stdout.split("\n").filter(Boolean).map((line) => {
    const [added, removed, ...file] = line.split("\t");
    return { path: file.join("\t"), added: Number(added) || 0, removed: Number(removed) || 0 };
  });
  const truncated = Buffer.byteLength(patch.stdout) > MAX_DIFF_BYTES;
  return { base, head, source, stat, diff: truncated ? Buffer.from(patch.stdout).subarray(0, MAX_DIFF_BYTES).toString("utf8") : patch.stdout, truncated };
}

/** Files not yet known to git: an agent's new files, before its work is committed, shown as added. */
const MAX_UNTRACKED = 50;

async function withUntracked(dir: string, d: ItemDiff): Promise<ItemDiff> {
  const files = (await git(dir, ["ls-files", "--others", "--exclude-standard", "-z"])).stdout.split("\0").filter(Boolean).slice(0, MAX_UNTRACKED);
  let diff = d.diff;
  const stat = [...d.stat];
  for (const file of files) {
    if (Buffer.byteLength(diff) > MAX_DIFF_BYTES) break;
    // --no-index against nothing: the file as an addition (exit 1 means "there is a difference").
    const added = await git(dir, ["diff", "--no-color", "--no-index", "--", "/dev/null", file]);
    diff += added.stdout;
    stat.push({ path: file, added: added.stdout.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++")).length, removed: 0 });
  }
  const truncated = d.truncated || Buffer.byteLength(diff) > MAX_DIFF_BYTES;
  return { ...d, stat, diff: truncated ? Buffer.from(diff).subarray(0, MAX_DIFF_BYTES).toString("utf8") : diff, truncated };
}

/** Retry: a failed or blocked item goes back to pending with its attempts counted afresh. Unblock: a blocked one only. */
export async function changeItem(dir: string, itemId: string, action: "retry" | "unblock", source: string): Promise<ItemReport> {
  return withProject(dir, { writer: true, command: `plan ${action}` }, async (p) => {
    const stored = await storedPlan(p);
    const item = findItem(stored.plan.items, itemId);
    const allowed = action === "retry" ? ["failed", "blocked"] : ["blocked"];
    if (!allowed.includes(item.status)) {
      throw new UserError({
        reason: "conflict", message: `item "${item.id}" is ${item.status}; only a ${allowed.join(" or ")} item can be ${action === "retry" ? "retried" : "unblocked"}`,
        fix: action === "unblock" && item.status === "failed" ? "retry it instead" : "nothing to do",
      });
    }
    const state = { ...(stored.state.get(item.id) ?? { phase: null, branch: null, base_commit: null, merged_commit: null, last_error: null }), phase: null };
    await p.store.journal.commit({
      event: { event_type: "item_status", data: { item: item.id, status: "pending", previous: item.status, action, source } },
      changes: [{ type: "item_state", id: item.id, status: "pending", attempts: 0, blockedReason: null, state, now: p.store.timestamp() }],
    });
    return itemReport({ ...item, status: "pending", attempts: 0 }, state);
  });
}

function findItem(items: readonly PlanItem[], id: string): PlanItem {
  const item = items.find((i) => i.id === id);
  if (!item) throw new UserError({ reason: "not_found", message: `the plan has no item "${id}"`, fix: "pick an item id from `viable plan show`" });
  return item;
}
