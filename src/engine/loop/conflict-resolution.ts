// Resolving a merge conflict in the queue instead of redoing the item: the configured integrator
// agent (`loop.integrator`) gets the conflicted merge in a scratch worktree of its own — the
// integration branch's tip with the item's work merged in, conflict markers and all — plus the
// item's description, and resolves it through the same attempt pipeline as every agent (budgets,
// retries, fallbacks). What it leaves is accepted only when no conflict marker is left; the merge
// queue then verifies the result like any merge. Anything else sends the item back for a new
// attempt, as without an integrator.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { OutcomeFailure } from "../../domain/outcome.ts";
import type { PlanItem } from "../../plan/plan.ts";
import { git, gitOk } from "../../workspace/git.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import { itemSlug } from "../../workspace/worktrees.ts";
import { runAgent } from "../attempt/run-agent.ts";
import { composePrompt } from "../prompt.ts";
import { itemTask } from "./item-task.ts";
import { AttemptFailure } from "./item-workspace.ts";
import type { LoopContext } from "./loop-context.ts";

export interface Conflict {
  item: PlanItem;
  attempt: number;
  /** The integration branch's tip and the item's squashed-to-be head. */
  tip: string;
  head: string;
  files: readonly string[];
  /** git's merge of the two, conflict markers included: what the resolution may change. */
  conflictedTree: string;
  env: Record<string, string>;
}

export interface Resolution {
  /** The resolved tree, to be committed on top of `tip`. */
  tree: string;
  agent: string;
  attemptId: string | null;
  costUsd: number | null;
}

// The opening and closing markers only: a line of seven "=" is also a Markdown or reST heading's
// underline, common in the changelogs and READMEs that conflict most.
const MARKER = /^(<{7}|>{7})( |$)/m;

export async function resolveConflict(ctx: LoopContext, integrator: AgentDefinition, c: Conflict): Promise<Resolution> {
  const { signal } = ctx;
  const integration = ctx.integration!;
  // Beside the items' worktrees, not among them: no item's slug can name it.
  const dir = scratchDir(ctx.paths, c.item.id);
  // One left by a run that was killed mid-resolution is stale: start over. Worktrees are added and
  // removed one at a time (git locks its list while it changes it).
  await ctx.adminQueue.run(async () => {
    await removeScratch(ctx.paths.root, dir);
    await gitOk(ctx.paths.root, ["worktree", "add", "--detach", "--quiet", dir, c.tip], { signal });
  });
  try {
    const merged = await git(dir, ["-c", "user.name=Viable", "-c", "user.email=viable@localhost", "merge", "--no-commit", "--no-ff", "--quiet", c.head], { signal });
    if (merged.code === 0) return { tree: await writeTree(dir, signal), agent: "git", attemptId: null, costUsd: null };
    // Anything but a merge stopped at its conflicts is git failing, not something to resolve.
    if (merged.code !== 1 || !fs.existsSync(path.join((await gitOk(dir, ["rev-parse", "--absolute-git-dir"], { signal })).trim(), "MERGE_HEAD"))) {
      throw new Error(`git merge in ${dir} failed (${merged.code}): ${merged.stderr.trim() || merged.stdout.trim()}`);
    }
    const prompt = composePrompt({
      task: `${itemTask(c.item)}\n\n` +
        `The work above is done and verified, but merging it into ${integration} conflicts with what others merged meanwhile. ` +
        `This directory is ${integration} with that work merged in; the conflicts are marked in: ${c.files.join(", ")}. ` +
        `Resolve every conflict so that both sides' changes are kept (${integration}'s and the item's), remove every conflict marker, ` +
        `and leave the result in the working tree. Do not commit, and change nothing else.`,
      agent: integrator, role: "primary", focus: "Resolve the merge conflicts, keeping both sides.", previous: [], acceptance: [],
    });
    const { outcome, attempts } = await runAgent(ctx.pipeline, {
      agent: integrator, taskId: ctx.runId, itemId: c.item.id, prompt, cwd: dir, signal,
      env: { ...c.env, VIABLE_ATTEMPT: String(c.attempt), VIABLE_CONFLICT_FILES: c.files.join("\n") },
    });
    if (signal.aborted) throw signal.reason;
    const attemptId = attempts.at(-1)?.attemptId ?? null;
    // A spent budget or a CLI that cannot run says so, for the loop to act on (it stops).
    if (outcome.status !== "succeeded") throw unresolved(c, integration, `${integrator.name} ${outcome.status}: ${outcome.error ?? outcome.summary}`, outcome.failure);
    const left = c.files.filter((f) => hasMarkers(path.join(dir, f)));
    if (left.length > 0) throw unresolved(c, integration, `${integrator.name} left conflict markers in ${left.join(", ")}`);
    const tree = await writeTree(dir, signal);
    // What may come of it: the conflicted files resolved, the item's work kept, nothing else touched.
    const tipTree = (await gitOk(dir, ["rev-parse", `${c.tip}^{tree}`], { signal })).trim();
    if (tree === tipTree) throw unresolved(c, integration, `${integrator.name} dropped the item's work (the result is ${integration} as it was)`);
    const touched = (await gitOk(dir, ["diff", "--name-only", c.conflictedTree, tree], { signal })).split("\n").filter((f) => f !== "");
    const outside = touched.filter((f) => !c.files.includes(f));
    if (outside.length > 0) throw unresolved(c, integration, `${integrator.name} changed files outside the conflict: ${outside.slice(0, 5).join(", ")}`);
    return { tree, agent: integrator.name, attemptId, costUsd: outcome.costUsd ?? null };
  } finally {
    await ctx.adminQueue.run(() => removeScratch(ctx.paths.root, dir)).catch(() => undefined);
  }
}

/** Everything in the scratch worktree, as it is, as one tree (Viable's state never in it). */
async function writeTree(dir: string, signal: AbortSignal): Promise<string> {
  await gitOk(dir, ["add", "--all", "--", ".", ":(exclude,literal).viable/state"], { signal });
  return (await gitOk(dir, ["write-tree"], { signal })).trim();
}

function hasMarkers(file: string): boolean {
  try {
    return MARKER.test(fs.readFileSync(file, "utf8"));
  } catch {
    // Deleted by the resolution: no markers left in it.
    return false;
  }
}

/** The scratch worktree of an item's resolution: under the state directory, beside `worktrees/`. */
export function scratchDir(paths: ProjectPaths, itemId: string): string {
  return path.join(paths.stateDir, "resolving", itemSlug(itemId));
}

function unresolved(c: Conflict, integration: string, why: string, failure?: OutcomeFailure): AttemptFailure {
  return new AttemptFailure(
    `conflict with ${integration} in ${c.files.join(", ")}; the integrator could not resolve it: ${why}`,
    `Your previous attempt's changes conflicted with work merged into ${integration} meanwhile, in: ${c.files.join(", ")}. ` +
    `Start from the current code (it already contains that work) and make the item's change again, keeping both.`,
    failure, c.files,
  );
}

/** Scratch worktrees a killed run left behind (nothing in them is anyone's work): removed at start-up. */
export async function removeLeftoverScratches(paths: ProjectPaths): Promise<void> {
  const parent = path.join(paths.stateDir, "resolving");
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) await removeScratch(paths.root, path.join(parent, name));
}

async function removeScratch(root: string, dir: string): Promise<void> {
  if (fs.existsSync(dir)) {
    const removed = await git(root, ["worktree", "remove", "--force", dir]);
    if (removed.code !== 0) fs.rmSync(dir, { recursive: true, force: true });
  }
  await git(root, ["worktree", "prune"]);
}
