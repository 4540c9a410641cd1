// What the dashboard shows of a project at a glance, and of its plan: counts, who works on it, the
// kill switch, pending approvals, cost; the plan's items with their cost and its critical path.

import { buildDependencyGraph, topologicalOrder } from "../plan/dependency-graph.ts";
import { criticalChain } from "../plan/critical-path.ts";
import { workingHolder } from "../store/writer-lock.ts";
import { countStatuses, itemReport, storedPlan, type ItemReport } from "./plan.ts";
import type { Project } from "./project.ts";

export interface ProjectOverview {
  name: string;
  root: string;
  plan: { counts: Record<string, number>; total: number } | null;
  running_attempts: number;
  kill_switch: { engaged: true; since: string; reason: string; by: string } | null;
  pending_approvals: number;
  last_seq: number;
  /** The Viable process working on the project, if one is ("loop", "run", ...). */
  holder: { pid: number; command: string; since: string } | null;
  cost_usd: number;
  warnings: string[];
}

export async function projectOverview(p: Project): Promise<ProjectOverview> {
  const q = p.store.queries;
  const stored = await q.plan();
  const kill = await q.killSwitch();
  const holder = workingHolder(p.paths.lockFile);
  return {
    name: p.paths.root.split("/").at(-1) ?? p.paths.root,
    root: p.paths.root,
    plan: stored ? { counts: countStatuses(stored.plan.items.map((i) => i.status)), total: stored.plan.items.length } : null,
    running_attempts: (await q.runningAttempts()).length,
    kill_switch: kill ? { engaged: true, since: kill.since, reason: kill.reason, by: kill.source ?? "cli" } : null,
    pending_approvals: (await q.approvals("pending")).length,
    last_seq: await q.lastSeq(),
    holder: holder ? { pid: holder.pid, command: holder.command, since: holder.acquired_at } : null,
    cost_usd: (await q.cost()).total_usd,
    warnings: p.warnings,
  };
}

export interface PlanItemView extends ItemReport {
  cost_usd: number;
}

export interface PlanView {
  file: string;
  format: string;
  imported_at: string;
  integration_branch: string | null;
  counts: Record<string, number>;
  critical_path: string[];
  items: PlanItemView[];
}

export async function planView(p: Project): Promise<PlanView> {
  const stored = await storedPlan(p);
  const cost = new Map((await p.store.queries.cost()).by_item.map((r) => [r.key, r.usd]));
  const items = stored.plan.items;
  const { graph } = buildDependencyGraph(items);
  return {
    file: stored.meta.source_file, format: stored.meta.format, imported_at: stored.meta.imported_at, integration_branch: stored.meta.integration_branch,
    counts: countStatuses(items.map((i) => i.status)),
    critical_path: criticalChain(graph, topologicalOrder(graph), items),
    items: items.map((i) => ({ ...itemReport(i, stored.state.get(i.id)), cost_usd: cost.get(i.id) ?? 0 })),
  };
}
