// Use case behind `viable prune`: the kept branches (`viable-kept/...`) whose work is already on the
// integration branch are deleted; the others hold work found nowhere else and are listed with why.
// Also what `viable plan show` says about the ones that stay.

import { UserError } from "../domain/errors.ts";
import { keptBranches, pruneKeptBranches, supersededIn, type KeptBranch, type PruneResult } from "../workspace/kept-branches.ts";
import { currentBranch, revParse } from "../workspace/worktrees.ts";
import { withProject, type Project } from "./project.ts";

export type { KeptBranch };

export interface PruneReport extends PruneResult {
  integration: string;
  dry_run: boolean;
}

/** Prunes at once, whatever their age (the grace period is for the loop's own tidying). */
export async function pruneProject(dir: string, options: { dryRun?: boolean } = {}): Promise<PruneReport> {
  // The writer lock: a loop running meanwhile is what makes kept branches.
  return withProject(dir, { writer: options.dryRun !== true, command: "prune" }, async (p) => {
    const integration = await integrationBranch(p);
    const result = await pruneKeptBranches(p.paths.root, integration, await supersededBy(p), { dryRun: options.dryRun === true });
    return { integration, dry_run: options.dryRun === true, ...result };
  });
}

/** The kept branches that hold work found nowhere else, with why (for `plan show`). */
export async function branchesWithUniqueWork(project: Project): Promise<KeptBranch[]> {
  // A plan worked in place, without git or a branch to compare with, has no kept branches to show.
  const integration = await integrationBranch(project).catch(() => null);
  if (integration === null) return [];
  return (await keptBranches(project.paths.root, integration, await supersededBy(project))).filter((b) => !b.prunable);
}

/**
 * Whether a kept branch is an earlier attempt of an item of the stored plan that has passed since:
 * made after the plan was imported (an older plan may have used the same id for other work).
 */
async function supersededBy(p: Project): Promise<(slug: string, committedAt: string) => boolean> {
  const stored = await p.store.queries.plan();
  if (stored === null) return () => false;
  return supersededIn(stored.plan.items, stored.meta.imported_at);
}

/** The branch items merge into: the configured one, else the plan's, else the one checked out. */
async function integrationBranch(p: Project): Promise<string> {
  const stored = await p.store.queries.plan();
  const branch = p.config.loop.integration_branch ?? stored?.meta.integration_branch ?? (await currentBranch(p.paths.root));
  if (branch === null || (await revParse(p.paths.root, `refs/heads/${branch}`)) === null) {
    throw new UserError({
      reason: "bad_usage", field: "loop.integration_branch",
      message: branch === null ? "HEAD is detached, so there is no integration branch to compare kept branches with" : `the integration branch ${branch} does not exist`,
      fix: "check out the branch items merge into, or set loop.integration_branch in .viable/config.json",
    });
  }
  return branch;
}
