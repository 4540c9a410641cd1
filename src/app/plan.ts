// Use cases behind `viable plan ...`: import a plan file (validated, every problem at once), check
// one, look at the stored plan and its next item, export it back into its own format with the
// loop's results, and seed 004's session log.

import fs from "node:fs";
import path from "node:path";
import { noPlanImported, UserError } from "../domain/errors.ts";
import { exportPlan, importPlan } from "../plan/import/import-plan.ts";
import { itemComplexity } from "../plan/item-complexity.ts";
import { itemFingerprint } from "../plan/item-identity.ts";
import { nextFeature } from "../plan/next-feature.ts";
import { claimedItems, PLAN_FORMATS, type ItemId, type Plan, type PlanFormat, type PlanItem } from "../plan/plan.ts";
import { emptyPlanRefusal } from "../plan/replace-guard.ts";
import { planValidationError, validatePlan, type PlanValidation } from "../plan/validate.ts";
import type { StoredPlan } from "../store/plan-store.ts";
import type { ItemState, PassedItem, SessionRecord } from "../store/records.ts";
import { outputDirectory, outputFile, readInput, writeOutput } from "./output-target.ts";
import { branchesWithUniqueWork } from "./prune.ts";
import { withProject, type Project } from "./project.ts";

export interface PlanSource {
  file: string;
  format?: string;
  tag?: string;
}

/** The agents a plan's items may name: the project's registry. */
function knownAgents(project: Project): { names: readonly string[]; broken: ReadonlyMap<string, string> } {
  const registry = project.registry();
  return { names: registry.names(), broken: registry.brokenReasons() };
}

export function parseFormat(format: string | undefined): PlanFormat | undefined {
  if (format === undefined) return undefined;
  if ((PLAN_FORMATS as readonly string[]).includes(format)) return format as PlanFormat;
  throw new UserError({ reason: "bad_usage", field: "--format", message: `unknown plan format "${format}"`, fix: `use one of: ${PLAN_FORMATS.join(", ")}` });
}

function readPlanFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError({
      reason: "not_found", file,
      message: code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a plan file" : `cannot be read (${code ?? "error"})`,
      fix: "pass the path of a feature_list.json, a Task Master tasks.json or a beads .jsonl export",
    });
  }
}

/** How the file is named in the store: relative to the project when it is inside it. */
function storedName(root: string, file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(root, abs);
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
}

/** Reads and checks a plan file without storing it (against the project's agents). */
export async function checkPlanFile(dir: string, source: PlanSource): Promise<{ file: string; validation: PlanValidation }> {
  const format = parseFormat(source.format);
  const plan = importPlan(readPlanFile(source.file), source.file, { ...(format ? { format } : {}), ...(source.tag !== undefined ? { tag: source.tag } : {}) });
  const agents = await withProject(dir, { writer: false, command: "plan validate" }, async (p) => knownAgents(p));
  return { file: source.file, validation: validatePlan(plan, { agents }) };
}

export type PlanImport =
  | { imported: false; file: string; validation: PlanValidation }
  | {
    imported: true; file: string; format: PlanFormat; items: number; keptPassed: string[]; statuses: Record<string, number>;
    /** Unfinished items someone else has claimed: the loop leaves them alone unless told. */
    claimed: number;
    validation: PlanValidation;
  };

/**
 * Validates the file and, when it has no errors, replaces the stored plan with it in one commit.
 * Items that had passed keep their results while they are the same work: merged work does not
 * un-happen because the file was imported again.
 */
