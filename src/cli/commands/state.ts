// `viable state`: seed 001's state view (human layout by default, --json for the same data) and
// `--export-vsm DIR`, which writes seed 001's six files so tools built for that layout keep working.

import fs from "node:fs";
import path from "node:path";
import type { AgentRegistry } from "../../agents/registry.ts";
import { toJsonl } from "../../store/event-log.ts";
import type { Store } from "../../store/store.ts";
import { countTasks, latestTask, type TaskRecord } from "../../store/tasks.ts";
import { activeAdaptationLines, healthIssues } from "../../viability/health.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";
import { reportReconciliation } from "../reconciliation-report.ts";

export interface VsmState {
  current_task: Omit<TaskRecord, "session_id" | "owner_pid" | "updated_at"> | null;
  viability_metrics: ReturnType<Store["metrics"]>;
  agent_registry: { agents: Record<string, { type: string; status: string; capabilities: string[]; runtime: string; source: string }>; last_updated: string };
  s3_allocation: unknown;
  s4_environment: unknown;
  tasks: ReturnType<typeof countTasks>;
  kill_switch: ReturnType<Store["killSwitch"]>;
  health: string[];
}

export function collectState(store: Store, registry: AgentRegistry): VsmState {
  const task = latestTask(store.db);
  const analysis = task
    ? (store.db.prepare("SELECT s3_allocation, s4_environment FROM task_analysis WHERE task_id = ?").get(task.id) as { s3_allocation: string | null; s4_environment: string | null } | undefined)
    : undefined;
  const busy = new Set(
    (store.db.prepare("SELECT DISTINCT agent FROM attempts WHERE status = 'running'").all() as { agent: string }[]).map((r) => r.agent),
  );
  const metrics = store.metrics();
  const agents: VsmState["agent_registry"]["agents"] = {};
  for (const a of registry.all()) {
    agents[a.name] = { type: a.kind, status: busy.has(a.name) ? "busy" : "idle", capabilities: a.capabilities, runtime: a.runtime, source: a.source };
  }
  let current: VsmState["current_task"] = null;
  if (task) {
    const { session_id: _s, owner_pid: _p, updated_at: _u, ...rest } = task;
    current = rest;
  }
  return {
    current_task: current,
    viability_metrics: metrics,
    agent_registry: { agents, last_updated: metrics.last_updated },
    s3_allocation: analysis?.s3_allocation ? JSON.parse(analysis.s3_allocation) : null,
    s4_environment: analysis?.s4_environment ? JSON.parse(analysis.s4_environment) : null,
    tasks: countTasks(store.db),
    kill_switch: store.killSwitch(),
    health: healthIssues(metrics),
  };
}

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

export function exportVsm(store: Store, state: VsmState, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
    return file;
  };
  const files = [
    write("current-task.json", state.current_task ?? {}),
    write("viability-metrics.json", state.viability_metrics),
    write("agent-registry.json", {
      agents: Object.fromEntries(Object.entries(state.agent_registry.agents).map(([n, a]) => [n, { type: a.type, status: a.status, capabilities: a.capabilities }])),
      last_updated: state.agent_registry.last_updated,
    }),
    write("s3-allocations.json", state.s3_allocation ?? {}),
    write("s4-environment.json", state.s4_environment ?? {}),
  ];
  const logFile = path.join(dir, "execution-log.jsonl");
  const fd = fs.openSync(logFile, "w");
  try {
    for (const e of store.log.iterate()) fs.writeSync(fd, `${toJsonl(e)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  files.push(logFile);
  return files;
}

export async function stateCommand(args: { dir: string; json: boolean; exportVsm?: string }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "state" });
  try {
    reportReconciliation(ctx.reconciliation, o);
    const state = collectState(ctx.store, ctx.registry());
    if (args.exportVsm !== undefined) {
      const files = exportVsm(ctx.store, state, path.resolve(args.exportVsm));
      if (args.json) printJson(o, { exported: files });
      else o.out(`wrote ${files.length} files to ${path.resolve(args.exportVsm)}`);
      return 0;
    }
    if (args.json) printJson(o, state);
    else o.out(renderState(state));
    return 0;
  } finally {
    ctx.store.close();
  }
}
