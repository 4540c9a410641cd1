// S4 intelligence: what the repository is, what can verify work in it, and what could go wrong —
// read from the files and from git, deterministically, with no model involved.

import fs from "node:fs/promises";
import path from "node:path";
import { UserError } from "../domain/errors.ts";
import type { Complexity } from "./complexity-keywords.ts";
import { readGitState, type GitState } from "./git-state.ts";
import { countLanguages, languageOf, significantLanguages } from "./languages.ts";
import { detectTooling, type CommandKind, type ProjectCommands } from "./project-commands.ts";
import { DEFAULT_WALK_LIMITS, walkFiles, type WalkLimits } from "./repo-walk.ts";
import { assessComplexityS4, isSecuritySensitive } from "./s4-complexity.ts";
import { pathsInTask } from "./task-paths.ts";

export type RiskSeverity = "low" | "medium" | "high";

export interface Risk {
  /** A stable identifier, e.g. "dirty_tree". */
  risk: string;
  severity: RiskSeverity;
  detail: string;
}

export interface EnvironmentScan {
  /** Languages present, most files first. */
  languages: string[];
  package_manager: string | null;
  commands: ProjectCommands;
  /** Where each detected command came from. */
  command_sources: Partial<Record<CommandKind, string>>;
  git: GitState;
  /** Files seen by the bounded walk (dependencies, build output and VCS data excluded). */
  file_count: number;
  /** True when the walk stopped at its limit: the repository is larger than file_count. */
  walk_truncated: boolean;
  /** Paths the task names, and which of them exist. */
  named_paths: string[];
  existing_named_paths: string[];
  /** Highest severity first. */
  risks: Risk[];
  opportunities: string[];
  analysis: string;
  recommended_approach: string;
  /** S4's own complexity estimate, independent of S3's keyword analysis. */
  assessed_complexity: Complexity;
  assessment_basis: string;
}

export interface ScanOptions {
  walk?: WalkLimits;
  /** A repository with more files than this is flagged as large. */
  largeRepoFiles?: number;
}

const DEFAULT_LARGE_REPO_FILES = 5000;
const SEVERITY_ORDER: Record<RiskSeverity, number> = { high: 0, medium: 1, low: 2 };

export async function scanEnvironment(dir: string, task: string, signal?: AbortSignal, options: ScanOptions = {}): Promise<EnvironmentScan> {
  const root = path.resolve(dir);
  await requireDirectory(root);
  signal?.throwIfAborted();

  const [walk, tooling, git] = await Promise.all([
    walkFiles(root, options.walk ?? DEFAULT_WALK_LIMITS, signal),
    detectTooling(root),
    readGitState(root, signal),
  ]);
  signal?.throwIfAborted();

  const counts = countLanguages(walk.files);
  const repoLanguages = significantLanguages(counts);
  const named = pathsInTask(task);
  const existing: string[] = [];
  for (const p of named) if (await pathExists(root, p)) existing.push(p);
  const namedLanguages = named.flatMap((p) => {
    const lang = languageOf(p);
    return lang?.generalPurpose ? [lang.name] : [];
  });

  const s4 = assessComplexityS4({ task, namedPaths: named, namedLanguages, fileCount: walk.files.length, repoLanguages });
  const facts: Facts = {
    task, git, commands: tooling.commands, sources: tooling.command_sources, packageManager: tooling.package_manager,
    fileCount: walk.files.length, truncated: walk.truncated, named, existing, repoLanguages,
    largeRepoFiles: options.largeRepoFiles ?? DEFAULT_LARGE_REPO_FILES,
  };
  const languages = counts.map((c) => c.language);
  return {
    languages,
    package_manager: tooling.package_manager,
    commands: tooling.commands,
    command_sources: tooling.command_sources,
    git,
    file_count: walk.files.length,
    walk_truncated: walk.truncated,
    named_paths: named,
    existing_named_paths: existing,
    risks: risksOf(facts),
    opportunities: opportunitiesOf(facts),
    analysis: analysisOf(facts, languages, s4.complexity, s4.basis),
    recommended_approach: approachOf(facts, s4.complexity),
    assessed_complexity: s4.complexity,
    assessment_basis: s4.basis,
  };
}

interface Facts {
  task: string;
  git: GitState;
  commands: ProjectCommands;
  sources: Partial<Record<CommandKind, string>>;
  packageManager: string | null;
  fileCount: number;
  truncated: boolean;
  named: string[];
  existing: string[];
  repoLanguages: string[];
  largeRepoFiles: number;
}

async function requireDirectory(root: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await fs.stat(root)).isDirectory();
  } catch {
    throw new UserError({ reason: "bad_directory", message: `directory ${root} does not exist`, field: "-d/--dir", fix: "pass an existing project directory with -d DIR" });
  }
  if (!isDir) throw new UserError({ reason: "bad_directory", message: `${root} is not a directory`, field: "-d/--dir", fix: "pass the project's directory, not a file" });
}

async function pathExists(root: string, rel: string): Promise<boolean> {
  try {
    await fs.access(path.join(root, rel));
    return true;
  } catch {
    return false;
  }
}

