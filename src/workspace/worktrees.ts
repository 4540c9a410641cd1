// Git worktrees for plan items: one per attempt, on branch `viable/<item>`, under
// `.viable/state/worktrees/`, branched from the integration branch as it is when the item starts.
//
// The rule every function here keeps: nothing removes a worktree or a branch that holds work found
// nowhere else. Uncommitted changes are committed first; commits the integration branch does not
// have are kept on a `viable-kept/<item>/<n>` branch before the item's branch is reused. People can
// look at (and cherry-pick from) those branches; they go only once their work is on the
// integration branch or their item has passed since (kept-branches.ts), never while they hold the
// only work of an unfinished item.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { git, gitOk } from "./git.ts";
import type { ProjectPaths } from "./paths.ts";

export const ITEM_BRANCH_PREFIX = "viable/";
export const KEPT_BRANCH_PREFIX = "viable-kept/";
/** Written by Viable into each worktree's private git directory: paths the setup hook made. */
const SETUP_PATHS_FILE = "viable-setup-paths";

type Opts = { signal?: AbortSignal };

/**
 * A name safe as a branch component and a directory name: item ids are whatever the plan says
 * ("5.2", "bd-a1b2", "Add login"), refs are not. A changed id gets a short hash of the original, so
 * two ids that clean up the same way still get different names.
 */
export function itemSlug(itemId: string): string {
  let slug = itemId.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/\.{2,}/g, ".").replace(/^[.-]+/, "").replace(/[.]+$/, "").replace(/\.lock$/i, "-lock");
  if (slug === "") slug = "item";
  if (slug.length > 80) slug = slug.slice(0, 80);
  if (slug !== itemId) slug = `${slug}-${createHash("sha256").update(itemId).digest("hex").slice(0, 6)}`;
  return slug;
}

export function itemBranch(itemId: string): string {
  return `${ITEM_BRANCH_PREFIX}${itemSlug(itemId)}`;
}

export function itemWorktreeDir(paths: ProjectPaths, itemId: string): string {
  return path.join(paths.worktreesDir, itemSlug(itemId));
}

export async function revParse(cwd: string, rev: string, opts: Opts = {}): Promise<string | null> {
  const r = await git(cwd, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], opts);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The branch checked out in `cwd`, or null when HEAD is detached. */
export async function currentBranch(cwd: string, opts: Opts = {}): Promise<string | null> {
  const r = await git(cwd, ["symbolic-ref", "--quiet", "--short", "HEAD"], opts);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** One look at a work tree: its top directory, its private git directory, HEAD's commit and branch. */
export interface WorktreeState {
  top: string;
  gitDir: string;
  /** null on an orphan branch with no commit. */
  head: string | null;
  /** The branch checked out (short name), or null when HEAD is detached. */
  branch: string | null;
}

/**
 * What `dir` is, in one git call (and one read of its HEAD file, where git keeps the branch checked
 * out); null when it is not inside a git work tree at all.
 */
export async function worktreeState(dir: string, opts: Opts = {}): Promise<WorktreeState | null> {
  const r = await git(dir, ["rev-parse", "--show-toplevel", "--absolute-git-dir"], opts);
  if (r.code !== 0) return null;
  const [top, gitDir] = r.stdout.split("\n");
  if (!top || !gitDir) return null;
  let headFile: string;
  try {
    headFile = fs.readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
  } catch {
    return null;
  }
  const ref = /^ref: (refs\/\S+)$/.exec(headFile)?.[1];
  const head = ref === undefined ? (/^[0-9a-f]{40,64}$/.test(headFile) ? headFile : null) : await revParse(dir, "HEAD", opts);
  return { top, gitDir, head, branch: ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null };
}

/** The commits of several refs at once (one git call); a ref that does not exist maps to null. */
export async function refTips(cwd: string, refs: readonly string[], opts: Opts = {}): Promise<Map<string, string | null>> {
  const out = await gitOk(cwd, ["for-each-ref", "--format=%(refname) %(objectname)", ...refs], opts);
  const found = new Map<string, string | null>(refs.map((r) => [r, null]));
  for (const line of out.split("\n")) {
    const [ref, sha] = line.split(" ");
    if (ref && sha && found.has(ref)) found.set(ref, sha);
  }
  return found;
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string, opts: Opts = {}): Promise<boolean> {
  const r = await git(cwd, ["merge-base", "--is-ancestor", ancestor, descendant], opts);
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw new Error(`git merge-base --is-ancestor ${ancestor} ${descendant} failed: ${r.stderr.trim()}`);
}

/** Paths with uncommitted changes (untracked included, ignored files not), minus `except`. */
export async function uncommittedPaths(dir: string, except: readonly string[] = [], opts: Opts = {}): Promise<string[]> {
  return workPaths(await statusEntries(dir, opts), except);
}

interface StatusEntry {
  /** Porcelain v1's two status letters: index, then work tree. */
  xy: string;
  path: string;
}

async function statusEntries(dir: string, opts: Opts): Promise<StatusEntry[]> {
  const out = await gitOk(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], opts);
  return out.split("\0").filter((e) => e.length > 3).map((e) => ({ xy: e.slice(0, 2), path: e.slice(3) }));
}

