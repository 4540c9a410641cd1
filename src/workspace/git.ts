// Thin, typed wrappers over the git CLI. Viable uses git itself (not a library) so it behaves
// exactly like the user's own git, hooks and config included.

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gitEnv } from "./project.ts";

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function git(cwd: string, args: string[], opts: { signal?: AbortSignal; input?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", args, { cwd, env: gitEnv(opts.env), maxBuffer: 256 * 1024 * 1024, signal: opts.signal }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code !== "number") {
        if (error.name === "AbortError") return reject(new Error(`git ${args[0] ?? ""} was cancelled`, { cause: error }));
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return reject(new Error("git is not installed or not on PATH"));
      }
      resolve({ stdout, stderr, code: error ? Number((error as NodeJS.ErrnoException).code ?? 1) : 0 });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like `git` but throws with git's own message when it fails. */
export async function gitOk(cwd: string, args: string[], opts: { signal?: AbortSignal; input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Paths that differ from HEAD or are untracked (not ignored), relative to `cwd`. */
export async function changedPaths(cwd: string, signal?: AbortSignal): Promise<string[]> {
  const out = await gitOk(cwd, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], signal ? { signal } : {});
  const paths: string[] = [];
  for (const entry of out.split("\0")) {
    if (entry.length > 3) paths.push(entry.slice(3));
  }
  return paths;
}

/**
 * The work tree's changes against HEAD as a patch, new files included — through an index of its
 * own, so the workspace's index (what an agent may have staged) is left exactly as it was.
 */
export async function workingDiff(cwd: string, signal?: AbortSignal): Promise<string> {
  const index = join(tmpdir(), `viable-index-${randomUUID()}`);
  const opts = { env: { GIT_INDEX_FILE: index }, ...(signal ? { signal } : {}) };
  try {
    // A copy of the real index keeps its file stats, so only changed files are read again.
    const real = resolve(cwd, (await gitOk(cwd, ["rev-parse", "--git-path", "index"], signal ? { signal } : {})).trim());
    if (existsSync(real)) copyFileSync(real, index);
    else await gitOk(cwd, ["read-tree", "HEAD"], opts);
    await gitOk(cwd, ["add", "-A"], opts);
    return await gitOk(cwd, ["diff", "--cached", "--no-color", "--no-ext-diff", "HEAD"], opts);
  } finally {
    rmSync(index, { force: true });
  }
}

/** Content hashes of `paths` in the work tree ("absent" for deleted files). */
export async function hashPaths(cwd: string, paths: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const present = paths.filter((p) => existsSync(join(cwd, p)));
  const result = new Map<string, string>(paths.map((p) => [p, "absent"]));
  if (present.length === 0) return result;
  const out = await gitOk(cwd, ["hash-object", "--no-filters", "--stdin-paths"], { input: present.join("\n") + "\n", ...(signal ? { signal } : {}) });
  const hashes = out.trim().split("\n");
  present.forEach((p, i) => result.set(p, hashes[i] ?? "unknown"));
  return result;
}

/** Hash of each path as committed at HEAD ("absent" when not in HEAD). */
export async function headHashes(cwd: string, paths: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const result = new Map<string, string>(paths.map((p) => [p, "absent"]));
  if (paths.length === 0) return result;
  const r = await git(cwd, ["ls-tree", "-z", "HEAD", "--", ...paths], signal ? { signal } : {});
  if (r.code !== 0) return result; // no commits yet: everything is new
  for (const line of r.stdout.split("\0")) {
    const m = /^\d+ \w+ ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (m?.[1] && m[2]) result.set(m[2], m[1]);
  }
  return result;
}
