// S4's own complexity estimate, made from what S3's keyword analysis does not look at: how many files
// and areas the task names, how sweeping its wording is, and what the repository is made of. The
// engine compares it with S3's to detect S3/S4 disagreement (seed 001's complexity_disagreement).

import type { Complexity } from "./complexity-keywords.ts";

export interface S4ComplexityInput {
  task: string;
  /** Paths the task names (see task-paths.ts). */
  namedPaths: readonly string[];
  /** General-purpose languages of the named paths, by extension. */
  namedLanguages: readonly string[];
  /** Files in the repository (from the bounded walk). */
  fileCount: number;
  /** General-purpose languages with a real share of the repository. */
  repoLanguages: readonly string[];
}

export interface S4Complexity {
  complexity: Complexity;
  /** The rule that decided, in words. */
  basis: string;
}

const TRIVIAL = /\b(?:typos?|spelling|wording|comments?|docstrings?|one[\s-]line|readme|changelog|bump)\b/i;
const SWEEPING = /\b(?:across|codebase|all\s+files|every\s+(?:file|module|package|service)|system-wide|everywhere|(?:whole|entire)\s+(?:project|repo(?:sitory)?|codebase|app)|repo-wide|project-wide)\b/i;
const RESTRUCTURING = /\b(?:migrat\w*|refactor\w*|redesign\w*|re-?architect\w*|architecture|rewrite|overhaul|port\s+(?:to|from))\b/i;
const SECURITY = /\b(?:auth\w*|oauth\w*|security|passwords?|credentials?|secrets?|tokens?|encrypt\w*|crypto\w*|permissions?|rbac|sanitiz\w*|vulnerab\w*)\b/i;

/** Past this many files a sweeping change is a large change. */
const SMALL_REPO_FILES = 50;

/** First matching rule wins; each rule says why in `basis`. */
export function assessComplexityS4(input: S4ComplexityInput): S4Complexity {
  const named = input.namedPaths.length;
  const areas = new Set(input.namedPaths.map((p) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : "."))).size;
  const sweeping = SWEEPING.test(input.task) || RESTRUCTURING.test(input.task);
  const multiLanguageRepo = input.repoLanguages.length > 1;

  if (TRIVIAL.test(input.task) && !sweeping && named <= 1) {
    return { complexity: "simple", basis: "a wording-level change confined to at most one named file" };
  }
  if (named >= 4 || areas >= 3) {
    return { complexity: "complex", basis: `the task names ${named} paths in ${areas} areas of the tree` };
  }
  if (sweeping) {
    return input.fileCount > SMALL_REPO_FILES || multiLanguageRepo
      ? { complexity: "complex", basis: `sweeping or restructuring work in a repository of ${input.fileCount} files${multiLanguageRepo ? ` in ${input.repoLanguages.join(", ")}` : ""}` }
      : { complexity: "medium", basis: `sweeping wording, but the repository has only ${input.fileCount} files` };
  }
  if (new Set(input.namedLanguages).size > 1) {
    return { complexity: "complex", basis: `the named files span ${[...new Set(input.namedLanguages)].join(" and ")}` };
  }
  if (SECURITY.test(input.task) && (named >= 2 || multiLanguageRepo)) {
    return { complexity: "complex", basis: "security-sensitive work spanning several files or languages" };
  }
  if (SECURITY.test(input.task)) {
    return { complexity: "medium", basis: "security-sensitive work needs more than a quick fix" };
  }
  if (named === 1) {
    return { complexity: "medium", basis: "a change centred on one named file" };
  }
  return { complexity: "medium", basis: "no scope signal in the task or the repository" };
}

export function isSecuritySensitive(task: string): boolean {
  return SECURITY.test(task);
}
