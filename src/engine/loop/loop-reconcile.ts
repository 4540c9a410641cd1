// What `viable loop` does before dispatching anything, so that it continues after any stop (Ctrl-C,
// a crash, kill -9) without losing work or doing it twice:
//
// 1. Processes of earlier loop runs still carrying their markers are stopped (attempt ids start with
//    their run's id, so even an attempt whose row never reached the disk is found).
// 2. Git history sync (seed 004): an item whose `session: completed <id>` commit is on the
//    integration branch has passed — whatever the store says. A crash between the fast-forward and
//    its record is thus harmless, and an item is never merged twice.
// 3. Items the store has as running: when their agents had finished (phase verifying, queued or
//    merging) and the worktree is intact, they resume at verification and the merge queue; the rest
//    go back to pending, their worktree and branch left for the next attempt to keep (worktrees.ts).
//    An interrupted attempt does not count against the item's attempts.
// 4. Passed items' leftover worktrees and branches are removed when what they hold is merged.

import fs from "node:fs";
import path from "node:path";
import type { EventType, NewEvent } from "../../domain/events.ts";
import type { ItemId, Plan, PlanItem } from "../../plan/plan.ts";
import { readProcessTable } from "../../process/process-tree.ts";
import { reapMarked, type ReapedProcess } from "../../process/reaper.ts";
import type { Change } from "../../store/changes.ts";
import { EMPTY_ITEM_STATE, type ItemState } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import { provesCompletion, trailerFingerprints } from "../../plan/item-identity.ts";
import { gitOk } from "../../workspace/git.ts";
import { branchExists, completedSessions, discardWorkspace, ITEM_BRANCH_PREFIX, itemBranch, itemWorktreeDir, keepCandidateWork, listWorktrees, removeMergedWorkspace, type CompletionCommit } from "../../workspace/worktrees.ts";
import { MAX_CANDIDATES } from "../../domain/candidates.ts";
import { checkIntegrity, type ItemWorkspace } from "./item-workspace.ts";
import type { WorkspaceMode } from "./loop-context.ts";

export const LOOP_RUN_PREFIX = "loop-";

export interface PlanReconciliation {
  /** Items marked passed because their completion commit is on the integration branch. */
  synced: ItemId[];
  /** Interrupted items that continue at verification and merge, with their worktrees. */
  resume: Map<ItemId, ItemWorkspace>;
  /** Interrupted items sent back to pending. */
  reset: ItemId[];
  reaped: ReapedProcess[];
  notes: string[];
}

export interface ReconcileInput {
  store: Store;
  plan: Plan;
  state: Map<ItemId, ItemState>;
  mode: WorkspaceMode;
  /** The branch to read history from: the integration branch, or HEAD in mode `none`. */
  historyRev: string;
  integration: string | null;
  graceMs: number;
  runId: string;
  signal: AbortSignal;
  /** When the plan was imported: a completion commit without Viable's trailer counts only after it. */
  importedAt: string;
}

