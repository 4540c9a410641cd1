// A beads export (`.beads/issues.jsonl`): one issue per line, each with its outgoing
// dependencies `{issue_id, depends_on_id, type}`. Only `blocks` dependencies order work; `related`
// and `discovered-from` are information. `parent-child` makes the issue a member of an epic: the
// member waits for whatever the epic waits for, and the epic item waits for its members, as
// `bd ready` treats children of blocked epics as blocked. Tombstones (deleted issues) are not work
// and no longer block anything.

import { z } from "zod";
import type { ItemStatus, Plan, PlanItem } from "../plan.ts";
import { schemaProblems, type PlanProblem } from "../problem.ts";
import type { ImportedPlan } from "./imported-plan.ts";
import { isRecord } from "./json-text.ts";

const DependencySchema = z.looseObject({
  issue_id: z.string().optional(),
  depends_on_id: z.string().min(1),
  // Exports from before dependency types existed have none; those were all blocking.
  type: z.string().optional(),
});

// Loose: every other field (timestamps, labels, comments, assignee...) survives export untouched.
const IssueSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  description: z.string().optional(),
  design: z.string().optional(),
  acceptance_criteria: z.string().optional(),
  // Beads allows custom statuses (`bd config set status.custom`), so any word is accepted.
  status: z.string().optional(),
  priority: z.number().int().min(0).max(4).optional(),
  issue_type: z.string().optional(),
  dependencies: z.array(DependencySchema).nullable().optional(),
});
type Issue = z.infer<typeof IssueSchema>;

/** Beads writes `priority` with omitempty, so a missing priority is P0. */
const DEFAULT_PRIORITY = 0;

interface Parsed {
  issue: Issue;
  line: number;
}

function at(line: number, rest = ""): string {
  return rest === "" ? `line ${line}` : `line ${line}: ${rest}`;
}