function workPaths(entries: readonly StatusEntry[], except: readonly string[]): string[] {
  const skip = new Set(except);
  return entries.map((e) => e.path).filter((p) => !skip.has(p) && !isViableState(p));
}

function isViableState(p: string): boolean {
  return p === ".viable/state" || p.startsWith(".viable/state/");
}

/** Commits reachable from `rev` but from none of `others`. */
export async function commitsNotIn(cwd: string, rev: string, others: readonly string[], opts: Opts = {}): Promise<string[]> {
  const out = await gitOk(cwd, ["rev-list", rev, "--not", ...others, "--"], opts);
  return out.split("\n").filter((l) => l !== "");
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name, or null when detached. */
  branch: string | null;
  /** Registered with git but its directory is gone. */
  prunable: boolean;
}

export async function listWorktrees(root: string, opts: Opts = {}): Promise<WorktreeEntry[]> {
  const out = await gitOk(root, ["worktree", "list", "--porcelain"], opts);
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) {
      current = { path: line.slice("worktree ".length), head: null, branch: null, prunable: false };
      entries.push(current);
    } else if (current && line.startsWith("HEAD ")) current.head = line.slice(5);
    else if (current && line.startsWith("branch ")) current.branch = line.slice(7).replace(/^refs\/heads\//, "");
    else if (current && line.startsWith("prunable")) current.prunable = true;
  }
  for (const e of entries) if (!e.prunable && !fs.existsSync(e.path)) e.prunable = true;
  return entries;
}

export async function branchExists(root: string, branch: string, opts: Opts = {}): Promise<boolean> {
  return (await git(root, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], opts)).code === 0;
}

/**
 * A new worktree at `dir` on `branch`, starting at `base`. The branch is created, or reset to `base`
 * when it exists: callers keep its work first (`keepWork`).
 */
export async function addWorktree(root: string, dir: string, branch: string, base: string, opts: Opts = {}): Promise<void> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const added = await git(root, ["worktree", "add", "--quiet", "-B", branch, dir, base], opts);
  if (added.code === 0) return;
  // A worktree git still lists whose directory is gone (removed by hand, or by an agent) holds the
  // path: prune such entries and try once more.
  await gitOk(root, ["worktree", "prune"], opts);
  await gitOk(root, ["worktree", "add", "--quiet", "-B", branch, dir, base], opts);
}

/** Remembers which paths the setup hook created or changed, so they are never committed as work. */
export async function recordSetupPaths(dir: string, paths: readonly string[], opts: Opts = {}): Promise<void> {
  const gitDir = path.resolve(dir, (await gitOk(dir, ["rev-parse", "--git-dir"], opts)).trim());
  fs.writeFileSync(path.join(gitDir, SETUP_PATHS_FILE), paths.join("\0"));
}

export async function readSetupPaths(dir: string, opts: Opts = {}): Promise<string[]> {
  try {
    return readSetupPathsIn(path.resolve(dir, (await gitOk(dir, ["rev-parse", "--git-dir"], opts)).trim()));
  } catch {
    return [];
  }
}

function readSetupPathsIn(gitDir: string): string[] {
  try {
    return fs.readFileSync(path.join(gitDir, SETUP_PATHS_FILE), "utf8").split("\0").filter((p) => p !== "");
  } catch {
    return [];
  }
}

/**
 * Commits everything uncommitted in `dir` (except the setup hook's paths) with `message`. Returns
 * the new commit, or null when there was nothing to commit.
 */
export async function commitAll(dir: string, message: string, opts: Opts & { state?: WorktreeState } = {}): Promise<string | null> {
  // A worktree whose .git was deleted would let git find the enclosing repository instead: never
  // commit there by accident.
  const state = opts.state ?? (await worktreeState(dir, opts));
  if (state === null || !samePath(state.top, dir)) throw new Error(`${dir} is not the top of a git worktree`);
  const setup = readSetupPathsIn(state.gitDir);
  const entries = await statusEntries(dir, opts);
  // An agent may have staged Viable's state itself, which the pathspec below does not undo.
  if (entries.some((e) => isViableState(e.path) && e.xy[0] !== " " && e.xy[0] !== "?")) await gitOk(dir, ["reset", "--quiet", "--", ".viable/state"], opts);
  if (workPaths(entries, setup).length === 0) return null;
  // Viable's own state never goes into a commit, whatever the ignore rules say.
  const exclude = [...setup, ".viable/state"].map((p) => `:(exclude,literal)${p}`);
  await gitOk(dir, ["add", "--all", "--", ".", ...exclude], opts);
  const committed = await git(dir, ["commit", "--quiet", "-m", message], opts);
  if (committed.code !== 0) {
    // Only what was left out changed (the setup's paths, Viable's state): nothing to commit.
    if ((await git(dir, ["diff", "--cached", "--quiet"], opts)).code === 0) return null;
    throw new Error(`git commit failed (${committed.code}): ${committed.stderr.trim() || committed.stdout.trim()}`);
  }
  return (await gitOk(dir, ["rev-parse", "HEAD"], opts)).trim();
}

