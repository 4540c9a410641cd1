// Task Master's tasks.json, in both shapes it has used: legacy `{tasks: [...]}` and tagged
// `{master: {tasks: [...], metadata}, <tag>: {...}}`. Task ids are numbers (strings in newer
// versions); subtasks become items `<parent>.<sub>`.
//
// Dependencies follow Task Master's own reading (scripts/modules/dependency-manager.js): a
// dependency written "5.2" is subtask 2 of task 5; a bare number in a subtask's list is a sibling
// subtask when that sibling exists, and a task otherwise. A subtask also waits for everything its
// parent waits for, and the parent item waits for all its subtasks, so depending on task 5 means
// depending on all of it.

import { z } from "zod";
import { UserError } from "../../domain/errors.ts";
import { inheritClaims, type ComplexityLevel, type ItemStatus, type Plan, type PlanItem, type PlanSource } from "../plan.ts";
import { formatPath, schemaProblems, type PlanProblem } from "../problem.ts";
import { criteriaLines } from "./criteria.ts";
import { priorityNumber, statusMeaning } from "./feature-words.ts";
import type { ImportedPlan } from "./imported-plan.ts";
import { editJsonText, type JsonEdit } from "./json-edit.ts";
import { detectJsonStyle, isRecord, parseJsonFile } from "./json-text.ts";

export const TASKMASTER_STATUSES = ["pending", "in-progress", "done", "review", "deferred", "cancelled", "blocked", "completed"] as const;
type TaskMasterStatus = (typeof TASKMASTER_STATUSES)[number];

const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
/** Task Master's default priority is "medium". */
const DEFAULT_RANK = 2;

const Id = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const Text = z.string().nullable().optional();

const Common = {
  title: z.string(),
  description: Text,
  details: Text,
  testStrategy: Text,
  // Task Master's own words, or what other tools and agents write into its file ("in_progress",
  // "High", "P1"): Task Master reads any word, so Viable reads them too, with a warning.
  status: z.string().optional(),
  priority: z.union([z.string(), z.number()]).nullable().optional(),
  dependencies: z.array(Id).nullable().optional(),
  // A list in some files, one text with a criterion per line in others (Task Master's own).
  acceptanceCriteria: z.union([z.string(), z.array(z.string())]).nullable().optional(),
  category: z.string().optional(),
  // A named level, or the 1–10 score of `task-master analyze-complexity`.
  complexity: z.union([z.enum(["simple", "moderate", "complex", "very-complex"]), z.number()]).optional(),
  // Viable's own fields (Task Master keeps fields it does not know): commands that pass when the
  // task is done, and the agent to work it — as `viable plan new --format taskmaster` writes them.
  verify: z.array(z.string()).optional(),
  agent: z.string().min(1).optional(),
};
// Loose: everything else (metadata, timestamps, assignee...) stays in the file through export.
const SubtaskSchema = z.looseObject({ id: Id, ...Common });
const TaskSchema = z.looseObject({ id: Id, ...Common, subtasks: z.array(z.unknown()).nullable().optional() });
type Task = z.infer<typeof TaskSchema>;
type Subtask = z.infer<typeof SubtaskSchema>;

const TaskListSchema = z.looseObject({ tasks: z.array(z.unknown()) });

export interface TaskMasterOptions {
  /** For the tagged shape: which tag to import. Default: "master", or the only tag there is. */
  tag?: string;
}

interface Located {
  /** The task list, and the path prefix of its `tasks` field. */
  tasks: unknown[];
  prefix: string;
  /** For tagged files: the tag read, and every tag the file has. */
  tag?: string;
  tags: string[];
}

export function importTaskMaster(text: string, file: string, options: TaskMasterOptions = {}): ImportedPlan {
  return importTaskMasterData(parseJsonFile(text, file), file, options);
}