export function importBeads(text: string, file: string): ImportedPlan {
  const problems: PlanProblem[] = [];
  const skippedIds: string[] = [];
  const parsed: Parsed[] = [];
  const deleted = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i]?.trim() ?? "";
    if (body === "") continue;
    const line = i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch (e) {
      problems.push({ kind: "schema", severity: "error", file, path: at(line), message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    const checked = IssueSchema.safeParse(raw);
    if (!checked.success) {
      problems.push(...schemaProblems(checked.error, file, (rel) => at(line, rel)));
      if (isRecord(raw) && typeof raw.id === "string") skippedIds.push(raw.id);
      continue;
    }
    const issue = raw as Issue;
    if (issue.status === "tombstone") {
      deleted.add(issue.id);
      continue;
    }
    (issue.dependencies ?? []).forEach((d, j) => {
      if (d.issue_id !== undefined && d.issue_id !== issue.id) {
        problems.push({
          kind: "schema",
          severity: "error",
          file,
          path: at(line, `dependencies[${j}].issue_id`),
          message: `"${d.issue_id}" is not this issue ("${issue.id}"); an issue lists only its own dependencies`,
        });
      }
    });
    parsed.push({ issue, line });
  }

  // Membership first: a member inherits its epic's blocking dependencies, however deep the nesting.
  const parentOf = new Map<string, { parent: string; path: string }>();
  const members = new Map<string, { id: string; path: string }[]>();
  for (const { issue, line } of parsed) {
    (issue.dependencies ?? []).forEach((d, j) => {
      if (d.type !== "parent-child" || deleted.has(d.depends_on_id) || parentOf.has(issue.id)) return;
      const path = at(line, `dependencies[${j}]`);
      parentOf.set(issue.id, { parent: d.depends_on_id, path });
      const list = members.get(d.depends_on_id) ?? [];
      list.push({ id: issue.id, path });
      members.set(d.depends_on_id, list);
    });
  }
  const blocking = new Map<string, { id: string; path: string }[]>();
  for (const { issue, line } of parsed) {
    const own: { id: string; path: string }[] = [];
    (issue.dependencies ?? []).forEach((d, j) => {
      if ((d.type ?? "blocks") === "blocks" && !deleted.has(d.depends_on_id)) own.push({ id: d.depends_on_id, path: at(line, `dependencies[${j}].depends_on_id`) });
    });
    blocking.set(issue.id, own);
  }

  const items: PlanItem[] = [];
  const itemPaths: string[] = [];
  const dependencyPaths: string[][] = [];
  for (const { issue, line } of parsed) {
    const ids: string[] = [];
    const paths: string[] = [];
    const seen = new Set<string>();
    const add = (dep: { id: string; path: string }) => {
      if (seen.has(dep.id)) return;
      seen.add(dep.id);
      ids.push(dep.id);
      paths.push(dep.path);
    };
    for (const d of blocking.get(issue.id) ?? []) add(d);
    // Walk up the epics; `visited` stops a parent-child loop (validation reports it as a cycle).
    const visited = new Set([issue.id]);
    for (let up = parentOf.get(issue.id); up !== undefined && !visited.has(up.parent); up = parentOf.get(up.parent)) {
      visited.add(up.parent);
      for (const d of blocking.get(up.parent) ?? []) if (d.id !== issue.id) add(d);
    }
    for (const m of members.get(issue.id) ?? []) add(m);
    const item = toItem(issue);
    const parent = parentOf.get(issue.id);
    if (parent !== undefined) item.parent = parent.parent;
    items.push(item);
    itemPaths.push(at(line));
    dependencyPaths.push(paths);
    item.dependencies = ids;
  }

  return {
    plan: { version: 1, source: { format: "beads", file }, items },
    locate: { item: (i) => itemPaths[i] ?? "", dependency: (i, j) => dependencyPaths[i]?.[j] ?? itemPaths[i] ?? "" },
    problems,
    skippedIds,
  };
}

function toItem(issue: Issue): PlanItem {
  const { status, reason } = statusFromBeads(issue.status ?? "open");
  const description = [issue.description, issue.design ? `Design:\n${issue.design}` : undefined]
    .filter((s): s is string => typeof s === "string" && s.trim() !== "")
    .join("\n\n");
  const item: PlanItem = {
    id: issue.id,
    name: issue.title,
    description,
    category: issue.issue_type ?? "task",
    priority: issue.priority ?? DEFAULT_PRIORITY,
    dependencies: [],
    tests: acceptanceCriteria(issue.acceptance_criteria),
    verify: verifyBlocks(issue.description ?? ""),
    status,
    attempts: 0,
  };
  if (reason !== undefined) item.blocked_reason = reason;
  return item;
}

/** One criterion per line, without list markers or checkboxes. */
function acceptanceCriteria(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((l) => l.replace(/^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?/, "").trim())
    .filter((l) => l !== "");
}

/** Beads' release checklists carry their checks as ```verify fenced blocks; each is one command. */
function verifyBlocks(description: string): string[] {
  const out: string[] = [];
  for (const m of description.matchAll(/^```verify[ \t]*\n([\s\S]*?)^```/gm)) {
    const body = m[1]?.trim();
    if (body) out.push(body);
  }
  return out;
}

export function statusFromBeads(s: string): { status: ItemStatus; reason?: string } {
  switch (s) {
    case "closed":
      return { status: "passed" };
    case "blocked":
    case "deferred":
      return { status: "blocked", reason: `${s} in beads` };
    default:
      // open, in_progress, and custom statuses: still to do.
      return { status: "pending" };
  }
}

function statusToBeads(status: ItemStatus, original: string | undefined): string {
  if (original !== undefined && statusFromBeads(original).status === status) return original;
  switch (status) {
    case "passed":
      return "closed";
    case "running":
      return "in_progress";
    case "blocked":
      return "blocked";
    // A failed item is not done: it stays open, so the next run tries it again.
    case "pending":
    case "failed":
      return "open";
  }
}

export interface BeadsExportOptions {
  /** The time written to `updated_at` and `closed_at` of changed issues (ISO 8601). */
  now: string;
}

/**
 * Writes the loop's results into the original JSONL. Lines whose status does not change are kept
 * byte for byte; changed lines get the new status, `updated_at`, and `closed_at` exactly when
 * closed (beads rejects a closed issue without one, and an open issue with one).
 */
export function exportBeads(plan: Plan, original: string, options: BeadsExportOptions): string {
  const byId = new Map(plan.items.map((item) => [item.id, item]));
  return original
    .split("\n")
    .map((text) => {
      if (text.trim() === "") return text;
      let issue: unknown;
      try {
        issue = JSON.parse(text);
      } catch {
        return text;
      }
      if (!isRecord(issue) || typeof issue.id !== "string") return text;
      const item = byId.get(issue.id);
      if (item === undefined) return text;
      const before = typeof issue.status === "string" ? issue.status : undefined;
      const after = statusToBeads(item.status, before);
      if (after === before) return text;
      issue.status = after;
      issue.updated_at = options.now;
      if (after !== "closed") {
        delete issue.closed_at;
        return goJson(issue);
      }
      if ("closed_at" in issue) {
        issue.closed_at = options.now;
        return goJson(issue);
      }
      // bd writes closed_at right after updated_at; keep that order.
      const ordered: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(issue)) {
        ordered[k] = v;
        if (k === "updated_at") ordered.closed_at = options.now;
      }
      return goJson(ordered);
    })
    .join("\n");
}

/** Go's encoding/json escapes these; matching it keeps rewritten lines identical in style to bd's. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
