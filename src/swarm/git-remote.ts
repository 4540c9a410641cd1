// The project's git remote (`loop.remote`) as the coordinator and the workers use it: the
// coordinator publishes the integration branch there and fetches the workers' branches from it;
// workers fetch the integration branch and push their work. A path to a bare repository, or any
// URL git itself can reach (SSH, HTTPS) — git's own transport and credentials, nothing of ours.

import { git, gitOk } from "../workspace/git.ts";

/** Fetches `branch` of the remote into the local ref `into`; returns the commit, or null when the remote has no such branch. */
export async function fetchBranch(root: string, remote: string, branch: string, into: string, signal?: AbortSignal): Promise<string | null> {
  const r = await git(root, ["fetch", "--quiet", "--no-tags", remote, `+refs/heads/${branch}:${into}`], signal ? { signal } : {});
  if (r.code !== 0) {
    const ls = await git(root, ["ls-remote", "--heads", remote, branch], signal ? { signal } : {});
    if (ls.code === 0 && ls.stdout.trim() === "") return null;
    throw new Error(`git fetch ${remote} ${branch} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return (await gitOk(root, ["rev-parse", `${into}^{commit}`], signal ? { signal } : {})).trim();
}

/**
 * Pushes `commit` to the remote's `branch`. Without `force`, only a fast-forward: a remote branch
 * that moved elsewhere is refused by git, not overwritten.
 */
export async function pushCommit(root: string, remote: string, commit: string, branch: string, opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  await gitOk(root, ["push", "--quiet", remote, `${opts.force ? "+" : ""}${commit}:refs/heads/${branch}`], opts.signal ? { signal: opts.signal } : {});
}

/** The commit the remote's `branch` points to, or null. */
export async function remoteTip(root: string, remote: string, branch: string, signal?: AbortSignal): Promise<string | null> {
  const out = await gitOk(root, ["ls-remote", "--heads", remote, `refs/heads/${branch}`], signal ? { signal } : {});
  const line = out.split("\n").find((l) => l.endsWith(`refs/heads/${branch}`));
  return line ? line.split(/\s+/)[0]! : null;
}