export function importTaskMasterData(data: unknown, file: string, options: TaskMasterOptions = {}): ImportedPlan {
  const found = locateTasks(data, file, options.tag);
  if ("problems" in found) {
    return { plan: { version: 1, source: { format: "taskmaster", file }, items: [] }, locate: { item: () => "", dependency: () => "", field: () => "" }, problems: found.problems, skippedIds: [] };
  }
  const source: PlanSource = { format: "taskmaster", file, ...(found.tag !== undefined ? { tag: found.tag } : {}) };

  const problems: PlanProblem[] = [];
  if (options.tag === undefined && found.tag !== undefined && found.tags.length > 1) {
    const others = found.tags.filter((t) => t !== found.tag);
    problems.push({
      kind: "tag_choice",
      severity: "warning",
      file,
      path: formatPath([found.tag]),
      message: `no --tag given: read tag "${found.tag}"; the file also has ${others.map((t) => `"${t}"`).join(", ")} (choose one with --tag)`,
    });
  }
  const skippedIds: string[] = [];
  const tasks: { task: Task; index: number; subtasks: { sub: Subtask; index: number }[] }[] = [];
  found.tasks.forEach((raw, ti) => {
    const at = `${found.prefix}[${ti}]`;
    const checked = TaskSchema.safeParse(raw);
    if (!checked.success) {
      problems.push(...schemaProblems(checked.error, file, at));
      if (isRecord(raw) && (typeof raw.id === "number" || typeof raw.id === "string")) skippedIds.push(String(raw.id));
      return;
    }
    const task = raw as Task;
    const subtasks: { sub: Subtask; index: number }[] = [];
    (task.subtasks ?? []).forEach((rawSub, si) => {
      const subChecked = SubtaskSchema.safeParse(rawSub);
      if (!subChecked.success) {
        problems.push(...schemaProblems(subChecked.error, file, `${at}.subtasks[${si}]`));
        if (isRecord(rawSub) && (typeof rawSub.id === "number" || typeof rawSub.id === "string")) skippedIds.push(subtaskId(task.id, rawSub.id));
        return;
      }
      subtasks.push({ sub: rawSub as Subtask, index: si });
    });
    tasks.push({ task, index: ti, subtasks });
  });

  const warn = (at: string, item: string) => (field: string, message: string) => {
    problems.push({ kind: "unknown_value", severity: "warning", file, path: `${at}.${field}`, item, message });
  };
  const items: PlanItem[] = [];
  const itemPaths: string[] = [];
  const dependencyPaths: string[][] = [];
  for (const { task, index: ti, subtasks } of tasks) {
    const taskPath = `${found.prefix}[${ti}]`;
    const parentId = String(task.id);
    const siblings = new Set(subtasks.map(({ sub }) => String(sub.id)));
    const ownDeps = (task.dependencies ?? []).map((d, j) => ({ id: String(d), path: `${taskPath}.dependencies[${j}]` }));

    const taskDeps = new Deps();
    for (const d of ownDeps) taskDeps.add(d.id, d.path);
    subtasks.forEach(({ sub, index: si }) => taskDeps.add(subtaskId(task.id, sub.id), `${taskPath}.subtasks[${si}]`));
    items.push(toItem(task, parentId, taskDeps.ids, undefined, warn(taskPath, parentId)));
    itemPaths.push(taskPath);
    dependencyPaths.push(taskDeps.paths);

    for (const { sub, index: si } of subtasks) {
      const subPath = `${taskPath}.subtasks[${si}]`;
      const id = subtaskId(task.id, sub.id);
      const deps = new Deps();
      // A parent's dependency on its own subtask is not something its subtasks inherit.
      for (const d of ownDeps) if (!d.id.startsWith(`${parentId}.`)) deps.add(d.id, d.path);
      (sub.dependencies ?? []).forEach((d, j) => {
        deps.add(subtaskDependency(parentId, d, siblings), `${subPath}.dependencies[${j}]`);
      });
      const item = toItem(sub, id, deps.ids, task, warn(subPath, id));
      item.parent = parentId;
      items.push(item);
      itemPaths.push(subPath);
      dependencyPaths.push(deps.paths);
    }
  }
  inheritClaims(items);
  return {
    plan: { version: 1, source, items },
    locate: { item: (i) => itemPaths[i] ?? "", dependency: (i, j) => dependencyPaths[i]?.[j] ?? itemPaths[i] ?? "", field: (i, name) => `${itemPaths[i] ?? ""}.${name}` },
    problems,
    skippedIds,
  };
}

