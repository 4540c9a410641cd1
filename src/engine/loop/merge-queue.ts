// The merge queue: one item at a time, its verified work is squashed into one commit on top of the
// integration branch's current tip, verified again when that tip has moved since the item started,
// and the integration branch is fast-forwarded to it. The commit's subject is seed 004's
// `session: completed <id>`, which is how a later run (or seed 004's own orchestrator) knows the
// item is done, from git alone.
//
// The squash is computed by `git merge-tree --write-tree` (a three-way merge without touching any
// work tree), so a conflict leaves nothing half-done to clean up: it is reported with its files and
// the item is retried on a fresh base with that as context.

import { runVerification, type VerificationInput } from "../../audit/verification.ts";
import type { ViableConfig } from "../../config/config.ts";
import { completionTrailer } from "../../plan/item-identity.ts";
import type { PlanItem, PlanSource } from "../../plan/plan.ts";
import { git, gitOk } from "../../workspace/git.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import { isAncestor, worktreeState } from "../../workspace/worktrees.ts";
import { AttemptFailure, type ItemWorkspace } from "./item-workspace.ts";

/** Runs tasks one after another, in the order they were queued. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** The loop cannot go on (the main worktree is in the way): not the item's fault. */
export class MergeBlocked extends Error {
  override readonly name = "MergeBlocked";
}

export interface MergeInput {
  paths: ProjectPaths;
  config: ViableConfig;
  integration: string;
  /** The plan's source, for the item's fingerprint in the commit. */
  source: PlanSource;
  item: PlanItem;
  attempt: number;
  runId: string;
  workspace: ItemWorkspace;
  verify: string[];
  env: Record<string, string>;
  signal: AbortSignal;
  /** How the re-verification's processes are started (the loop's helpers). */
  processes?: VerificationInput["strategy"];
  /**
   * Resolves a conflicted squash (the integrator): the tree to commit on top of `tip`. Throws an
   * AttemptFailure when it cannot; without it a conflict fails the attempt at once.
   */
  resolve?: (conflict: { tip: string; head: string; files: string[]; conflictedTree: string }) => Promise<string>;
  /** Called once the squashed commit exists, before the integration branch moves. */
  onSquashed?: (commit: string, reverify: boolean) => void;
}

export interface MergeResult {
  commit: string;
  /** Whether the tip had moved, so the merged tree was verified again. */
  reverified: boolean;
  /** The worktree's private git directory (for its cleanup). */
  gitDir: string;
}

/** The message of the commit that lands an item. */
export function sessionMessage(source: PlanSource, item: PlanItem, attempt: number, runId: string): string {
  return `session: completed ${item.id}\n\n${item.name}\n\n${completionTrailer(source, item)}\nViable-Attempt: ${attempt}\nViable-Run: ${runId}\n`;
}

export async function mergeItem(m: MergeInput): Promise<MergeResult> {
  const { paths, integration, workspace: ws, signal } = m;
  // The tip can move under us (someone commits to the branch): then squash again on the new tip.
  for (let round = 0; round < 5; round++) {
    // The worktree shares the repository's refs: its HEAD, HEAD's tree and the tip in one call.
    const read = await git(ws.dir, ["rev-parse", "--absolute-git-dir", "HEAD", "HEAD^{tree}", `refs/heads/${integration}`], { signal });
    const [gitDir, head, headTree, tip] = read.stdout.split("\n");
    if (read.code !== 0 || !gitDir || !head || !headTree || !tip) throw new AttemptFailure(`cannot read ${ws.branch} or ${integration}: ${read.stderr.trim()}`);
    const upToDate = tip === head || (await isAncestor(paths.root, tip, head, { signal }));
    let tree: string;
    if (upToDate) {
      tree = headTree;
    } else {
      const merged = await git(paths.root, ["merge-tree", "--write-tree", "--name-only", "--no-messages", tip, head], { signal });
      if (merged.code !== 0 && merged.code !== 1) throw new Error(`git merge-tree failed: ${merged.stderr.trim() || merged.stdout.trim()}`);
      if (merged.code === 0) {
        tree = merged.stdout.split("\n")[0]!.trim();
      } else {
        const files = merged.stdout.trim().split("\n").slice(1).filter((l) => l !== "");
        if (m.resolve === undefined) {
          throw new AttemptFailure(
            `conflict with ${integration} in ${files.join(", ") || "some files"}`,
            `Your previous attempt's changes conflicted with work merged into ${integration} meanwhile, in: ${files.join(", ")}. ` +
            `Start from the current code (it already contains that work) and make the item's change again, keeping both.`,
            undefined, files,
          );
        }
        // The integrator resolves it; what it makes is verified again below, like any merge.
        tree = await m.resolve({ tip, head, files, conflictedTree: merged.stdout.split("\n")[0]!.trim() });
      }
    }
    const commit = (await gitOk(paths.root, ["commit-tree", tree, "-p", tip, "-F", "-"], { input: sessionMessage(m.source, m.item, m.attempt, m.runId), signal })).trim();
    // The worktree follows the squashed commit: its branch is then in the integration branch once
    // merged (so cleanup can remove it), and a re-verification runs on exactly what will land.
    await gitOk(ws.dir, ["reset", upToDate ? "--soft" : "--hard", "--quiet", commit], { signal });
    m.onSquashed?.(commit, !upToDate);
    if (!upToDate && m.verify.length > 0) {
      const report = await runVerification({
        commands: m.verify, cwd: ws.dir, signal, env: m.env,
        timeoutMs: m.config.defaults.verify_timeout * 1000, killGraceMs: m.config.defaults.kill_grace_ms, maxOutputBytes: m.config.defaults.max_output_bytes,
        transcriptDir: paths.transcriptsDir, label: `${m.runId}-${ws.branch.replace(/\//g, "_")}-${m.attempt}-reverify`, requireCommands: false, agentFailures: [],
        ...(m.processes ? { strategy: m.processes } : {}),
      });
      if (signal.aborted) throw signal.reason;
      if (!report.passed) {
        // The item's own commits go back on its branch, so the next attempt keeps them as they
        // were (a resolution may have changed them), not only the squash that failed.
        await git(ws.dir, ["reset", "--hard", "--quiet", head]);
        throw new AttemptFailure(`verification failed after rebasing onto ${integration}: ${report.findings.join("; ")}`,
          `Your previous attempt passed on its own but failed once combined with the latest ${integration}:\n${report.feedback}`);
      }
    }
    if (signal.aborted) throw signal.reason;
    if (await fastForward(paths.root, integration, tip, commit)) return { commit, reverified: !upToDate && m.verify.length > 0, gitDir };
  }
  throw new AttemptFailure(`${integration} kept moving while the item was being merged`);
}

/**
 * Moves `integration` from `from` to `to`; false when it had moved meanwhile. Not cancellable: a
 * fast-forward cut short could leave the main worktree's files half updated, and it takes moments.
 */
async function fastForward(root: string, integration: string, from: string, to: string): Promise<boolean> {
  const main = await worktreeState(root);
  if (main?.branch === integration) {
    // Checked out in the main worktree: its files follow, and git refuses to overwrite local changes.
    if (main.head !== from) return false;
    const r = await git(root, ["merge", "--ff-only", "--quiet", to]);
    if (r.code !== 0) {
      throw new MergeBlocked(`cannot fast-forward ${integration} in ${root}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return true;
  }
  const r = await git(root, ["update-ref", "-m", "viable: merge plan item", `refs/heads/${integration}`, to, from]);
  return r.code === 0;
}