export async function importPlanFile(project: Project, source: PlanSource & { replace?: boolean }): Promise<PlanImport> {
  const format = parseFormat(source.format);
  const text = readPlanFile(source.file);
  const name = storedName(project.paths.root, source.file);
  const imported = importPlan(text, name, { ...(format ? { format } : {}), ...(source.tag !== undefined ? { tag: source.tag } : {}) });
  const validation = validatePlan(imported, { agents: knownAgents(project) });
  if (!validation.ok) return { imported: false, file: name, validation };
  const plan = imported.plan;
  const { store } = project;
  const stored = (await store.queries.plan())?.plan;
  const refused = emptyPlanRefusal(plan, stored?.items.length ?? 0, source.replace === true);
  if (refused) throw refused;
  const passed = samePassedWork(await store.queries.passedItems(), stored, plan);
  const kept = plan.items.filter((i) => passed.has(i.id)).map((i) => i.id);
  await store.journal.commit({
    event: { event_type: "plan_imported", data: { file: name, format: plan.source.format, items: plan.items.length, warnings: validation.warningCount, kept_passed: kept.length } },
    changes: [{ type: "plan_replaced", plan, sourceText: text, passed, now: store.timestamp() }],
  });
  return {
    imported: true, file: name, format: plan.source.format, items: plan.items.length, keptPassed: kept, validation,
    statuses: countStatuses(plan.items.map((i) => (passed.has(i.id) ? "passed" : i.status))),
    claimed: plan.items.filter((i) => i.claimed !== undefined && i.status !== "passed" && !passed.has(i.id)).length,
  };
}

/**
 * The passed items the new plan still has: same id and same fingerprint. An id that now names
 * other work (another tag's task "1", a rewritten feature) starts over as the file says.
 */
function samePassedWork(passed: ReadonlyMap<ItemId, PassedItem>, stored: Plan | undefined, next: Plan): Map<ItemId, PassedItem> {
  const before = new Map((stored?.items ?? []).map((i) => [i.id, itemFingerprint(stored!.source, i)]));
  const out = new Map<ItemId, PassedItem>();
  for (const item of next.items) {
    const p = passed.get(item.id);
    if (p && before.get(item.id) === itemFingerprint(next.source, item)) out.set(item.id, p);
  }
  return out;
}

export { planValidationError, outputFile, writeOutput };
export type { PlanValidation };
export type { PlanProblem } from "../plan/problem.ts";

export async function storedPlan(project: Project): Promise<StoredPlan> {
  const stored = await project.store.queries.plan();
  if (stored === null) throw noPlanImported();
  return stored;
}

export async function checkStoredPlan(dir: string): Promise<{ file: string; validation: PlanValidation }> {
  return withProject(dir, { writer: false, command: "plan validate" }, async (p) => {
    const stored = await storedPlan(p);
    return { file: stored.plan.source.file, validation: validatePlan(stored.plan, { agents: knownAgents(p) }) };
  });
}

export interface ItemReport {
  id: string;
  name: string;
  status: string;
  priority: number;
  dependencies: string[];
  attempts: number;
  complexity: string;
  phase: string | null;
  branch: string | null;
  merged_commit: string | null;
  blocked_reason: string | null;
  last_error: string | null;
  /** Who is working on it elsewhere (an in-progress Task Master task, a hooked beads issue), if anyone. */
  claimed: string | null;
  /** The agent the plan names for it, if it names one. */
  agent: string | null;
  verify: string[];
}

export function itemReport(item: PlanItem, s: ItemState | undefined): ItemReport {
  return {
    id: item.id, name: item.name, status: item.status, priority: item.priority, dependencies: item.dependencies, attempts: item.attempts,
    complexity: itemComplexity(item).level, phase: s?.phase ?? null, branch: s?.branch ?? null, merged_commit: s?.merged_commit ?? null,
    blocked_reason: item.blocked_reason ?? null, last_error: s?.last_error ?? null, claimed: item.claimed ?? null, agent: item.agent ?? null, verify: item.verify,
  };
}

export interface PlanReport {
  file: string;
  format: PlanFormat;
  /** The Task Master tag, for a tagged file. */
  tag: string | null;
  integration_branch: string | null;
  imported_at: string;
  counts: Record<string, number>;
  items: ItemReport[];
  /** Conflicted merges resolved in the merge queue: which item, which files, by whom, at what cost. */
  conflicts_resolved: { item: string; attempt: number; files: string[]; agent: string; cost_usd: number | null; at: string }[];
  /** Kept branches (`viable-kept/...`) holding work found nowhere else, and why each is kept. */
  kept_branches: { name: string; why: string; files: string[]; committed_at: string }[];
}