/** Collects dependency ids once each, remembering where each was written. */
class Deps {
  readonly ids: string[] = [];
  readonly paths: string[] = [];
  readonly #seen = new Set<string>();
  add(id: string, path: string): void {
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.ids.push(id);
    this.paths.push(path);
  }
}

function subtaskId(parent: unknown, sub: unknown): string {
  const s = String(sub);
  // Newer Task Master versions may already store the full "5.2".
  return s.includes(".") ? s : `${String(parent)}.${s}`;
}

function subtaskDependency(parentId: string, dep: number | string, siblings: ReadonlySet<string>): string {
  const s = String(dep);
  if (s.includes(".")) return s;
  return siblings.has(s) ? `${parentId}.${s}` : s;
}

function toItem(t: Task | Subtask, id: string, dependencies: string[], parent: Task | undefined, warn: (field: string, message: string) => void): PlanItem {
  const { status, reason, claimed, foreign } = taskStatus(t.status ?? "pending");
  if (foreign !== undefined) warn("status", `status "${t.status}" is not one of Task Master's (${TASKMASTER_STATUSES.join(", ")}); read as ${foreign}`);
  const description = [t.description, t.details].filter((s): s is string => typeof s === "string" && s.trim() !== "").join("\n\n");
  const criteria = typeof t.acceptanceCriteria === "string" ? criteriaLines(t.acceptanceCriteria) : (t.acceptanceCriteria ?? []);
  const tests = [...(t.testStrategy?.trim() ? [t.testStrategy] : []), ...criteria];
  const priority = priorityRank(t.priority ?? parent?.priority, t.priority != null ? warn : () => undefined);
  const item: PlanItem = {
    id,
    name: t.title,
    description,
    category: t.category ?? parent?.category ?? "",
    priority,
    dependencies,
    tests,
    verify: t.verify ?? [],
    status,
    attempts: 0,
  };
  if (t.agent !== undefined) item.agent = t.agent;
  const complexity = complexityLevel(t.complexity);
  if (complexity !== undefined) item.complexity = complexity;
  if (reason !== undefined) item.blocked_reason = reason;
  if (claimed !== undefined) item.claimed = claimed;
  return item;
}

function complexityLevel(c: Task["complexity"]): ComplexityLevel | undefined {
  if (c === undefined) return undefined;
  // Scores use Task Master's own bands for its complexity report (≥ 8 high, ≥ 5 medium).
  if (typeof c === "number") return c >= 8 ? "high" : c >= 5 ? "medium" : "low";
  return c === "simple" ? "low" : c === "moderate" ? "medium" : "high";
}

/**
 * Task Master's statuses, faithfully: done/completed have passed. `in-progress` and `review` are
 * someone's current work — claimed, not Viable's to hand out, and not done either (Task Master's
 * `next` counts only done/completed as finished). Deferred, cancelled and blocked tasks never
 * finish, so their dependents could never start: to the loop they are blocked.
 */
export function statusFromTaskMaster(s: TaskMasterStatus): { status: ItemStatus; reason?: string; claimed?: string } {
  switch (s) {
    case "done":
    case "completed":
      return { status: "passed" };
    case "blocked":
    case "deferred":
    case "cancelled":
      return { status: "blocked", reason: `${s} in Task Master` };
    case "in-progress":
      return { status: "pending", claimed: "in-progress in Task Master" };
    case "review":
      return { status: "pending", claimed: "in review in Task Master" };
    case "pending":
      return { status: "pending" };
  }
}

