// The typed library API: the use cases the CLI is made of, for programs that embed Viable, and the
// types they take and return. The CLI is a thin layer over these.

export { main as runCli } from "./cli/main.ts";
export type { Output } from "./cli/output.ts";

// Use cases
export { openProject, withProject, type Project, type OpenOptions } from "./app/project.ts";
export { runTask, type RunTaskOptions } from "./app/run-task.ts";
export { runPlanLoop, type LoopOptions, type LoopResult } from "./app/run-loop.ts";
export { stopProject, resumeProject, resetProject, KILL_SIGNAL, type StopResult } from "./app/control.ts";
export { pruneProject, type PruneReport, type KeptBranch } from "./app/prune.ts";
export { collectState, exportVsm, type VsmState } from "./app/state.ts";
export { readLog, streamLog, taskSummary, toJsonl } from "./app/log.ts";
export {
  importPlanFile, checkPlanFile, checkStoredPlan, showPlan, nextPlanItem, exportStoredPlan, planSessions, writeSessionFiles,
  type PlanImport, type PlanReport, type ItemReport, type PlanSource,
} from "./app/plan.ts";
export { listAgents, type AgentListing } from "./app/agents.ts";
export { analyzeTask } from "./app/analyze.ts";
export { surveyProject, planInit, applyInit, type InitChoices, type InitSurvey, type PlannedFile, type InitResult } from "./app/init.ts";
export { takeOver, type Takeover } from "./app/attach.ts";
export { doctor, diagnose, type RuntimeDiagnosis } from "./app/doctor.ts";

// What the use cases take and return
export { CycleStopped, type CycleOptions } from "./engine/cycle.ts";
export type { AgentResult, VSMCycleResult, CycleConflict } from "./engine/cycle-result.ts";
export type { Reconciliation } from "./engine/reconcile.ts";
export { LoopStopped } from "./engine/loop/loop.ts";
export { LOOP_OUTCOMES, type LoopOutcome, type WorkspaceMode } from "./engine/loop/loop-context.ts";
export type { Store, StoreOptions, JournalTransport } from "./store/store.ts";
export type { Journal, JournalEntry } from "./store/journal.ts";
export { EventBus, type EventListener } from "./store/event-bus.ts";
export type { Queries } from "./store/queries.ts";
export type { LogQuery, TaskSummary } from "./store/event-log.ts";
export type { TaskRecord, AttemptRecord, SessionRecord, KillSwitch, TakeoverRecord } from "./store/records.ts";
export { loadConfig, defaultConfig, type ViableConfig } from "./config/config.ts";
export { AgentRegistry } from "./agents/registry.ts";
export { parseAgentFile } from "./agents/agent-file.ts";
export { importPlan, exportPlan } from "./plan/import/import-plan.ts";
export { validatePlan } from "./plan/validate.ts";
export { Scheduler } from "./plan/scheduler.ts";
export { nextFeature } from "./plan/next-feature.ts";
export { itemComplexity } from "./plan/item-complexity.ts";
export type { Plan, PlanItem, ItemStatus } from "./plan/plan.ts";
export { analyze, getAgentRecommendation, type ComplexityAssessment, type AgentRecommendation } from "./analysis/complexity.ts";
export { scanEnvironment, type EnvironmentScan } from "./analysis/environment-scan.ts";
export { allocate, type Allocation } from "./analysis/allocation.ts";
export { coordinate, type Coordination } from "./analysis/coordination.ts";
export { resolveProject } from "./workspace/project.ts";
export { projectPaths, type ProjectPaths } from "./workspace/paths.ts";
export * from "./domain/errors.ts";
export * from "./domain/events.ts";
export * from "./domain/outcome.ts";
export * from "./domain/runtime.ts";
export * from "./domain/agent.ts";
export * from "./domain/viability.ts";