function risksOf(f: Facts): Risk[] {
  const risks: Risk[] = [];
  const add = (risk: string, severity: RiskSeverity, detail: string): void => void risks.push({ risk, severity, detail });

  if (!f.git.is_repo) {
    add("not_a_git_repository", "high", "The directory is not in a git repository: agents' changes cannot be isolated in worktrees, reviewed or undone.");
  } else {
    if (!f.git.has_commits) add("no_commits", "high", "The repository has no commits yet: worktrees need a commit to branch from.");
    if (f.git.detached) add("detached_head", "medium", "HEAD is detached: merged work would not land on a branch.");
    const touched = f.git.changed_files.filter((c) => f.named.some((n) => c === n || (n.endsWith("/") && c.startsWith(n))));
    if (touched.length > 0) {
      add("task_files_uncommitted", "high", `Files the task names have uncommitted changes (${touched.join(", ")}): agents work from HEAD and would not see them, and merging back could conflict.`);
    } else if (f.git.dirty) {
      add("dirty_tree", "medium", `${f.git.changed_files.length} uncommitted change(s) in the working tree: agents work from HEAD and will not see them.`);
    }
  }
  if (f.commands.test === undefined) {
    add("no_test_command", "medium", "No test command was found (package.json, Makefile, Cargo, go, pytest): S3* cannot verify the work with the project's tests.");
  }
  if (isSecuritySensitive(f.task)) {
    add("security_sensitive", "high", "The task touches authentication, credentials or permissions: mistakes are costly, so review before merging.");
  }
  if (f.truncated || f.fileCount > f.largeRepoFiles) {
    add("large_repository", "medium", `${f.truncated ? "More than " : ""}${f.fileCount} files: agents need focus to avoid wandering and slow runs.`);
  }
  const missing = f.named.filter((n) => !f.existing.includes(n));
  if (missing.length > 0) {
    add("named_paths_missing", "low", `The task names paths that do not exist (${missing.join(", ")}): they will be created, or the task means something else.`);
  }
  if (f.repoLanguages.length > 1) {
    add("multi_language", "low", `The code is in several languages (${f.repoLanguages.join(", ")}): a change may need to stay consistent across them.`);
  }
  // Stable sort: within a severity, risks keep the order above.
  return risks.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

function opportunitiesOf(f: Facts): string[] {
  const out: string[] = [];
  for (const kind of ["test", "lint", "build"] as const) {
    const command = f.commands[kind];
    if (command !== undefined) out.push(`Verify with \`${command}\` (${kind}, from ${f.sources[kind] ?? "the project"}).`);
  }
  if (f.existing.length > 0) out.push(`The task names existing paths (${f.existing.join(", ")}): agents can start there.`);
  if (f.git.is_repo && f.git.has_commits && !f.git.dirty) out.push("The working tree is clean: worktrees start from exactly what is committed.");
  return out;
}

function analysisOf(f: Facts, languages: readonly string[], assessed: Complexity, basis: string): string {
  const made = languages.length > 0 ? `${languages.slice(0, 3).join(", ")}${languages.length > 3 ? ` and ${languages.length - 3} more` : ""}` : "no recognized source";
  const pm = f.packageManager ? ` managed with ${f.packageManager}` : "";
  const size = `${f.truncated ? "more than " : ""}${f.fileCount} file${f.fileCount === 1 ? "" : "s"}`;
  const where = !f.git.is_repo
    ? "not under git"
    : `${f.git.branch ? `on branch ${f.git.branch}` : "on a detached HEAD"}${f.git.has_commits ? "" : " with no commits"}, ${f.git.dirty ? `${f.git.changed_files.length} uncommitted change(s)` : "clean"}`;
  const tests = f.commands.test ? `tests run with \`${f.commands.test}\`` : "no test command found";
  const names = f.named.length > 0 ? ` The task names ${f.named.join(", ")}.` : " The task names no files.";
  return `A project of ${size} in ${made}${pm}, ${where}; ${tests}.${names} S4 rates it ${assessed}: ${basis}.`;
}

function approachOf(f: Facts, assessed: Complexity): string {
  const steps: string[] = [];
  if (!f.git.is_repo) steps.push("Initialise git and commit the current state first.");
  else if (!f.git.has_commits) steps.push("Make an initial commit first.");
  else if (f.git.dirty) steps.push("Commit or stash the uncommitted changes first, so agents start from them.");
  const focus = f.existing.length > 0 ? ` starting from ${f.existing.join(", ")}` : "";
  switch (assessed) {
    case "simple":
      steps.push(`One agent makes the change directly${focus}.`);
      break;
    case "medium":
      steps.push(`Implement in one focused change${focus}, with tests alongside.`);
      break;
    case "complex":
      steps.push(`Split the work by area${focus}, keep agents on separate files, and review before merging.`);
      break;
  }
  steps.push(f.commands.test
    ? `Verify with \`${f.commands.test}\`${f.commands.lint ? ` and \`${f.commands.lint}\`` : ""}.`
    : "Add a test command (or `verify` in .viable/config.json) so the work can be checked.");
  return steps.join(" ");
}