export async function showPlan(dir: string): Promise<PlanReport> {
  return withProject(dir, { writer: false, command: "plan show" }, async (p) => {
    const stored = await storedPlan(p);
    const items = stored.plan.items.map((i) => itemReport(i, stored.state.get(i.id)));
    return {
      file: stored.meta.source_file, format: stored.meta.format, tag: stored.meta.source_tag, integration_branch: stored.meta.integration_branch, imported_at: stored.meta.imported_at,
      counts: countStatuses(items.map((i) => i.status)), items,
      // This plan's: an earlier plan may have had items of the same ids.
      conflicts_resolved: (await p.store.queries.events({ eventType: "item_conflict_resolved" })).filter((e) => e.timestamp >= stored.meta.imported_at).map((e) => {
        const d = e.data as { item: string; attempt: number; files: string[]; agent: string; cost_usd: number | null };
        return { item: d.item, attempt: d.attempt, files: d.files, agent: d.agent, cost_usd: d.cost_usd, at: e.timestamp };
      }),
      kept_branches: (await branchesWithUniqueWork(p)).map((b) => ({ name: b.name, why: b.why, files: b.files, committed_at: b.committedAt })),
    };
  });
}

/**
 * Seed 004's next feature, how many items are left when there is none, and the items someone
 * else has claimed, which are not offered unless `includeClaimed`.
 */
export async function nextPlanItem(dir: string, options: { includeClaimed?: boolean } = {}): Promise<{ next: ItemReport | null; item: PlanItem | null; remaining: number; claimed: string[] }> {
  return withProject(dir, { writer: false, command: "plan next" }, async (p) => {
    const stored = await storedPlan(p);
    const next = nextFeature(stored.plan, { includeClaimed: options.includeClaimed === true });
    return {
      next: next ? itemReport(next, stored.state.get(next.id)) : null, item: next ?? null,
      remaining: stored.plan.items.filter((i) => i.status !== "passed").length,
      claimed: options.includeClaimed === true ? [] : claimedItems(stored.plan).map((i) => i.id),
    };
  });
}

/** The plan in its source format with the loop's results, and the file it came from. */
export async function exportStoredPlan(dir: string, options: { tag?: string } = {}): Promise<{ text: string; format: PlanFormat; source: string }> {
  return withProject(dir, { writer: false, command: "plan export" }, async (p) => {
    const stored = await storedPlan(p);
    const source = path.resolve(p.paths.root, stored.meta.source_file);
    const current = fs.existsSync(source) ? readInput(source, "the plan's source file") : (stored.meta.source_text ?? undefined);
    // A Task Master plan goes back into the tag it came from (recorded at import), and only there.
    return { text: exportPlan(exportable(stored.plan), current, { ...(options.tag !== undefined ? { tag: options.tag } : {}) }), format: stored.meta.format, source };
  });
}

/** Running items are not done: exported as what they were before the loop took them. */
function exportable(plan: Plan): Plan {
  return { ...plan, items: plan.items.map((i) => (i.status === "running" ? { ...i, status: "pending" as const } : i)) };
}

export async function planSessions(dir: string): Promise<SessionRecord[]> {
  return withProject(dir, { writer: false, command: "plan sessions" }, (p) => p.store.queries.sessions());
}

/** Seed 004's layout: .agent/sessions/session-NNN.json, one per session, plus a progress file. */
export function writeSessionFiles(sessions: readonly SessionRecord[], target: string): void {
  const dir = outputDirectory(target, "--write");
  for (const s of sessions) {
    const { session, timestamp, feature, success, elapsed_seconds, error } = s;
    writeOutput(path.join(dir, `session-${String(session).padStart(3, "0")}.json`), JSON.stringify({ session, timestamp, feature, success, elapsed_seconds, error }, null, 2) + "\n", "--write");
  }
  writeOutput(path.join(dir, "progress.txt"), sessions.map((s) => `[${s.timestamp}] session ${s.session}: ${s.feature} ${s.success ? "completed" : `failed${s.error ? `: ${s.error}` : ""}`} (${s.elapsed_seconds}s)`).join("\n") + (sessions.length ? "\n" : ""), "--write");
}

export function countStatuses(statuses: string[]): Record<string, number> {
  const counts: Record<string, number> = { passed: 0, pending: 0, running: 0, failed: 0, blocked: 0 };
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}
