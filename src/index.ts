// The typed library API: the same operations as the CLI, for programs that embed Viable.
// The CLI is a thin layer over these.

export { main as runCli } from "./cli/main.ts";
export type { Output } from "./cli/output.ts";
export { openProject, type ProjectContext } from "./cli/project-context.ts";
export { collectState, exportVsm, renderState, type VsmState } from "./cli/commands/state.ts";
export { runCycle, CycleStopped, type CycleDeps, type CycleOptions } from "./engine/cycle.ts";
export type { AgentResult, VSMCycleResult, CycleConflict } from "./engine/cycle-result.ts";
export { reconcile, type Reconciliation } from "./engine/reconcile.ts";
export { engageKillSwitch, releaseKillSwitch } from "./engine/kill-switch.ts";
export { analyze, getAgentRecommendation, type ComplexityAssessment, type AgentRecommendation } from "./analysis/complexity.ts";
export { scanEnvironment, type EnvironmentScan } from "./analysis/environment-scan.ts";
export { allocate, type Allocation } from "./analysis/allocation.ts";
export { coordinate, type Coordination } from "./analysis/coordination.ts";
export { AgentRegistry } from "./agents/registry.ts";
export { parseAgentFile } from "./agents/agent-file.ts";
export { runtimeFor, runtimesFor } from "./agents/runtimes.ts";
export { loadConfig, defaultConfig, type ViableConfig } from "./config/config.ts";
export { Store, type StoreOptions } from "./store/store.ts";
export { EventLog, toJsonl, type LogQuery, type TaskSummary } from "./store/event-log.ts";
export { superviseProcess, type ProcessSpec, type SupervisedProcess } from "./process/supervise-process.ts";
export { reapMarked } from "./process/reaper.ts";
export { resolveProject } from "./workspace/project.ts";
export { projectPaths, type ProjectPaths } from "./workspace/paths.ts";
export * from "./domain/errors.ts";
export * from "./domain/events.ts";
export * from "./domain/outcome.ts";
export * from "./domain/runtime.ts";
export * from "./domain/agent.ts";
export * from "./domain/viability.ts";
export * from "./viability/adaptation-engine.ts";
export * from "./viability/metrics.ts";
