// A throwaway world for one CLI run: its own HOME and TMPDIR (every CLI writes config, sessions and
// sockets there) and a git repository to work in, all under one temp directory.

import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Scratch {
  root: string;
  home: string;
  tmp: string;
  /** A git repository with one commit, the agent's working directory. */
  repo: string;
  remove(): Promise<void>;
}

export async function createScratch(label: string): Promise<Scratch> {
  // realpath: CLIs report resolved paths, and on some systems the temp dir is a symlink.
  const root = await realpath(await mkdtemp(path.join(tmpdir(), `viable-${label}-`)));
  const home = path.join(root, "home");
  const tmp = path.join(root, "tmp");
  const repo = path.join(root, "repo");
  await Promise.all([mkdir(home), mkdir(tmp), mkdir(repo)]);
  const git = (...args: string[]): void =>
    void execFileSync("git", args, {
      cwd: repo,
      stdio: "ignore",
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, GIT_CONFIG_NOSYSTEM: "1" },
    });
  git("init", "-q", "-b", "main");
  git("-c", "user.name=viable", "-c", "user.email=viable@example.invalid", "commit", "-q", "--allow-empty", "-m", "initial");
  return { root, home, tmp, repo, remove: () => rm(root, { recursive: true, force: true }) };
}
