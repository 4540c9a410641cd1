// `viable state`: seed 001's state view (human layout by default, --json for the same data) and
// `--export-vsm DIR`, which writes seed 001's six files so tools built for that layout keep working.

import path from "node:path";
import { openProject } from "../../app/project.ts";
import { collectState, exportVsm, type VsmState } from "../../app/state.ts";
import { activeAdaptationLines } from "../../app/state.ts";
import { printJson, type Output } from "../output.ts";
import { reportReconciliation } from "../reconciliation-report.ts";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function renderState(s: VsmState): string {
  const rule = "=".repeat(60);
  const lines = [rule, "VSM State", rule, ""];
  if (s.current_task) {
    const t = s.current_task;
    lines.push("Current Task:", `  ID: ${t.id}`, `  Description: ${t.description}`, `  Status: ${t.status}`, `  Complexity: ${t.complexity}`);
    if (t.failure_reason) lines.push(`  Reason: ${t.failure_reason}`);
  } else {
    lines.push("Current Task:", "  (none yet — run `viable run \"<task>\"`)");
  }
  const m = s.viability_metrics;
  lines.push("", "Viability Metrics:",
    `  Completion Rate: ${pct(m.completion_rate)}`,
    `  Audit Pass Rate: ${pct(m.audit_pass_rate)}`,
    `  Oscillation Rate: ${pct(m.oscillation_rate)}`,
    `  S3/S4 Conflicts: ${m.s3_s4_conflicts}`,
    `  Avg Cycle Iterations: ${m.avg_cycle_iterations.toFixed(2)}`);
  const errors = Object.entries(m.agent_errors);
  if (errors.length > 0) {
    lines.push("", "  Agent Error Rates:");
    for (const [agent, rate] of errors) lines.push(`    ${agent}: ${pct(rate)}`);
  }
  const active = activeAdaptationLines(m);
  if (active.length > 0) {
    lines.push("", "  Active Adaptations:");
    for (const a of active) lines.push(`    - ${a}`);
  }
  lines.push("", `Tasks: ${s.tasks.completed} completed, ${s.tasks.failed} failed, ${s.tasks.in_progress} in progress`);
  if (s.kill_switch) lines.push(`Kill switch: ENGAGED since ${s.kill_switch.since} (${s.kill_switch.reason}) — \`viable resume\` to allow work`);
  if (s.health.length > 0) {
    lines.push("", "Health Issues:");
    for (const h of s.health) lines.push(`  - ${h}`);
  }
  lines.push(rule);
  return lines.join("\n");
}

export async function stateCommand(args: { dir: string; json: boolean; exportVsm?: string }, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: false, command: "state" });
  try {
    reportReconciliation(project.reconciliation, o);
    for (const w of project.warnings) o.err(`viable: ${w}`);
    const state = await collectState(project);
    if (args.exportVsm !== undefined) {
      const files = await exportVsm(project, state, path.resolve(args.exportVsm));
      if (args.json) printJson(o, { exported: files });
      else o.out(`wrote ${files.length} files to ${path.resolve(args.exportVsm)}`);
      return 0;
    }
    if (args.json) printJson(o, state);
    else o.out(renderState(state));
    return 0;
  } finally {
    await project.close();
  }
}
