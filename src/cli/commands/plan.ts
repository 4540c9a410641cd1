// `viable plan import|validate|show|next|export|sessions`: the plan in the store. Import reads seed
// 004's feature_list.json, a Task Master tasks.json or a beads export, validates it (every problem
// at once, each with its file and field; exit 2 when any is an error) and stores it with its items'
// loop state. Export writes the loop's results back into the source format.

import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../domain/errors.ts";
import { exportPlan, importPlan } from "../../plan/import/import-plan.ts";
import { itemComplexity } from "../../plan/item-complexity.ts";
import { nextFeature } from "../../plan/next-feature.ts";
import { PLAN_FORMATS, type Plan, type PlanFormat, type PlanItem } from "../../plan/plan.ts";
import type { PlanProblem } from "../../plan/problem.ts";
import { planValidationError, validatePlan, type PlanValidation } from "../../plan/validate.ts";
import { readPlan, readSessions, replacePlan, type ItemState, type StoredPlan } from "../../store/plan-store.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";

export interface PlanFileArgs {
  dir: string;
  json: boolean;
  file?: string;
  format?: string;
  tag?: string;
}

function parseFormat(format: string | undefined): PlanFormat | undefined {
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

function problemJson(p: PlanProblem) {
  return { severity: p.severity, kind: p.kind, file: p.file, path: p.path, message: p.message, ...(p.item !== undefined ? { item: p.item } : {}), ...(p.cycle ? { cycle: p.cycle } : {}) };
}

function printWarnings(o: Output, v: PlanValidation): void {
  for (const p of v.problems.filter((q) => q.severity === "warning")) o.err(`viable: warning: ${p.file}${p.path ? ` (${p.path})` : ""}: ${p.message}`);
}

export async function planImportCommand(args: PlanFileArgs & { file: string }, o: Output): Promise<number> {
  const format = parseFormat(args.format);
  const ctx = await openProject(args.dir, { writer: true, command: "plan import" });
  try {
    const text = readPlanFile(args.file);
    const name = storedName(ctx.paths.root, args.file);
    const imported = importPlan(text, name, { ...(format ? { format } : {}), ...(args.tag !== undefined ? { tag: args.tag } : {}) });
    const validation = validatePlan(imported);
    if (!validation.ok) {
      if (args.json) printJson(o, { imported: false, ok: false, problems: validation.problems.map(problemJson) });
      throw planValidationError(validation, name);
    }
    printWarnings(o, validation);
    const plan = imported.plan;
    const store = ctx.store;
    let result = { kept: [] as string[], items: 0 };
    store.transition(
      { event_type: "plan_imported", data: { file: name, format: plan.source.format, items: plan.items.length, warnings: validation.warningCount } },
      () => (result = replacePlan(store.db, plan, text, store.timestamp())),
    );
    const counts = countStatuses(plan.items.map((i) => (result.kept.includes(i.id) ? "passed" : i.status)));
    if (args.json) {
      printJson(o, { imported: true, file: name, format: plan.source.format, items: plan.items.length, kept_passed: result.kept, statuses: counts, warnings: validation.problems.filter((p) => p.severity === "warning").map(problemJson) });
    } else {
      o.out(`imported ${plan.items.length} items from ${name} (${plan.source.format}): ${formatCounts(counts)}`);
      if (result.kept.length > 0) o.out(`  ${result.kept.length} item(s) had passed before and keep their results`);
    }
    return EXIT.ok;
  } finally {
    ctx.store.close();
  }
}

export async function planValidateCommand(args: PlanFileArgs, o: Output): Promise<number> {
  const format = parseFormat(args.format);
  let validation: PlanValidation;
  let file: string;
  if (args.file !== undefined) {
    file = args.file;
    validation = validatePlan(importPlan(readPlanFile(file), file, { ...(format ? { format } : {}), ...(args.tag !== undefined ? { tag: args.tag } : {}) }));
  } else {
    const stored = await loadStored(args.dir);
    file = stored.plan.source.file;
    validation = validatePlan(stored.plan);
  }
  if (args.json) {
    printJson(o, { file, ok: validation.ok, errors: validation.errorCount, warnings: validation.warningCount, problems: validation.problems.map(problemJson) });
    return validation.ok ? EXIT.ok : EXIT.usage;
  }
  if (!validation.ok) {
    o.err(`viable: ${planValidationError(validation, file).message}`);
    return EXIT.usage;
  }
  printWarnings(o, validation);
  o.out(`${file}: valid${validation.warningCount > 0 ? ` (${validation.warningCount} warning${validation.warningCount === 1 ? "" : "s"})` : ""}`);
  return EXIT.ok;
}

async function loadStored(dir: string): Promise<StoredPlan> {
  const ctx = await openProject(dir, { writer: false, command: "plan" });
  try {
    const stored = readPlan(ctx.store.db, ctx.paths.database);
    if (stored === null) throw new UserError({ reason: "not_found", message: "no plan has been imported into this project", fix: "run `viable plan import FILE` first" });
    return stored;
  } finally {
    ctx.store.close();
  }
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
}

function itemReport(item: PlanItem, s: ItemState | undefined): ItemReport {
  return {
    id: item.id, name: item.name, status: item.status, priority: item.priority, dependencies: item.dependencies, attempts: item.attempts,
    complexity: itemComplexity(item).level, phase: s?.phase ?? null, branch: s?.branch ?? null, merged_commit: s?.merged_commit ?? null,
    blocked_reason: item.blocked_reason ?? null, last_error: s?.last_error ?? null,
  };
}

export async function planShowCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const stored = await loadStored(args.dir);
  const items = stored.plan.items.map((i) => itemReport(i, stored.state.get(i.id)));
  const counts = countStatuses(items.map((i) => i.status));
  if (args.json) {
    printJson(o, { file: stored.meta.source_file, format: stored.meta.format, integration_branch: stored.meta.integration_branch, imported_at: stored.meta.imported_at, counts, items });
    return EXIT.ok;
  }
  o.out(`${stored.meta.source_file} (${stored.meta.format}): ${formatCounts(counts)}`);
  const width = Math.min(24, Math.max(...items.map((i) => i.id.length), 2));
  for (const i of items) {
    const mark = i.status === "passed" ? "✓" : i.status === "blocked" ? "✗" : i.status === "running" ? "▶" : i.status === "failed" ? "!" : "·";
    const extra = i.status === "blocked" ? ` — ${i.blocked_reason ?? "blocked"}`
      : i.status === "passed" && i.merged_commit ? ` — ${i.merged_commit.slice(0, 10)}`
      : i.last_error ? ` — last attempt: ${i.last_error.split("\n")[0]}` : "";
    o.out(`${mark} ${i.id.padEnd(width)} ${i.status.padEnd(7)} p${i.priority} ${i.complexity.padEnd(6)} ${i.attempts > 0 ? `${i.attempts} att. ` : ""}${i.name}${extra}`);
  }
  return EXIT.ok;
}

