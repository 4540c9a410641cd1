// A problem found in a plan file, located the way the user will look for it: the file and the
// field path inside it (`features[3].dependencies[1]`, `master.tasks[2].subtasks[0].id`,
// `line 7: dependencies[0].depends_on_id`). Problems are data so that every one can be reported
// at once instead of stopping at the first.

import type { z } from "zod";
import type { ItemId } from "./plan.ts";

export type PlanProblemKind =
  /** The file does not match its format's schema. */
  | "schema"
  /** Two items share an id. */
  | "duplicate_id"
  /** A dependency names no item in the plan. */
  | "unknown_dependency"
  /** An item depends on itself. */
  | "self_dependency"
  /** Items depend on each other in a circle; none of them can ever start. */
  | "cycle"
  /** An item cannot run because an item it depends on (directly or not) is blocked. */
  | "blocked_by"
  /**
   * A dependency on an issue the export does not hold (a deleted ephemeral issue, an
   * `external:` reference). Beads imports such files; the dependency is not waited on.
   */
  | "missing_dependency"
  /** An item names an agent that does not exist (or whose file is broken). */
  | "unknown_agent"
  /** A tagged Task Master file was read without `--tag`: which tag was used, which others exist. */
  | "tag_choice"
  /** A status or priority word Viable does not know; what it was read as. */
  | "unknown_value"
  /** The plan has no items. */
  | "empty_plan";

/** Errors make the plan unusable; warnings describe a usable plan that will not fully finish. */
export type PlanProblemSeverity = "error" | "warning";

export interface PlanProblem {
  kind: PlanProblemKind;
  severity: PlanProblemSeverity;
  file: string;
  /** The field path inside the file; "" for the whole file. */
  path: string;
  message: string;
  /** The item concerned, when there is one. */
  item?: ItemId;
  /** For cycles: the ids in order, first repeated at the end. */
  cycle?: ItemId[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `["features", 3, "dependencies", 1]` → `features[3].dependencies[1]`. */
export function formatPath(segments: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string" && IDENTIFIER.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

/** Joins a base path and a relative one: `features[3]` + `dependencies[1]`. */
export function joinPath(base: string, rest: string): string {
  if (base === "") return rest;
  if (rest === "") return base;
  return rest.startsWith("[") ? base + rest : `${base}.${rest}`;
}

/**
 * Maps zod issues to problems, one per issue, each at its own path: under `at` when it is a
 * prefix, or as `at` places it (beads prefixes a line number instead of a path).
 */
export function schemaProblems(error: z.ZodError, file: string, at: string | ((relative: string) => string)): PlanProblem[] {
  const place = typeof at === "string" ? (rel: string) => joinPath(at, rel) : at;
  return error.issues.map((issue) => ({
    kind: "schema" as const,
    severity: "error" as const,
    file,
    path: place(formatPath(issue.path)),
    message: issue.message,
  }));
}