export interface KeptWork {
  /** The branch now holding the work, or null when nothing needed keeping. */
  keptBranch: string | null;
  /** A commit made of uncommitted changes, when there were some. */
  committed: string | null;
  /** Whether the worktree directory was removed (it is kept when something could not be saved). */
  removed: boolean;
  /** Why something was left in place. */
  note?: string;
}

/**
 * Makes the item's worktree and branch safe to reuse: uncommitted changes are committed; commits
 * that `integration` does not have are kept on a `viable-kept/<item>/<n>` branch; then the worktree
 * is removed. The item's branch itself is left for `addWorktree` to reset.
 */
export async function keepWork(root: string, itemId: string, dir: string, integration: string, label: string, opts: Opts = {}): Promise<KeptWork> {
  const branch = itemBranch(itemId);
  const result: KeptWork = { keptBranch: null, committed: null, removed: false };
  const tips: string[] = [];
  // The common case, a first attempt: no directory and no branch, so nothing to keep. (A worktree
  // git still lists whose directory is gone is pruned before the new one is added.)
  if (!fs.existsSync(dir) && (await refTips(root, [`refs/heads/${branch}`], opts)).get(`refs/heads/${branch}`) === null) return result;
  const entry = (await listWorktrees(root, opts)).find((e) => samePath(e.path, dir));
  if (entry && !entry.prunable) {
    try {
      result.committed = await commitAll(dir, `viable: unfinished work on ${itemId} (${label})`, opts);
    } catch (e) {
      // A worktree whose changes cannot be committed (a broken index, a hook that refuses) stays.
      return { ...result, note: `left ${dir} in place: its changes could not be committed (${e instanceof Error ? e.message : String(e)})` };
    }
    const head = await revParse(dir, "HEAD", opts);
    if (head) tips.push(head);
  }
  const branchTip = await revParse(root, `refs/heads/${branch}`, opts);
  if (branchTip) tips.push(branchTip);
  for (const tip of new Set(tips)) {
    const kept = await keptBranches(root, itemId, opts);
    if ((await commitsNotIn(root, tip, [integration, ...kept.map((k) => `refs/heads/${k}`)], opts)).length === 0) continue;
    const name = await freeKeptName(root, itemId, label, opts);
    await gitOk(root, ["branch", name, tip], opts);
    result.keptBranch = name;
  }
  if (entry) {
    if (!entry.prunable) await gitOk(root, ["worktree", "remove", "--force", dir], opts);
    await gitOk(root, ["worktree", "prune"], opts);
    result.removed = true;
  } else if (fs.existsSync(dir)) {
    // A directory git does not know as a worktree (a half-made one): moved aside, not deleted.
    const aside = `${dir}.orphaned-${Date.now()}`;
    fs.renameSync(dir, aside);
    result.note = `moved an unregistered directory to ${aside}`;
  }
  return result;
}

/**
 * After a merge: removes the worktree and deletes the item's branch, each only when what it holds
 * is in `integration` (or kept elsewhere). Returns what was left in place and why.
 */
export async function removeMergedWorkspace(
  root: string, itemId: string, dir: string, integration: string, opts: Opts & { merged?: { commit: string; gitDir: string } } = {},
): Promise<string[]> {
  const branch = itemBranch(itemId);
  const left: string[] = [];
  if (opts.merged) {
    // Right after its merge: the worktree and its branch point at the merged commit, which is in
    // the integration branch; only changes made since (by a verify command) would be lost.
    const dirty = await uncommittedPaths(dir, readSetupPathsIn(opts.merged.gitDir), opts);
    if (dirty.length > 0) return [`${dir}: uncommitted changes in ${dirty.slice(0, 5).join(", ")}`];
    await gitOk(root, ["worktree", "remove", "--force", dir], opts);
    // Deleted only while it still points at the merged commit: anything else on it is kept.
    const r = await git(root, ["update-ref", "-d", `refs/heads/${branch}`, opts.merged.commit], opts);
    if (r.code !== 0) left.push(`${branch}: it moved after the merge`);
    return left;
  }
  const entry = (await listWorktrees(root, opts)).find((e) => samePath(e.path, dir));
  if (entry && !entry.prunable) {
    const dirty = await uncommittedPaths(dir, await readSetupPaths(dir, opts), opts);
    const head = await revParse(dir, "HEAD", opts);
    if (dirty.length > 0) left.push(`${dir}: uncommitted changes in ${dirty.slice(0, 5).join(", ")}`);
    else if (head && (await commitsNotIn(root, head, [integration], opts)).length > 0) left.push(`${dir}: commits not in ${integration}`);
    else await gitOk(root, ["worktree", "remove", "--force", dir], opts);
  }
  await gitOk(root, ["worktree", "prune"], opts);
  const tip = await revParse(root, `refs/heads/${branch}`, opts);
  if (tip && !left.some((l) => l.startsWith(dir))) {
    if ((await commitsNotIn(root, tip, [integration], opts)).length > 0) left.push(`${branch}: commits not in ${integration}`);
    else await gitOk(root, ["branch", "-D", branch], opts);
  }
  return left;
}

