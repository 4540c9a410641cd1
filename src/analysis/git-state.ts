// The repository facts S4 reports: is it a repo, which branch, is the tree dirty and with what.

import { git } from "../workspace/git.ts";

export interface GitState {
  is_repo: boolean;
  /** The checked-out branch; null when HEAD is detached or this is not a repository. */
  branch: string | null;
  detached: boolean;
  has_commits: boolean;
  dirty: boolean;
  /** Paths that differ from HEAD or are untracked, relative to the scanned directory's repository root. */
  changed_files: string[];
}

const NOT_A_REPO: GitState = { is_repo: false, branch: null, detached: false, has_commits: false, dirty: false, changed_files: [] };

export async function readGitState(dir: string, signal?: AbortSignal): Promise<GitState> {
  const opts = signal ? { signal } : {};
  const inside = await git(dir, ["rev-parse", "--is-inside-work-tree"], opts);
  if (inside.code !== 0 || inside.stdout.trim() !== "true") return { ...NOT_A_REPO, changed_files: [] };

  // symbolic-ref names the branch even before the first commit, and fails only when HEAD is detached.
  const ref = await git(dir, ["symbolic-ref", "--quiet", "--short", "HEAD"], opts);
  const branch = ref.code === 0 ? ref.stdout.trim() : null;
  const head = await git(dir, ["rev-parse", "--verify", "--quiet", "HEAD"], opts);

  const status = await git(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], opts);
  const changed = status.code === 0
    ? status.stdout.split("\0").filter((e) => e.length > 3).map((e) => e.slice(3)).sort()
    : [];
  return {
    is_repo: true,
    branch,
    detached: branch === null,
    has_commits: head.code === 0,
    dirty: changed.length > 0,
    changed_files: changed,
  };
}