export async function planNextCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const stored = await loadStored(args.dir);
  const next = nextFeature(stored.plan);
  if (args.json) {
    printJson(o, next ? itemReport(next, stored.state.get(next.id)) : null);
    return EXIT.ok;
  }
  if (!next) {
    const remaining = stored.plan.items.filter((i) => i.status !== "passed");
    o.out(remaining.length === 0 ? "nothing to do: every item has passed" : `nothing can start: the ${remaining.length} remaining item(s) are blocked, running, or wait on them`);
    return EXIT.ok;
  }
  o.out(`${next.id}: ${next.name} (priority ${next.priority}, ${itemComplexity(next).level} complexity)`);
  if (next.description) o.out(`  ${next.description}`);
  return EXIT.ok;
}

export async function planExportCommand(args: { dir: string; output?: string; inPlace: boolean; json: boolean }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "plan export" });
  let stored: StoredPlan | null;
  try {
    stored = readPlan(ctx.store.db, ctx.paths.database);
  } finally {
    ctx.store.close();
  }
  if (stored === null) throw new UserError({ reason: "not_found", message: "no plan has been imported into this project", fix: "run `viable plan import FILE` first" });
  const source = path.resolve(ctx.paths.root, stored.meta.source_file);
  const current = fs.existsSync(source) ? fs.readFileSync(source, "utf8") : (stored.meta.source_text ?? undefined);
  const text = exportPlan(exportable(stored.plan), current);
  const target = args.inPlace ? source : args.output !== undefined && args.output !== "-" ? path.resolve(args.output) : null;
  if (target === null) {
    o.out(text.endsWith("\n") ? text.slice(0, -1) : text);
    return EXIT.ok;
  }
  fs.writeFileSync(target, text);
  if (args.json) printJson(o, { written: target, format: stored.meta.format });
  else o.out(`wrote ${stored.meta.format} to ${target}`);
  return EXIT.ok;
}

/** Running items are not done: exported as what they were before the loop took them. */
function exportable(plan: Plan): Plan {
  return { ...plan, items: plan.items.map((i) => (i.status === "running" ? { ...i, status: "pending" as const } : i)) };
}

export async function planSessionsCommand(args: { dir: string; json: boolean; write?: string }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "plan sessions" });
  let sessions;
  try {
    sessions = readSessions(ctx.store.db);
  } finally {
    ctx.store.close();
  }
  if (args.write !== undefined) {
    // Seed 004's layout: .agent/sessions/session-NNN.json, one per session, plus a progress file.
    const dir = path.resolve(args.write);
    fs.mkdirSync(dir, { recursive: true });
    for (const s of sessions) {
      const { session, timestamp, feature, success, elapsed_seconds, error } = s;
      fs.writeFileSync(path.join(dir, `session-${String(session).padStart(3, "0")}.json`), JSON.stringify({ session, timestamp, feature, success, elapsed_seconds, error }, null, 2) + "\n");
    }
    fs.writeFileSync(path.join(dir, "progress.txt"), sessions.map((s) => `[${s.timestamp}] session ${s.session}: ${s.feature} ${s.success ? "completed" : `failed${s.error ? `: ${s.error}` : ""}`} (${s.elapsed_seconds}s)`).join("\n") + (sessions.length ? "\n" : ""));
  }
  if (args.json) {
    printJson(o, sessions);
    return EXIT.ok;
  }
  if (args.write !== undefined) o.out(`wrote ${sessions.length} session file(s) to ${path.resolve(args.write)}`);
  else for (const s of sessions) o.out(`${String(s.session).padStart(3, "0")} ${s.timestamp} ${s.success ? "✓" : "✗"} ${s.feature} ${s.elapsed_seconds}s${s.error ? ` — ${s.error}` : ""}`);
  return EXIT.ok;
}

function countStatuses(statuses: string[]): Record<string, number> {
  const counts: Record<string, number> = { passed: 0, pending: 0, running: 0, failed: 0, blocked: 0 };
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

function formatCounts(c: Record<string, number>): string {
  return Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ") || "no items";
}