/**
 * A best-of-N candidate that was not merged: its work (uncommitted changes committed first) kept on
 * `viable-kept/<item>/<label>` when it has commits the integration branch lacks; its worktree and
 * its own branch removed. Returns the kept branch, or null when there was nothing to keep.
 */
export async function keepCandidateWork(
  root: string, ws: { dir: string; branch: string }, integration: string, itemId: string, label: string, opts: Opts = {},
): Promise<string | null> {
  let head: string | null = null;
  if (fs.existsSync(ws.dir)) {
    await commitAll(ws.dir, `viable: candidate work on ${itemId} (${label})`, opts);
    head = await revParse(ws.dir, "HEAD", opts);
  }
  head ??= await revParse(root, `refs/heads/${ws.branch}`, opts);
  let kept: string | null = null;
  if (head && (await commitsNotIn(root, head, [integration], opts)).length > 0) {
    kept = await freeKeptName(root, itemId, label, opts);
    await gitOk(root, ["branch", kept, head], opts);
  }
  if (fs.existsSync(ws.dir)) await gitOk(root, ["worktree", "remove", "--force", ws.dir], opts);
  await gitOk(root, ["worktree", "prune"], opts);
  if (await branchExists(root, ws.branch, opts)) await gitOk(root, ["branch", "-D", ws.branch], opts);
  return kept;
}

/** A shadow's worktree and branch, removed: its work was measured and is never merged. */
export async function discardWorkspace(root: string, ws: { dir: string; branch: string }, opts: Opts = {}): Promise<void> {
  if (fs.existsSync(ws.dir)) await gitOk(root, ["worktree", "remove", "--force", ws.dir], opts);
  await gitOk(root, ["worktree", "prune"], opts);
  if (await branchExists(root, ws.branch, opts)) await gitOk(root, ["branch", "-D", ws.branch], opts);
}

async function keptBranches(root: string, itemId: string, opts: Opts): Promise<string[]> {
  const out = await gitOk(root, ["for-each-ref", "--format=%(refname:short)", `refs/heads/${KEPT_BRANCH_PREFIX}${itemSlug(itemId)}/`], opts);
  return out.split("\n").filter((l) => l !== "");
}

async function freeKeptName(root: string, itemId: string, label: string, opts: Opts): Promise<string> {
  const base = `${KEPT_BRANCH_PREFIX}${itemSlug(itemId)}/${label.replace(/[^A-Za-z0-9._-]+/g, "-")}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (!(await branchExists(root, name, opts))) return name;
  }
}

/** Whether two paths name the same file (symlinks resolved where the files exist). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** A commit whose subject is seed 004's `session: completed <id>`. */
export interface CompletionCommit {
  commit: string;
  /** The whole message: the subject, then the body with its trailers. */
  message: string;
  /** Committer time, seconds since the epoch. */
  time: number;
}

/** Every commit on `rev` whose subject is seed 004's `session: completed <id>`: id → its commits, newest first. */
export async function completedSessions(root: string, rev: string, opts: Opts = {}): Promise<Map<string, CompletionCommit[]>> {
  const r = await git(root, ["log", "--format=%H%x00%ct%x00%B%x1e", rev, "--"], opts);
  const found = new Map<string, CompletionCommit[]>();
  if (r.code !== 0) return found; // no commits yet
  for (const record of r.stdout.split("\x1e")) {
    const [hash, time, message] = record.replace(/^\n/, "").split("\0");
    if (!hash || message === undefined) continue;
    const subject = message.split("\n", 1)[0] ?? "";
    // The id is the first word: people following the seed's convention may add a note after it.
    const m = /^session: completed (\S+?)[:,;.]*(?:\s|$)/.exec(subject);
    if (!m?.[1]) continue;
    const list = found.get(m[1]) ?? [];
    list.push({ commit: hash, message, time: Number(time) });
    found.set(m[1], list);
  }
  return found;
}
