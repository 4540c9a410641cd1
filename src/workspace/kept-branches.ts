// The `viable-kept/<item>/<label>` branches the loop makes so that no work is ever thrown away, and
// which of them still matter. A kept branch can go once its work is on the integration branch —
// its commits are there (merged), or merging it would change nothing (a later attempt made the same
// change, or a bigger one; git's own three-way merge decides, so it sees work by content, not by
// commit identity) — or once its item has passed since, so that what it holds is an earlier,
// superseded attempt at work that is done. A branch of an item that has not passed holds work found
// nowhere else and stays, however old it is.

import { git, gitOk } from "./git.ts";
import { itemSlug, KEPT_BRANCH_PREFIX } from "./worktrees.ts";

type Opts = { signal?: AbortSignal };

export interface KeptBranch {
  /** The branch's short name, `viable-kept/<item>/<label>`. */
  name: string;
  /** Its tip when it was looked at (deletion checks it has not moved since). */
  tip: string;
  /** When the tip was committed (ISO 8601). */
  committedAt: string;
  /** Whether its work is on the integration branch, so deleting it loses nothing. */
  prunable: boolean;
  /** Why it may go, or why it stays. */
  why: string;
  /** For a branch that stays: the files whose changes the integration branch lacks. */
  files: string[];
}

/** The item a kept branch belongs to: the `<item>` of `viable-kept/<item>/<label>` (its slug). */
export function keptItemSlug(name: string): string {
  return name.slice(KEPT_BRANCH_PREFIX.length).split("/")[0] ?? "";
}

/**
 * Every kept branch, oldest first, each with whether it may go. `superseded`: whether the branch
 * is an earlier attempt of an item of the current plan that has passed since (the caller knows the
 * plan: an id reused by a later plan must not make an old plan's unfinished work look superseded).
 */
export async function keptBranches(root: string, integration: string, superseded: (slug: string, committedAt: string) => boolean, opts: Opts = {}): Promise<KeptBranch[]> {
  const listed = await gitOk(root, ["for-each-ref", "--sort=refname", "--sort=committerdate", "--format=%(refname:short)%00%(objectname)%00%(committerdate:iso-strict)%00%(worktreepath)", `refs/heads/${KEPT_BRANCH_PREFIX}`], opts);
  const entries = listed.split("\n").filter((l) => l !== "").map((l) => l.split("\0") as [string, string, string, string]);
  if (entries.length === 0) return [];
  const [tip, tree] = (await gitOk(root, ["rev-parse", `refs/heads/${integration}^{commit}`, `refs/heads/${integration}^{tree}`], opts)).trim().split("\n") as [string, string];
  const out: KeptBranch[] = [];
  for (const [name, commit, committedAt, checkedOut] of entries) {
    const base = { name, tip: commit, committedAt };
    // Someone is looking at it: not ours to delete under them.
    if (checkedOut) {
      out.push({ ...base, prunable: false, why: `it is checked out in ${checkedOut}`, files: [] });
      continue;
    }
    let judged: Pick<KeptBranch, "prunable" | "why" | "files">;
    try {
      judged = await judge(root, integration, tip, tree, commit, opts);
    } catch (e) {
      // One branch git cannot compare (unrelated history) does not hide the others; it stays.
      out.push({ ...base, prunable: false, why: `it could not be compared with ${integration}: ${e instanceof Error ? e.message : String(e)}`, files: [] });
      continue;
    }
    if (!judged.prunable && superseded(keptItemSlug(name), committedAt)) {
      judged = { prunable: true, why: "its item has passed since: this is an earlier attempt's work, superseded by what was merged", files: judged.files };
    }
    out.push({ ...base, ...judged });
  }
  return out;
}

async function judge(root: string, integration: string, tip: string, tree: string, commit: string, opts: Opts): Promise<Pick<KeptBranch, "prunable" | "why" | "files">> {
  if ((await git(root, ["merge-base", "--is-ancestor", commit, tip], opts)).code === 0) {
    return { prunable: true, why: `its commits are on ${integration}`, files: [] };
  }
  const merged = await git(root, ["merge-tree", "--write-tree", "--name-only", "--no-messages", tip, commit], opts);
  if (merged.code === 1) {
    const files = merged.stdout.trim().split("\n").slice(1).filter((l) => l !== "");
    return { prunable: false, why: `its changes conflict with ${integration} (work found nowhere else)`, files };
  }
  if (merged.code !== 0) throw new Error(`git merge-tree failed: ${merged.stderr.trim() || merged.stdout.trim()}`);
  const mergedTree = merged.stdout.split("\n")[0]!.trim();
  if (mergedTree === tree) return { prunable: true, why: `its changes are already on ${integration} (later work made them)`, files: [] };
  const files = (await gitOk(root, ["diff", "--name-only", tree, mergedTree], opts)).split("\n").filter((l) => l !== "");
  return { prunable: false, why: `holds changes ${integration} lacks`, files };
}

/**
 * The `superseded` test for a plan: the branch's item has passed, and the branch was made after the
 * plan was imported (so it is that item's, not an older plan's that used the same id).
 */
export function supersededIn(items: readonly { id: string; status: string }[], importedAt: string): (slug: string, committedAt: string) => boolean {
  const passed = new Set(items.filter((i) => i.status === "passed").map((i) => itemSlug(i.id)));
  // Commit times have whole seconds: one in the second of the import counts as after it.
  const since = Math.floor(Date.parse(importedAt) / 1000) * 1000;
  return (slug, committedAt) => passed.has(slug) && Date.parse(committedAt) >= since;
}

export interface PruneResult {
  deleted: KeptBranch[];
  kept: KeptBranch[];
}

/**
 * Deletes the prunable kept branches committed before `olderThan` (all of them without it). A
 * branch is deleted only while it still points where it was judged: one that moved meanwhile stays.
 */
export async function pruneKeptBranches(
  root: string, integration: string, superseded: (slug: string, committedAt: string) => boolean, options: Opts & { olderThan?: Date; dryRun?: boolean } = {},
): Promise<PruneResult> {
  const opts = options.signal ? { signal: options.signal } : {};
  const result: PruneResult = { deleted: [], kept: [] };
  for (const branch of await keptBranches(root, integration, superseded, opts)) {
    const due = options.olderThan === undefined || Date.parse(branch.committedAt) < options.olderThan.getTime();
    if (!branch.prunable || !due) {
      result.kept.push(branch);
      continue;
    }
    if (options.dryRun !== true && (await git(root, ["update-ref", "-d", `refs/heads/${branch.name}`, branch.tip], opts)).code !== 0) {
      result.kept.push({ ...branch, prunable: false, why: "it moved while being pruned" });
      continue;
    }
    result.deleted.push(branch);
  }
  return result;
}