/** Task Master's priority words in rank order, then what feature lists write ("P1", "urgent", 2). */
function priorityRank(p: string | number | null | undefined, warn: (field: string, message: string) => void): number {
  if (p == null) return DEFAULT_RANK;
  const rank = typeof p === "string" ? (PRIORITY_RANK[p] ?? priorityNumber(p)) : priorityNumber(p);
  if (typeof p === "string" && PRIORITY_RANK[p] !== undefined) return rank!;
  if (rank === undefined) {
    warn("priority", `priority ${JSON.stringify(p)} is not one of Task Master's (high, medium, low); read as medium`);
    return DEFAULT_RANK;
  }
  warn("priority", `priority ${JSON.stringify(p)} is not one of Task Master's (high, medium, low); read as rank ${rank} (0 first)`);
  return rank;
}

function isTaskMasterStatus(word: string): word is TaskMasterStatus {
  return (TASKMASTER_STATUSES as readonly string[]).includes(word);
}

/**
 * A status: Task Master's own word, or one another tool wrote into its file, read as a feature
 * list's word would be (`foreign` says what it was read as). A word nobody knows is still to do:
 * Task Master itself never counts it as done.
 */
function taskStatus(word: string): ReturnType<typeof statusFromTaskMaster> & { foreign?: string } {
  if (isTaskMasterStatus(word)) return statusFromTaskMaster(word);
  switch (statusMeaning(word)) {
    case "passed":
      return { status: "passed", foreign: "done" };
    case "blocked":
      return { status: "blocked", reason: `${word} in Task Master`, foreign: "blocked" };
    case "claimed":
      return { status: "pending", claimed: `${word} in Task Master`, foreign: "someone's current work (left alone)" };
    case "todo":
      return { status: "pending", foreign: "pending" };
    case undefined:
      return { status: "pending", foreign: "pending (a word Viable does not know)" };
  }
}

function statusToTaskMaster(status: ItemStatus, original: unknown): string {
  // Keep the file's own word when it already means the same thing (deferred stays deferred,
  // in-progress and review stay so while the loop left the item alone, and so do other tools' words).
  if (typeof original === "string" && taskStatus(original).status === status) return original;
  switch (status) {
    case "passed":
      return "done";
    case "running":
      return "in-progress";
    case "blocked":
      return "blocked";
    // A failed item is not done: it stays to do, so the next run tries it again.
    case "pending":
    case "failed":
      return "pending";
  }
}

function locateTasks(data: unknown, file: string, tag: string | undefined): Located | { problems: PlanProblem[] } {
  if (isRecord(data) && Array.isArray(data.tasks)) {
    if (tag !== undefined) {
      throw new UserError({ reason: "bad_plan", message: `no tag "${tag}": this file has one task list, not tags`, file, field: "--tag", fix: "import it without --tag" });
    }
    return { tasks: data.tasks as unknown[], prefix: "tasks", tags: [] };
  }
  if (!isRecord(data)) {
    const r = TaskListSchema.safeParse(data);
    return { problems: r.success ? [] : schemaProblems(r.error, file, "") };
  }
  const tags = taggedLists(data);
  const chosen = tag ?? (tags.includes("master") ? "master" : tags.length === 1 ? tags[0] : undefined);
  if (chosen === undefined || !tags.includes(chosen)) {
    throw new UserError({
      reason: "bad_plan",
      message:
        tags.length === 0
          ? "no task list: expected {\"tasks\": [...]} or a tagged file {\"master\": {\"tasks\": [...]}}"
          : `${tag === undefined ? "several tags and none is \"master\"" : `no tag "${tag}"`}; tags in this file: ${tags.join(", ")}`,
      file,
      ...(tag !== undefined ? { field: "--tag" } : {}),
      fix: tags.length === 0 ? "point Viable at Task Master's .taskmaster/tasks/tasks.json" : "choose one of the tags listed with --tag",
    });
  }
  return { tasks: (data[chosen] as { tasks: unknown[] }).tasks, prefix: `${formatPath([chosen])}.tasks`, tag: chosen, tags };
}