export async function reconcilePlan(input: ReconcileInput): Promise<PlanReconciliation> {
  const { store, plan, state, signal } = input;
  const root = store.paths.root;
  const result: PlanReconciliation = { synced: [], resume: new Map(), reset: [], reaped: await reapEarlierRuns(store, input.graceMs), notes: [] };
  const changes: Change[] = [];
  const events: NewEvent[] = [];
  const now = store.timestamp();
  const event = (type: EventType, data: Record<string, unknown>) => events.push({ event_type: type, task_id: input.runId, data });
  const write = (item: PlanItem, s: ItemState) => {
    state.set(item.id, s);
    changes.push({ type: "item_state", id: item.id, status: item.status, attempts: item.attempts, blockedReason: item.status === "blocked" ? (item.blocked_reason ?? null) : null, state: s, now });
  };
  let session = await store.queries.lastSessionNumber();

  const completed = await completedSessions(root, input.historyRev, { signal });
  const importedAt = Date.parse(input.importedAt) / 1000;
  for (const item of plan.items) {
    const commit = completed.get(item.id)?.find((c) => completes(c, plan, item, importedAt))?.commit;
    if (item.status === "passed" || commit === undefined) continue;
    const wasRunning = item.status === "running";
    item.status = "passed";
    delete item.blocked_reason;
    write(item, { ...(state.get(item.id) ?? EMPTY_ITEM_STATE), phase: null, merged_commit: commit, last_error: null });
    event("item_passed", { item: item.id, status: "passed", commit, via: "git history", was_running: wasRunning });
    result.synced.push(item.id);
  }

  for (const item of plan.items) {
    const s = state.get(item.id) ?? EMPTY_ITEM_STATE;
    // An item waiting for a person keeps its worktree and phase: the loop decides what to do with it.
    if (item.status === "passed" || (item.status !== "running" && (s.phase === null || s.phase === "needs_input"))) continue;
    const wasRunning = item.status === "running";
    // The interrupted attempt is not the item's fault: the next take() counts it again.
    if (wasRunning && item.attempts > 0) item.attempts -= 1;
    item.status = "pending";
    let resumeAt: ItemWorkspace | null = null;
    if (input.mode === "worktree" && (s.phase === "verifying" || s.phase === "queued" || s.phase === "merging") && s.branch && s.base_commit) {
      const ws = { dir: itemWorktreeDir(store.paths, item.id), branch: s.branch, base: s.base_commit };
      try {
        await checkIntegrity(ws, signal);
        resumeAt = ws;
      } catch (e) {
        result.notes.push(`${item.id}: its worktree cannot be resumed (${e instanceof Error ? e.message : String(e)}); it runs again and its work is kept`);
      }
    }
    if (resumeAt) {
      result.resume.set(item.id, resumeAt);
      write(item, s);
      event("item_status", { item: item.id, status: "pending", phase: s.phase, resume: "verify and merge", reason: "interrupted after its agents finished" });
    } else {
      write(item, { ...s, phase: null });
      event("item_status", { item: item.id, status: "pending", phase: null, reason: "interrupted: Viable stopped while it was running" });
      result.reset.push(item.id);
    }
    if (wasRunning) {
      const record = { session: ++session, timestamp: now, feature: item.id, success: false, elapsed_seconds: 0, error: "interrupted: Viable stopped during this session", attempt_id: null, run_id: null };
      changes.push({ type: "session_recorded", session: record });
      event("session_recorded", { ...record });
    }
  }

  if (input.mode === "worktree" && input.integration) {
    const passedIds = new Set(plan.items.filter((i) => i.status === "passed").map((i) => i.id));
    const worktrees = await listWorktrees(root, { signal });
    // Read once: which candidate and shadow worktrees or branches exist at all (usually none).
    const present = new Set([
      ...(fs.existsSync(store.paths.worktreesDir) ? fs.readdirSync(store.paths.worktreesDir).map((d) => path.join(store.paths.worktreesDir, d)) : []),
      ...(await gitOk(root, ["for-each-ref", "--format=%(refname:short)", `refs/heads/${ITEM_BRANCH_PREFIX}`], { signal })).split("\n").filter(Boolean),
    ]);
    for (const id of passedIds) {
      const dir = itemWorktreeDir(store.paths, id);
      const hasTree = worktrees.some((w) => w.path === dir) || fs.existsSync(dir);
      for (const left of hasTree || (await branchExists(root, itemBranch(id), { signal })) ? await removeMergedWorkspace(root, id, dir, input.integration, { signal }) : []) {
        result.notes.push(`${id} passed; left in place: ${left}`);
      }
      // What a run stopped mid-item left of its best-of candidates and shadow: the candidates'
      // work kept on branches, the shadow's thrown away (it is never merged).
      const attempts = Math.max(1, plan.items.find((i) => i.id === id)?.attempts ?? 1) + 1;
      const shadows = Array.from({ length: attempts }, (_, a) => `${id}@shadow-${a + 1}`);
      for (const extra of [...shadows, ...Array.from({ length: MAX_CANDIDATES }, (_, k) => `${id}@candidate-${k + 1}`)]) {
        const ws = { dir: itemWorktreeDir(store.paths, extra), branch: itemBranch(extra) };
        if (!present.has(ws.dir) && !present.has(ws.branch)) continue;
        if (shadows.includes(extra)) await discardWorkspace(root, ws, { signal });
        else {
          const kept = await keepCandidateWork(root, ws, input.integration, id, `candidate-${extra.split("-").at(-1)}-interrupted`, { signal });
          if (kept) result.notes.push(`${id} passed; an interrupted candidate's work is kept on ${kept}`);
        }
      }
    }
  }

  if (changes.length > 0 || events.length > 0) await store.journal.commit({ events, changes });
  return result;
}

/** Stops processes left by earlier runs of the loop on this project, found by their run's marker prefix. */
async function reapEarlierRuns(store: Store, graceMs: number): Promise<ReapedProcess[]> {
  const runs = await store.queries.taskIdsWithPrefix(LOOP_RUN_PREFIX);
  if (runs.length === 0) return [];
  const markers = new Set<string>();
  for (const p of readProcessTable()) {
    if (p.marker !== undefined && runs.some((run) => p.marker!.startsWith(`${run}-`))) markers.add(p.marker);
  }
  if (markers.size === 0) return [];
  return reapMarked([...markers], { graceMs });
}

/**
 * Whether a `session: completed <id>` commit is this item's: Viable's own merges carry the item's
 * fingerprint (item-identity.ts) and must match it; a commit without the trailer — a person or
 * seed 004's own orchestrator following the convention — counts when it was made after the plan
 * was imported, so an older commit of another plan that happened to use the same id (Task Master
 * numbers tasks 1..N in every project) never passes an item this plan has not run.
 */
function completes(c: CompletionCommit, plan: Plan, item: PlanItem, importedAt: number): boolean {
  if (trailerFingerprints(c.message).length > 0) return provesCompletion(c.message, plan.source, item);
  return Number.isFinite(importedAt) && c.time >= Math.floor(importedAt);
}
