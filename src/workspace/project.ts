// Resolving the project directory a command works on, with errors that say what to do.

import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { UserError } from "../domain/errors.ts";
import { projectPaths, type ProjectPaths } from "./paths.ts";

const run = promisify(execFile);

/** Checks that `dir` exists, is a readable directory and lies inside a git work tree. */
export async function resolveProject(dir: string): Promise<ProjectPaths> {
  const abs = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new UserError({
      reason: "bad_directory",
      message: `directory ${abs} does not exist`,
      field: "-d/--dir",
      fix: "pass an existing project directory with -d DIR",
    });
  }
  if (!stat.isDirectory()) {
    throw new UserError({ reason: "bad_directory", message: `${abs} is not a directory`, field: "-d/--dir", fix: "pass the project's directory, not a file" });
  }
  try {
    fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new UserError({ reason: "bad_directory", message: `directory ${abs} is not readable`, field: "-d/--dir", fix: `fix its permissions (e.g. chmod u+rx ${abs})` });
  }
  let top: string;
  try {
    const { stdout } = await run("git", ["rev-parse", "--show-toplevel"], { cwd: abs, env: gitEnv() });
    top = stdout.trim();
  } catch {
    throw new UserError({
      reason: "not_a_git_repository",
      message: `${abs} is not inside a git repository`,
      field: "-d/--dir",
      fix: `run \`git init\` in ${abs} (Viable records and verifies agents' changes through git)`,
    });
  }
  // The project is the directory the user named; nested projects inside a monorepo are allowed.
  return projectPaths(fs.realpathSync(abs) === fs.realpathSync(top) ? top : abs);
}

/** git without the user's pager or prompts; the caller's identity is kept. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C", ...extra };
}

/**
 * `.viable/state/` is Viable's own (database, transcripts, worktrees) and must never show up as a
 * change in the user's tree. It is excluded through `.git/info/exclude`, which, unlike a
 * .gitignore, does not itself make the tree dirty.
 */
/** Returns whether it had to add the exclusion (false: git ignored the state already). */
export async function ensureStateIgnored(paths: ProjectPaths): Promise<boolean> {
  const probe = await run("git", ["check-ignore", "-q", path.relative(paths.root, path.join(paths.stateDir, "viable.db"))], { cwd: paths.root, env: gitEnv() })
    .then(() => true, () => false);
  if (probe) return false;
  const { stdout } = await run("git", ["rev-parse", "--git-path", "info/exclude"], { cwd: paths.root, env: gitEnv() });
  const exclude = path.resolve(paths.root, stdout.trim());
  const rel = path.relative(paths.root, paths.stateDir);
  fs.mkdirSync(path.dirname(exclude), { recursive: true });
  const existing = fs.existsSync(exclude) ? fs.readFileSync(exclude, "utf8") : "";
  const prefix = await repoPrefix(paths.root);
  fs.appendFileSync(exclude, `${existing.endsWith("\n") || existing === "" ? "" : "\n"}# Viable's own state\n/${path.posix.join(prefix, rel.split(path.sep).join("/"))}/\n`);
  return true;
}

/** The project's path inside its repository ("" at the top), for anchored exclude patterns. */
async function repoPrefix(dir: string): Promise<string> {
  const { stdout } = await run("git", ["rev-parse", "--show-prefix"], { cwd: dir, env: gitEnv() });
  return stdout.trim().replace(/\/$/, "");
}