function taggedLists(data: Record<string, unknown>): string[] {
  return Object.keys(data).filter((k) => {
    const v = data[k];
    return isRecord(v) && Array.isArray(v.tasks);
  });
}

/**
 * The tag a plan was imported from, for a plan that does not say (one stored before Viable kept
 * the tag): the one tag whose tasks carry every item's id with the item's title. Task ids repeat
 * across tags ("1" is in every tag), so ids alone cannot tell.
 */
export function inferTag(plan: Plan, data: Record<string, unknown>): string | undefined {
  const tags = taggedLists(data);
  if (tags.length === 1) return tags[0];
  const matching = tags.filter((tag) => {
    // Several titles per id: real files repeat subtask ids.
    const titles = new Map<string, Set<unknown>>();
    const add = (id: string, title: unknown) => titles.set(id, (titles.get(id) ?? new Set()).add(title));
    for (const task of (data[tag] as { tasks: unknown[] }).tasks) {
      if (!isRecord(task) || (typeof task.id !== "number" && typeof task.id !== "string")) continue;
      add(String(task.id), task.title);
      if (Array.isArray(task.subtasks)) {
        for (const sub of task.subtasks as unknown[]) {
          if (isRecord(sub) && (typeof sub.id === "number" || typeof sub.id === "string")) add(subtaskId(task.id, sub.id), sub.title);
        }
      }
    }
    return plan.items.every((item) => titles.get(item.id)?.has(item.name) === true);
  });
  return matching.length === 1 ? matching[0] : undefined;
}

/**
 * Writes the loop's results into the original file's statuses (tasks and subtasks) of the plan's
 * own tag, as text edits of the statuses that changed: every other byte — other tags above all,
 * and the file's formatting — stays as it was. The tag is `options.tag`, else the one the plan was
 * imported from, else the one tag whose tasks are the plan's items; a tagged file where none of
 * those settles it is refused rather than guessed at.
 */
export function exportTaskMaster(plan: Plan, original: string, options: TaskMasterOptions = {}): string {
  const file = plan.source.file;
  const data = parseJsonFile(original, file);
  let tag = options.tag ?? plan.source.tag;
  if (tag === undefined && isRecord(data) && !Array.isArray(data.tasks)) {
    tag = inferTag(plan, data);
    if (tag === undefined) {
      const tags = taggedLists(data);
      throw new UserError({
        reason: "bad_plan",
        message: `cannot tell which tag of this file the plan was imported from (tags: ${tags.join(", ")}); writing another tag's statuses would overwrite its work`,
        file,
        fix: "export with --tag naming the tag the plan was imported from",
      });
    }
  }
  const found = locateTasks(data, file, tag);
  if ("problems" in found) return original;
  const root: (string | number)[] = found.tag === undefined ? ["tasks"] : [found.tag, "tasks"];
  const byId = new Map(plan.items.map((item) => [item.id, item]));
  const edits: JsonEdit[] = [];
  const write = (entry: Record<string, unknown>, item: PlanItem | undefined, path: (string | number)[]) => {
    if (item === undefined) return;
    // A task without a status is pending to Task Master, and stays without one while it is.
    const current = entry.status ?? "pending";
    const status = statusToTaskMaster(item.status, current);
    if (status !== current) edits.push({ path: [...path, "status"], value: status });
  };
  found.tasks.forEach((task, ti) => {
    if (!isRecord(task) || (typeof task.id !== "number" && typeof task.id !== "string")) return;
    write(task, byId.get(String(task.id)), [...root, ti]);
    if (!Array.isArray(task.subtasks)) return;
    (task.subtasks as unknown[]).forEach((sub, si) => {
      if (!isRecord(sub) || (typeof sub.id !== "number" && typeof sub.id !== "string")) return;
      write(sub, byId.get(subtaskId(task.id, sub.id)), [...root, ti, "subtasks", si]);
    });
  });
  return editJsonText(original, edits, detectJsonStyle(original).indent);
}
