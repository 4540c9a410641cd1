// `viable plan import|validate|show|next|export|sessions`: the plan in the store. Import reads seed
// 004's feature_list.json, a Task Master tasks.json or a beads export, validates it (every problem
// at once, each with its file and field; exit 2 when any is an error) and stores it with its items'
// loop state. Export writes the loop's results back into the source format.

import path from "node:path";
import {
  checkPlanFile, checkStoredPlan, exportStoredPlan, importPlanFile, nextPlanItem, outputFile, planSessions, planValidationError, showPlan, writeOutput, writeSessionFiles,
  type PlanProblem, type PlanSource, type PlanValidation,
} from "../../app/plan.ts";
import { itemDetail } from "../../app/items.ts";
import { configWarnings, withProject } from "../../app/project.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export interface PlanFileArgs {
  dir: string;
  json: boolean;
  file?: string;
  format?: string;
  tag?: string;
}

function problemJson(p: PlanProblem) {
  return { severity: p.severity, kind: p.kind, file: p.file, path: p.path, message: p.message, ...(p.item !== undefined ? { item: p.item } : {}), ...(p.cycle ? { cycle: p.cycle } : {}) };
}

function printWarnings(o: Output, v: PlanValidation): void {
  for (const p of v.problems.filter((q) => q.severity === "warning")) o.err(`viable: warning: ${p.file}${p.path ? ` (${p.path})` : ""}: ${p.message}`);
}

function sourceOf(args: PlanFileArgs & { file: string }): PlanSource {
  return { file: args.file, ...(args.format !== undefined ? { format: args.format } : {}), ...(args.tag !== undefined ? { tag: args.tag } : {}) };
}

export async function planImportCommand(args: PlanFileArgs & { file: string; replace: boolean }, o: Output): Promise<number> {
  const result = await withProject(args.dir, { writer: true, command: "plan import" }, (p) => importPlanFile(p, { ...sourceOf(args), replace: args.replace }));
  if (!result.imported) {
    if (!args.json) throw planValidationError(result.validation, result.file);
    printJson(o, { imported: false, ok: false, problems: result.validation.problems.map(problemJson) });
    o.err(`viable: ${planValidationError(result.validation, result.file).message}`);
    return EXIT.usage;
  }
  printWarnings(o, result.validation);
  if (args.json) {
    printJson(o, {
      imported: true, file: result.file, format: result.format, items: result.items, kept_passed: result.keptPassed, statuses: result.statuses, claimed: result.claimed,
      warnings: result.validation.problems.filter((p) => p.severity === "warning").map(problemJson),
    });
  } else {
    o.out(`imported ${result.items} items from ${result.file} (${result.format}): ${formatCounts(result.statuses)}` +
      (result.claimed > 0 ? ` (${result.claimed} of them claimed by someone else: left alone unless --include-claimed)` : ""));
    if (result.keptPassed.length > 0) o.out(`  ${result.keptPassed.length} item(s) had passed before and keep their results`);
  }
  return EXIT.ok;
}

