// Use cases behind `viable state`: seed 001's state view, and its six export files.

import fs from "node:fs";
import path from "node:path";
import { toJsonl } from "../store/event-log.ts";
import type { KillSwitch, TaskRecord, TaskStatus } from "../store/records.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import { healthIssues } from "../viability/health.ts";

/** The active adaptations as lines a person reads. */
export { activeAdaptationLines } from "../viability/health.ts";
import { outputDirectory, writeOutput } from "./output-target.ts";
import type { Project } from "./project.ts";

export interface VsmState {
  current_task: Omit<TaskRecord, "session_id" | "owner_pid" | "updated_at"> | null;
  viability_metrics: ViabilityMetrics;
  agent_registry: { agents: Record<string, { type: string; status: string; capabilities: string[]; runtime: string; source: string }>; last_updated: string };
  s3_allocation: unknown;
  s4_environment: unknown;
  tasks: Record<TaskStatus, number>;
  kill_switch: KillSwitch | null;
  health: string[];
}

export async function collectState(project: Project): Promise<VsmState> {
  const { queries } = project.store;
  const task = await queries.latestTask();
  const analysis = task ? await queries.taskAnalysis(task.id) : { s3_allocation: null, s4_environment: null };
  const busy = new Set(await queries.busyAgents());
  const metrics = await queries.metrics();
  const agents: VsmState["agent_registry"]["agents"] = {};
  for (const a of project.registry().all()) {
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
    s3_allocation: analysis.s3_allocation,
    s4_environment: analysis.s4_environment,
    tasks: await queries.taskCounts(),
    kill_switch: await queries.killSwitch(),
    health: healthIssues(metrics),
  };
}

/** Writes seed 001's six files into `dir`; returns their paths. */
export async function exportVsm(project: Project, state: VsmState, target: string): Promise<string[]> {
  const dir = outputDirectory(target, "--export-vsm");
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    writeOutput(file, `${JSON.stringify(value, null, 2)}\n`, "--export-vsm");
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
    for await (const e of project.store.queries.eachEvent()) fs.writeSync(fd, `${toJsonl(e)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  files.push(logFile);
  return files;
}
