// A beads export (`.beads/issues.jsonl`): one issue per line, each with its outgoing
// dependencies `{issue_id, depends_on_id, type}`. Only `blocks` dependencies order work; `related`
// and `discovered-from` are information. `parent-child` (or the `parent` field newer exports
// write) makes the issue a member of an epic: the member waits for whatever the epic waits for,
// and the epic item waits for its members, as `bd ready` treats children of blocked epics as
// blocked. Tombstones (deleted issues) are not work and no longer block anything.
//
// A dependency on an issue the export does not hold — an ephemeral issue deleted since (gastown's
// `gt-wisp-*`), an `external:<project>:<id>` reference — is a warning, not an error: `bd import`
// itself accepts such files, and the dependency is not waited on. Lines whose `_type` is not
// "issue" (newer exports add `memory` records) are not work and are left as they are.

import { z } from "zod";
import { inheritClaims, type ItemStatus, type Plan, type PlanItem } from "../plan.ts";
import { schemaProblems, type PlanProblem } from "../problem.ts";
import { criteriaLines } from "./criteria.ts";
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
  assignee: z.string().nullable().optional(),
  parent: z.string().nullable().optional(),
  dependencies: z.array(DependencySchema).nullable().optional(),
  labels: z.array(z.string()).nullable().optional(),
});
type Issue = z.infer<typeof IssueSchema>;

/** Beads writes `priority` with omitempty, so a missing priority is P0. */
const DEFAULT_PRIORITY = 0;

interface Parsed {
  issue: Issue;
  line: number;
}

interface Link {
  id: string;
  path: string;
}

function at(line: number, rest = ""): string {
  return rest === "" ? `line ${line}` : `line ${line}: ${rest}`;
}

/** A record of the export that is not an issue (`{"_type": "memory", ...}`). */
function isOtherRecord(raw: unknown): boolean {
  return isRecord(raw) && typeof raw._type === "string" && raw._type !== "issue";
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
    if (isOtherRecord(raw)) continue;
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

  // What a dependency may point at: issues of this file (good or with errors of their own).
  const present = new Set([...parsed.map((p) => p.issue.id), ...skippedIds]);
  const missing = (issue: Issue, target: string, path: string, how: string) => {
    // What a closed issue waited for no longer matters (real exports hold many such: gastown's
    // closed issues point at hundreds of deleted wisps).
    if (issue.status === "closed") return;
    const external = target.startsWith("external:");
    problems.push({
      kind: "missing_dependency",
      severity: "warning",
      file,
      path,
      item: issue.id,
      message: external
        ? `"${issue.id}" ${how} "${target}", an issue of another project; it is not waited on`
        : `"${issue.id}" ${how} "${target}", which is not in this export (deleted, or never exported); it is not waited on`,
    });
  };

  // Membership first: a member inherits its epic's blocking dependencies, however deep the nesting.
  const parentOf = new Map<string, Link & { parent: string }>();
  const members = new Map<string, Link[]>();
  const join = (child: string, parent: string, path: string) => {
    parentOf.set(child, { id: child, parent, path });
    const list = members.get(parent) ?? [];
    list.push({ id: child, path });
    members.set(parent, list);
  };
  for (const { issue, line } of parsed) {
    (issue.dependencies ?? []).forEach((d, j) => {
      if (d.type !== "parent-child" || deleted.has(d.depends_on_id) || parentOf.has(issue.id)) return;
      const path = at(line, `dependencies[${j}]`);
      if (!present.has(d.depends_on_id)) missing(issue, d.depends_on_id, `${path}.depends_on_id`, "is a child of");
      else join(issue.id, d.depends_on_id, path);
    });
    // Newer exports also write the parent as a field of its own; older ones only as a dependency.
    const parent = issue.parent;
    if (typeof parent === "string" && parent !== "" && !parentOf.has(issue.id) && !deleted.has(parent)) {
      if (!present.has(parent)) missing(issue, parent, at(line, "parent"), "is a child of");
      else join(issue.id, parent, at(line, "parent"));
    }
  }
  const blocking = new Map<string, Link[]>();
  for (const { issue, line } of parsed) {
    const own: Link[] = [];
    (issue.dependencies ?? []).forEach((d, j) => {
      if ((d.type ?? "blocks") !== "blocks" || deleted.has(d.depends_on_id)) return;
      const path = at(line, `dependencies[${j}].depends_on_id`);
      if (!present.has(d.depends_on_id)) missing(issue, d.depends_on_id, path, "depends on");
      else own.push({ id: d.depends_on_id, path });
    });
    blocking.set(issue.id, own);
  }

  const items: PlanItem[] = [];
  const itemPaths: string[] = [];
  const lineOf: number[] = [];
  const dependencyPaths: string[][] = [];
  for (const { issue, line } of parsed) {
    const ids: string[] = [];
    const paths: string[] = [];
    const seen = new Set<string>();
    const add = (dep: Link) => {
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
    lineOf.push(line);
    dependencyPaths.push(paths);
    item.dependencies = ids;
  }

  inheritClaims(items);
  return {
    plan: { version: 1, source: { format: "beads", file }, items },
    locate: {
      item: (i) => itemPaths[i] ?? "",
      dependency: (i, j) => dependencyPaths[i]?.[j] ?? itemPaths[i] ?? "",
      field: (i, name) => at(lineOf[i] ?? 0, name),
    },
    problems,
    skippedIds,
  };
}

function toItem(issue: Issue): PlanItem {
  const { status, reason, claimed } = statusFromBeads(issue.status ?? "open", issue.assignee ?? undefined);
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
    tests: criteriaLines(issue.acceptance_criteria),
    verify: verifyBlocks(issue.description ?? ""),
    status,
    attempts: 0,
  };
  if (reason !== undefined) item.blocked_reason = reason;
  if (claimed !== undefined) item.claimed = claimed;
  // The agent to work it, as `viable plan new --format beads` labels it (beads' assignee is a claim).
  const agent = issue.labels?.find((l) => l.startsWith(AGENT_LABEL))?.slice(AGENT_LABEL.length);
  if (agent) item.agent = agent;
  return item;
}