export async function planValidateCommand(args: PlanFileArgs, o: Output): Promise<number> {
  const { file, validation } = args.file !== undefined ? await checkPlanFile(args.dir, sourceOf({ ...args, file: args.file })) : await checkStoredPlan(args.dir);
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

export async function planShowCommand(args: { dir: string; json: boolean; item?: string }, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  if (args.item !== undefined) return showItem(args.dir, args.item, args.json, o);
  const report = await showPlan(args.dir);
  if (args.json) {
    printJson(o, report);
    return EXIT.ok;
  }
  o.out(`${report.file} (${report.format}${report.tag !== null ? `, tag ${report.tag}` : ""}): ${formatCounts(report.counts)}`);
  const width = Math.min(24, Math.max(...report.items.map((i) => i.id.length), 2));
  for (const i of report.items) {
    const mark = i.phase === "needs_input" ? "?" : i.status === "passed" ? "✓" : i.status === "blocked" ? "✗" : i.status === "running" ? "▶" : i.status === "failed" ? "!" : "·";
    const extra = i.phase === "needs_input" ? ` — waits for a person: ${(i.last_error ?? "").replace(/^The agent asked: /, "").split("\n")[0]} (take it over: viable attach ${i.id})`
      : i.status === "blocked" ? ` — ${i.blocked_reason ?? "blocked"}`
      : i.status === "passed" && i.merged_commit ? ` — ${i.merged_commit.slice(0, 10)}`
      : i.last_error ? ` — last attempt: ${i.last_error.split("\n")[0]}` : "";
    o.out(`${mark} ${i.id.padEnd(width)} ${i.status.padEnd(7)} p${i.priority} ${i.complexity.padEnd(6)} ${i.attempts > 0 ? `${i.attempts} att. ` : ""}${i.name}${extra}`);
  }
  if (report.conflicts_resolved.length > 0) {
    o.out(`conflicts resolved in the merge queue (${report.conflicts_resolved.length}):`);
    for (const r of report.conflicts_resolved) o.out(`  ${r.item} attempt ${r.attempt}: ${r.files.join(", ")} by ${r.agent}${r.cost_usd !== null ? ` ($${r.cost_usd.toFixed(4)})` : ""}`);
  }
  if (report.kept_branches.length > 0) {
    o.out(`kept branches with work found nowhere else (${report.kept_branches.length}):`);
    for (const b of report.kept_branches) o.out(`  ${b.name} — ${b.why}${b.files.length > 0 ? `: ${b.files.slice(0, 5).join(", ")}${b.files.length > 5 ? ", ..." : ""}` : ""}`);
  }
  return EXIT.ok;
}

async function showItem(dir: string, id: string, json: boolean, o: Output): Promise<number> {
  const d = await withProject(dir, { writer: false, command: "plan show" }, (p) => itemDetail(p, id));
  if (json) {
    const { events: _events, ...rest } = d;
    printJson(o, rest);
    return EXIT.ok;
  }
  const i = d.item;
  o.out(`${i.id}: ${i.name} — ${i.status}${i.phase ? ` (${i.phase})` : ""}, ${i.attempts} attempt${i.attempts === 1 ? "" : "s"}, $${i.cost_usd.toFixed(4)}${i.merged_commit ? `, merged ${i.merged_commit.slice(0, 10)}` : ""}`);
  if (i.blocked_reason) o.out(`  blocked: ${i.blocked_reason}`);
  if (i.last_error) o.out(`  last attempt: ${i.last_error.split("\n")[0]}`);
  for (const a of d.attempts) {
    o.out(`  ${a.id} ${a.agent} (${a.runtime}${a.model ? ` ${a.model}` : ""}) ${a.outcome?.status ?? a.status}${a.outcome?.cost_usd != null ? ` $${a.outcome.cost_usd.toFixed(4)}` : ""}${a.outcome ? ` ${(a.outcome.duration_ms / 1000).toFixed(1)}s` : ""}`);
  }
  for (const c of d.candidates) {
    o.out(`candidates of attempt ${c.attempt} (${c.policy}): ${c.winner !== null ? `candidate ${c.winner} chosen by ${c.by}` : "none passed"}${c.reasons ? ` — ${c.reasons}` : ""}`);
    const rows = [["#", "agent", "runtime", "model", "passed", "score", "checks", "lines", "files", "outside", "cost", "time", "work"]];
    for (const r of c.results) {
      rows.push([
        `${r.candidate}${r.candidate === c.winner ? "*" : ""}`, r.agent, r.runtime, r.model ?? "-", r.skipped !== null ? "skipped" : r.stopped ? "stopped" : r.passed ? "yes" : "no",
        r.score !== null ? String(r.score) : "-", `${r.checks_passed}/${r.checks_total}`, String(r.diff_lines), String(r.files.length), String(r.outside_scope.length),
        `$${r.cost_usd.toFixed(4)}`, `${r.duration_s.toFixed(1)}s`, r.skipped ?? (r.candidate === c.winner ? "merged" : r.branch ?? r.reason ?? "-"),
      ]);
    }
    const widths = rows[0]!.map((_, k) => Math.max(...rows.map((row) => row[k]!.length)));
    for (const row of rows) o.out(`  ${row.map((cell, k) => (k === row.length - 1 ? cell : cell.padEnd(widths[k]!))).join("  ")}`);
    for (const r of c.results) if (!r.passed && r.reason) o.out(`  ${r.candidate}: ${r.stopped ? "stopped: " : ""}${r.reason}`);
  }
  return EXIT.ok;
}

export async function planNextCommand(args: { dir: string; json: boolean; includeClaimed: boolean }, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  const { next, item, remaining, claimed } = await nextPlanItem(args.dir, { includeClaimed: args.includeClaimed });
  const leftAlone = claimed.length > 0 ? `; ${claimed.length} item(s) claimed by someone else left alone (${claimed.slice(0, 5).join(", ")}${claimed.length > 5 ? ", ..." : ""}; --include-claimed offers them)` : "";
  if (args.json) {
    // stdout stays the item (or null) for scripts; the note goes where people read it.
    if (leftAlone) o.err(`viable: note:${leftAlone.slice(1)}`);
    printJson(o, next);
    return EXIT.ok;
  }
  if (!next || !item) {
    o.out(remaining === 0 ? "nothing to do: every item has passed" : `nothing can start: the ${remaining} remaining item(s) are blocked, running, or wait on them${leftAlone}`);
    return EXIT.ok;
  }
  if (leftAlone) o.err(`viable: note:${leftAlone.slice(1)}`);
  o.out(`${next.id}: ${next.name} (priority ${next.priority}, ${next.complexity} complexity)`);
  if (item.description) o.out(`  ${item.description}`);
  return EXIT.ok;
}

export async function planExportCommand(args: { dir: string; output?: string; inPlace: boolean; json: boolean; tag?: string }, o: Output): Promise<number> {
  const { text, format, source } = await exportStoredPlan(args.dir, { ...(args.tag !== undefined ? { tag: args.tag } : {}) });
  const target = args.inPlace ? source : args.output !== undefined && args.output !== "-" ? outputFile(args.output, "-o/--output") : null;
  if (target === null) {
    o.out(text.endsWith("\n") ? text.slice(0, -1) : text);
    return EXIT.ok;
  }
  writeOutput(target, text, args.inPlace ? "--in-place" : "-o/--output");
  if (args.json) printJson(o, { written: target, format });
  else o.out(`wrote ${format} to ${target}`);
  return EXIT.ok;
}

export async function planSessionsCommand(args: { dir: string; json: boolean; write?: string }, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  const sessions = await planSessions(args.dir);
  if (args.write !== undefined) writeSessionFiles(sessions, path.resolve(args.write));
  if (args.json) {
    printJson(o, sessions);
    return EXIT.ok;
  }
  if (args.write !== undefined) o.out(`wrote ${sessions.length} session file(s) to ${path.resolve(args.write)}`);
  else for (const s of sessions) o.out(`${String(s.session).padStart(3, "0")} ${s.timestamp} ${s.success ? "✓" : "✗"} ${s.feature} ${s.elapsed_seconds}s${s.error ? ` — ${s.error}` : ""}`);
  return EXIT.ok;
}

function formatCounts(c: Record<string, number>): string {
  return Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ") || "no items";
}