const AGENT_LABEL = "agent:";

/** Beads' release checklists carry their checks as ```verify fenced blocks; each is one command. */
function verifyBlocks(description: string): string[] {
  const out: string[] = [];
  for (const m of description.matchAll(/^```verify[ \t]*\n([\s\S]*?)^```/gm)) {
    const body = m[1]?.trim();
    if (body) out.push(body);
  }
  return out;
}

/**
 * Beads' statuses: closed has passed; blocked and deferred do not run. `in_progress`, `hooked`
 * (claimed by a worker) and `pinned` (kept open on purpose) are someone's current work: claimed,
 * left alone by the loop unless asked. Open and custom statuses are still to do.
 */
export function statusFromBeads(s: string, assignee?: string): { status: ItemStatus; reason?: string; claimed?: string } {
  switch (s) {
    case "closed":
      return { status: "passed" };
    case "blocked":
    case "deferred":
      return { status: "blocked", reason: `${s} in beads` };
    case "in_progress":
    case "hooked":
    case "pinned":
      return { status: "pending", claimed: `${s} in beads${assignee ? ` (${assignee})` : ""}` };
    default:
      return { status: "pending" };
  }
}

function statusToBeads(status: ItemStatus, original: string | undefined): string {
  // The file's own word when it already means the same (in_progress stays so while the loop left it alone).
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
    .map((line) => {
      // A file saved with CRLF keeps its line endings on rewritten lines too.
      const cr = line.endsWith("\r") ? "\r" : "";
      const text = cr ? line.slice(0, -1) : line;
      if (text.trim() === "") return line;
      let issue: unknown;
      try {
        issue = JSON.parse(text);
      } catch {
        return line;
      }
      if (!isRecord(issue) || typeof issue.id !== "string" || isOtherRecord(issue)) return line;
      const item = byId.get(issue.id);
      if (item === undefined) return line;
      const before = typeof issue.status === "string" ? issue.status : "open";
      const after = statusToBeads(item.status, before);
      if (after === before) return line;
      issue.status = after;
      issue.updated_at = options.now;
      if (after !== "closed") {
        delete issue.closed_at;
        return goJson(issue) + cr;
      }
      if ("closed_at" in issue) {
        issue.closed_at = options.now;
        return goJson(issue) + cr;
      }
      // bd writes closed_at right after updated_at; keep that order.
      const ordered: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(issue)) {
        ordered[k] = v;
        if (k === "updated_at") ordered.closed_at = options.now;
      }
      return goJson(ordered) + cr;
    })
    .join("\n");
}

/** Go's encoding/json escapes these; matching it keeps rewritten lines identical in style to bd's. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
