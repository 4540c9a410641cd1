// One VSM cycle for one task, in seed 001's order: task → adaptations → S4 scan → S3 analysis and
// allocation → S5 approval when required → S2 coordination → S1 agents → S3* audit (repeating S1
// with the audit's findings up to `max_iterations`) → S3/S4 conflict check → metrics → outcome.
// Every step is a recorded event; a crash at any point leaves a task the next start reconciles.

import { allocate, type Allocation } from "../analysis/allocation.ts";
import { analyze, type ComplexityAssessment } from "../analysis/complexity.ts";
import { coordinate, type Coordination } from "../analysis/coordination.ts";
import { scanEnvironment, type EnvironmentScan } from "../analysis/environment-scan.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import { fileVersionsAfter, type Oscillation } from "../audit/oscillation.ts";
import { auditMarker, runVerification, type VerificationReport } from "../audit/verification.ts";
import type { ViableConfig } from "../config/config.ts";
import { CommitFailed, errorMessage, UserError } from "../domain/errors.ts";
import type { Adaptation, ViabilityMetrics } from "../domain/viability.ts";
import type { YesNoPrompt } from "../domain/permissions.ts";
import type { Store } from "../store/store.ts";
import { applyAdaptations, shouldRequireS5Approval, shouldTightenAudit } from "../viability/adaptation-engine.ts";
import {
  recordAgentResult, recordAuditResult, recordConflict, recordCycleIterations, recordOscillation, recordTaskCompletion,
} from "../viability/metrics.ts";
import type { AttemptPipeline } from "./attempt/pipeline.ts";
import { runAgent } from "./attempt/run-agent.ts";
import { runBestOf } from "./best-of-run.ts";
import { finishRunShadow, startRunShadow, type RunShadow } from "./shadow-run.ts";
import type { AgentResult, CycleConflict, VSMCycleResult } from "./cycle-result.ts";
import { assertNotStopped } from "./kill-switch.ts";
import { composePrompt } from "./prompt.ts";
import { requestApproval, type ApprovalAnswer } from "./approval-wait.ts";
import { askPerson, ruleDecision } from "./s5-policy.ts";
import { liveWatchers } from "../store/watchers.ts";

export interface CycleOptions {
  task: string;
  taskId?: string;
  hint?: string;
  autoApprove: boolean;
  interactive: boolean;
  /** Asks the person at the terminal; true is yes. */
  ask: YesNoPrompt;
  /** `--best-of N`: each agent step as N candidates in worktrees, the best one's change applied (best-of-run.ts). */
  bestOf?: number;
  signal: AbortSignal;
}

export interface CycleDeps {
  store: Store;
  config: ViableConfig;
  registry: AgentRegistry;
  /** The process's attempt pipeline: its runtimes, breakers, budgets and retry settings. */
  pipeline: AttemptPipeline;
}

/** Why a cycle ended without running to its end (Ctrl-C, the kill switch, a refused approval). */
export class CycleStopped extends Error {
  readonly kind: "interrupted" | "kill_switch" | "approval_required";
  constructor(kind: CycleStopped["kind"], message: string) {
    super(message);
    this.kind = kind;
  }
}

export async function runCycle(deps: CycleDeps, opts: CycleOptions): Promise<VSMCycleResult> {
  const { store, config } = deps;
  const { journal, queries } = store;
  await assertNotStopped(store);
  const taskId = opts.taskId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const now = () => store.now();

  // Durable before anything runs: a crash from here on leaves a task the next start reconciles.
  await journal.commit({
    event: { event_type: "task_started", task_id: taskId, data: { description: opts.task, hint: opts.hint ?? null, pid: process.pid } },
    changes: [{
      type: "task_inserted",
      task: {
        id: taskId, description: opts.task, created_at: store.timestamp(), updated_at: store.timestamp(), status: "in_progress",
        complexity: "unknown", assigned_agents: [], metadata: { hint: opts.hint ?? null }, session_id: store.sessionId, owner_pid: process.pid, failure_reason: null,
      },
    }],
  });

  const results: AgentResult[] = [];
  const conflicts: CycleConflict[] = [];
  let shadow: RunShadow | null = null;
  let newAdaptations: Adaptation[];
  let metrics = await queries.metrics();
  try {
    // Algedonic loop first: what the metrics call for acts on this very cycle.
    const adapted = applyAdaptations(metrics, now());
    metrics = adapted.metrics;
    newAdaptations = adapted.applied;
    journal.stage({
      events: [
        ...adapted.applied.map((a) => ({ event_type: "adaptation_applied" as const, task_id: taskId, data: { ...a } })),
        ...adapted.cleared.map((a) => ({ event_type: "adaptation_cleared" as const, task_id: taskId, data: { ...a } })),
      ],
      changes: [{ type: "metrics_saved", metrics }],
    });
    const active = metrics.active_adaptations;

    // S4: the environment, read from the repository itself.
    const scan = await scanEnvironment(store.paths.root, opts.task, opts.signal);
    journal.stage({ event: { event_type: "environment_scanned", task_id: taskId, data: { ...scan } }, changes: [{ type: "analysis_saved", taskId, column: "s4_environment", value: scan }] });
    checkStopped(opts.signal);

    // S3: complexity and allocation; S5 may reject it once, after which S3 re-plans with S4's view.
    let assessment = assess(opts.task, opts.hint, metrics, active, config);
    let allocation = allocateAgents(deps, assessment, active);
    recordAllocation(store, taskId, assessment, allocation);

    if (shouldRequireS5Approval(metrics)) {
      let decision = await approve(store, taskId, opts, config, allocation, assessment);
      if (decision === "rejected") {
        assessment = assess(opts.task, scan.assessed_complexity, metrics, active, config);
        allocation = allocateAgents(deps, assessment, active);
        recordAllocation(store, taskId, assessment, allocation);
        decision = await approve(store, taskId, opts, config, allocation, assessment);
        if (decision === "rejected") {
          return await finish(deps, taskId, opts.task, metrics, results, conflicts, newAdaptations, null, 0, "S5 rejected the allocation twice", false);
        }
      }
    }

    // S2: who runs with whom, so agents that would touch the same files never run at once.
    const coordination = coordinate({ allocation, task: opts.task, adaptations: active });
    journal.stage({ event: { event_type: "coordination_planned", task_id: taskId, data: { ...coordination } } });

    // A one-agent task's shadow (`shadow:` on the agent or in config) works beside the whole cycle.
    const only = allocation.agents.length === 1 ? deps.registry.require(allocation.agents[0]!.name) : null;
    if (only && !(opts.bestOf !== undefined && opts.bestOf > 1)) {
      shadow = await startRunShadow(deps, {
        task: opts.task, taskId, agent: only, signal: opts.signal,
        note: (why) => journal.stage({ event: { event_type: "policy_decision", task_id: taskId, data: { decision: "no_shadow", reason: why } } }),
      });
    }

    // S1 and S3*: run the schedule, audit, and run again with the findings while iterations remain.
    const maxIterations = config.defaults.max_iterations;
    let audit: VerificationReport | null = null;
    let oscillated = false;
    let iteration = 0;
    while (iteration < maxIterations) {
      iteration++;
      const before = results.length;
      const oscillations = await runSchedule(deps, opts, taskId, coordination, allocation, results, iteration, audit);
      const iterationResults = results.slice(before);
      oscillated ||= oscillations.length > 0;
      audit = await audit3Star(deps, opts, taskId, scan, iterationResults, metrics, oscillations.length > 0, iteration);
      if (audit.passed || iterationResults.every((r) => !r.success)) break;
    }

    // S3/S4 conflict: S3's complexity and S4's independent estimate disagree → escalate to S5.
    if (scan.assessed_complexity !== assessment.complexity) {
      const conflict: CycleConflict = { type: "complexity_disagreement", s3: assessment.complexity, s4: scan.assessed_complexity };
      conflicts.push(conflict);
      metrics = recordConflict(metrics, now());
      journal.stage({
        events: [
          { event_type: "conflict_detected", task_id: taskId, data: { ...conflict, s3_position: `complexity ${assessment.complexity}`, s4_position: `complexity ${scan.assessed_complexity}` } },
          { event_type: "policy_decision", task_id: taskId, data: { decision: "keep S3's allocation for this cycle; counted towards require_s5_approval", escalated: true, conflict: conflict.type } },
        ],
      });
    }
    metrics = recordOscillation(metrics, oscillated, now());

    const allSucceeded = results.length > 0 && lastRunOfEachAgent(results).every((r) => r.success);
    const success = allSucceeded && audit !== null && audit.passed;
    const summary = summarize(results, audit, success);
    if (shadow) await finishRunShadow(deps, shadow, { passed: audit !== null && audit.passed, reason: success ? null : summary, results });
    return await finish(deps, taskId, opts.task, metrics, results, conflicts, newAdaptations, audit, iteration, summary, success);
  } catch (e) {
    // The run did not finish: its shadow is stopped, and the pair recorded as stopped.
    if (shadow) await finishRunShadow(deps, shadow, { passed: false, reason: errorMessage(e), results, stop: "the run ended before its audit" }).catch(() => undefined);
    // A step cut short by the abort (a git command, the S4 scan) fails with its own error; the
    // cause is the stop (Ctrl-C, the kill switch), and that is what the task and the caller get.
    // A failed journal commit is not a stop: it is rethrown as itself (recording it fails too).
    const error = !(e instanceof CycleStopped) && opts.signal.aborted && !(opts.signal.reason instanceof CommitFailed) ? stopOf(opts.signal) : e;
    const reason = error instanceof CycleStopped ? error.message : errorMessage(error);
    const status = error instanceof CycleStopped ? error.kind : "error";
    await journal.commit({
      event: { event_type: "task_failed", task_id: taskId, data: { reason, status, agents_invoked: results.map((r) => `s1-${r.agent}`) } },
      changes: [{ type: "task_updated", id: taskId, patch: { status: "failed", updated_at: store.timestamp(), failure_reason: reason, owner_pid: null } }],
    });
    throw error;
  }
}

function assess(task: string, hint: string | undefined, metrics: ViabilityMetrics, active: Adaptation[], config: ViableConfig): ComplexityAssessment {
  return analyze(task, {
    ...(hint !== undefined ? { hint } : {}),
    metrics,
    activeAdaptations: active,
    custom: { ...(config.complexity.keywords ? { keywords: config.complexity.keywords } : {}), ...(config.complexity.domains ? { domains: config.complexity.domains } : {}) },
  });
}

function allocateAgents(deps: CycleDeps, assessment: ComplexityAssessment, active: Adaptation[]): Allocation {
  const allocation = allocate({ assessment, registry: deps.registry.all(), adaptations: active });
  // S3 stands another agent in for one that is not there; but one whose file is broken is there,
  // as the user wrote it: the task needs it, so it fails saying why rather than run a stand-in.
  const broken = new Map(deps.registry.broken().map((b) => [b.name, b]));
  for (const a of allocation.agents) {
    const b = a.stands_in_for === undefined ? undefined : broken.get(a.stands_in_for);
    if (b === undefined) continue;
    throw new UserError({
      reason: "bad_agent_file", file: b.error.file ?? b.file, ...(b.error.field !== undefined ? { field: b.error.field } : {}),
      message: `this task needs the agent ${b.name}, whose file is broken: ${b.error.summary}`,
      fix: b.error.fix ?? `correct ${b.file}`,
    });
  }
  return allocation;
}

function recordAllocation(store: Store, taskId: string, assessment: ComplexityAssessment, allocation: Allocation): void {
  const names = allocation.agents.map((a) => a.name);
  store.journal.stage({
    events: [
      { event_type: "complexity_assessed", task_id: taskId, data: { ...assessment } },
      {
        event_type: "allocation_made", task_id: taskId,
        data: { complexity: assessment.complexity, selected_agents: names, rationale: allocation.rationale, execution_mode: allocation.execution_mode, agents: allocation.agents },
      },
    ],
    changes: [
      { type: "task_updated", id: taskId, patch: { complexity: assessment.complexity, assigned_agents: names, updated_at: store.timestamp() } },
      {
        type: "analysis_saved", taskId, column: "s3_allocation",
        value: {
          task_id: taskId, complexity: assessment.complexity, selected_agents: names, rationale: allocation.rationale, created_at: store.timestamp(),
          parallel_execution: allocation.execution_mode !== "sequential", confidence: assessment.confidence, agents: allocation.agents,
        },
      },
    ],
  });
}

async function approve(store: Store, taskId: string, opts: CycleOptions, config: ViableConfig, allocation: Allocation, assessment: ComplexityAssessment): Promise<"approved" | "rejected"> {
  const question = `S5 approval required (recent S3/S4 conflicts). Run ${allocation.agents.map((a) => a.name).join(", ")} on this ${assessment.complexity} task?`;
  const agents = allocation.agents.map((a) => a.name);
  const decide = async (data: Record<string, unknown>) => store.journal.commit({ event: { event_type: "policy_decision", task_id: taskId, data: { subject: "allocation", ...data } } });
  const rule = ruleDecision(opts.autoApprove, config.approval);
  const watched = liveWatchers(store.paths.watchersDir).length > 0;
  if (rule || (!opts.interactive && !watched)) {
    // Nobody is asked: the request is logged, and so is who decided.
    await store.journal.commit({ event: { event_type: "approval_requested", task_id: taskId, data: { question, agents } } });
    if (rule) {
      await decide({ decision: rule.decision, by: rule.by });
      return rule.decision;
    }
    await decide({ decision: "approval_required", by: "none" });
    throw new CycleStopped("approval_required",
      "S5 approval is required (the require_s5_approval adaptation is active) and nobody is at a terminal to give it; rerun with --auto-approve, or set \"approval\": \"approve\" in .viable/config.json");
  }
  const pending = await requestApproval(store, { taskId, itemId: null, subject: "allocation", question, data: { agents, timeout_s: config.approval_timeout } });
  let answer: ApprovalAnswer | null;
  try {
    answer = await askPerson({
      signal: opts.signal,
      terminal: opts.interactive ? async (signal) => pending.answer(await opts.ask(question, signal), "terminal") : undefined,
      remote: pending.watchers.length > 0 ? (signal) => pending.remote(signal, opts.interactive ? undefined : config.approval_timeout * 1000) : undefined,
    });
  } finally {
    // Stopped, failed or unanswered: the question is closed, so no inbox offers to answer it.
    await pending.close(opts.signal.aborted ? "stopped" : "timeout").catch(() => undefined);
  }
  if (answer === null) {
    await decide({ decision: "approval_required", by: "none", approval_id: pending.id });
    throw new CycleStopped("approval_required",
      `S5 approval is required (the require_s5_approval adaptation is active) and nobody answered within ${config.approval_timeout}s (or the dashboard that could went away); rerun with --auto-approve, or set "approval": "approve" in .viable/config.json`);
  }
  const decision = answer.approved ? "approved" : "rejected";
  await decide({ decision, by: "user", via: answer.by, approval_id: pending.id });
  return decision;
}

/** Runs one S1 iteration, group by group; returns the oscillations found after each group. */
async function runSchedule(deps: CycleDeps, opts: CycleOptions, taskId: string, coordination: Coordination, allocation: Allocation,
  results: AgentResult[], iteration: number, lastAudit: VerificationReport | null): Promise<Oscillation[]> {
  const { store } = deps;
  const oscillations: Oscillation[] = [];
  // An agent may appear twice (a reviewer inserted before an agent and the final review): groups
  // keep the allocation's order, so each occurrence takes the next step of that name.
  const steps = new Map<string, Allocation["agents"]>();
  for (const a of allocation.agents) steps.set(a.name, [...(steps.get(a.name) ?? []), a]);
  for (const [groupIndex, group] of coordination.groups.entries()) {
    checkStopped(opts.signal);
    // Engaged by `viable stop` while this cycle ran: a stop like Ctrl-C, not a usage error.
    const engaged = await store.queries.killSwitch();
    if (engaged) throw new CycleStopped("kill_switch", `stopped by the kill switch (since ${engaged.since}: ${engaged.reason})`);
    const previous = results.map((r) => ({ agent: r.agent, success: r.success, summary: r.output }));
    const groupResults = await Promise.all(group.map(async (name) => {
      const step = steps.get(name)?.shift();
      const agent = deps.registry.require(name);
      const prompt = composePrompt({
        task: opts.task, agent, role: step?.role ?? "primary", focus: step?.focus ?? opts.task, previous,
        ...(lastAudit && !lastAudit.passed ? { auditFeedback: lastAudit.feedback } : {}),
      });
      store.journal.stage({ event: { event_type: "state_changed", task_id: taskId, agent: `s1-${name}`, data: { entity: "agent", agent: name, status: "busy", iteration } } });
      // Best-of picks the implementation: the first pass's first agent, when it works alone. The
      // agents after it, and the audit's correction passes, work on the chosen change in place.
      if (opts.bestOf !== undefined && opts.bestOf > 1 && iteration === 1 && groupIndex === 0 && group.length === 1) {
        const r = await runBestOf(deps, {
          task: opts.task, taskId, agent, role: step?.role ?? "primary", focus: step?.focus ?? opts.task, n: opts.bestOf, iteration, signal: opts.signal,
          auditFeedback: lastAudit && !lastAudit.passed ? lastAudit.feedback : undefined,
        });
        store.journal.stage({ event: { event_type: "state_changed", task_id: taskId, agent: `s1-${name}`, data: { entity: "agent", agent: name, status: "idle", iteration } } });
        return r;
      }
      const { outcome, attempts, runtime } = await runAgent(deps.pipeline, { agent, taskId, prompt, cwd: store.paths.root, signal: opts.signal });
      const lastAttempt = attempts.at(-1);
      store.journal.stage({ event: { event_type: "state_changed", task_id: taskId, agent: `s1-${name}`, data: { entity: "agent", agent: name, status: "idle", iteration } } });
      const result: AgentResult = {
        agent: name, success: outcome.status === "succeeded", output: outcome.summary, error: outcome.status === "succeeded" ? null : (outcome.error ?? outcome.status),
        metadata: {
          status: outcome.status, attempt_id: lastAttempt?.attemptId ?? null, attempts: attempts.length, iteration, runtime, exit_code: outcome.exitCode, duration_ms: outcome.durationMs,
          usage: outcome.usage, cost_usd: outcome.costUsd ?? null, session_id: outcome.sessionId ?? null, transcript: lastAttempt?.transcriptPath ?? null, failure: outcome.failure ?? null,
        },
      };
      return result;
    }));
    results.push(...groupResults);
    checkStopped(opts.signal);
    // File versions are recorded after every group, not once after the iteration: by then a later
    // agent may have undone an earlier one's change, and the round trip would go unseen.
    oscillations.push(...await collectOscillations(store, taskId, groupResults, opts.signal));
  }
  return oscillations;
}

async function collectOscillations(store: Store, taskId: string, groupResults: AgentResult[], signal: AbortSignal): Promise<Oscillation[]> {
  // Recorded per group member after the whole group: parallel members touch disjoint zones by S2's plan.
  const found: Oscillation[] = [];
  for (const r of groupResults) {
    const history = await store.queries.fileVersions(taskId);
    const { versions, oscillations } = await fileVersionsAfter(history, r.agent, store.paths.root, signal);
    found.push(...oscillations);
    // Committed before the next member reads the history it extends.
    await store.journal.commit({
      changes: versions.map((v) => ({ type: "file_version" as const, taskId, ...v })),
      events: oscillations.map((o) => ({ event_type: "oscillation_detected" as const, task_id: taskId, agent: `s1-${o.agent}`, data: { ...o, description: `${o.path} returned to the version from ${o.returned_to}` } })),
    });
  }
  return found;
}

async function audit3Star(deps: CycleDeps, opts: CycleOptions, taskId: string, scan: EnvironmentScan, iterationResults: AgentResult[],
  metrics: ViabilityMetrics, oscillation: boolean, iteration: number): Promise<VerificationReport> {
  const strict = shouldTightenAudit(metrics);
  const commands = deps.config.verify ?? [scan.commands.test, ...(strict ? [scan.commands.lint, scan.commands.build] : [])].filter((c): c is string => typeof c === "string");
  const report = await runVerification({
    commands, cwd: deps.store.paths.root, signal: opts.signal, timeoutMs: deps.config.defaults.verify_timeout * 1000,
    killGraceMs: deps.config.defaults.kill_grace_ms, maxOutputBytes: deps.config.defaults.max_output_bytes,
    transcriptDir: deps.store.paths.transcriptsDir, label: taskId, marker: auditMarker(taskId),
    // Under tighten_s3_star, having nothing to verify with is a failure, not a pass with a warning.
    requireCommands: strict,
    agentFailures: iterationResults.filter((r) => !r.success).map((r) => r.agent),
  });
  deps.store.journal.stage({ event: { event_type: "audit_performed", task_id: taskId, data: { passed: report.passed, score: report.score, strict, oscillation, iteration, findings: report.findings, checks: report.checks } } });
  checkStopped(opts.signal);
  return report;
}

async function finish(deps: CycleDeps, taskId: string, task: string, metricsIn: ViabilityMetrics, results: AgentResult[], conflicts: CycleConflict[],
  adaptations: Adaptation[], audit: VerificationReport | null, iterations: number, summary: string, success: boolean): Promise<VSMCycleResult> {
  const { store } = deps;
  const now = store.now();
  let m = metricsIn;
  for (const r of lastRunOfEachAgent(results)) m = recordAgentResult(m, r.agent, r.success, now);
  if (audit) m = recordAuditResult(m, audit.passed, now);
  m = recordTaskCompletion(m, success, now);
  if (iterations > 0) m = recordCycleIterations(m, iterations, now);
  const agentsInvoked = [...new Set(results.map((r) => `s1-${r.agent}`))];
  const metrics = m;
  await store.journal.commit({
    events: [
      { event_type: "metrics_updated", task_id: taskId, data: { completion_rate: metrics.completion_rate, audit_pass_rate: metrics.audit_pass_rate, oscillation_rate: metrics.oscillation_rate, avg_cycle_iterations: metrics.avg_cycle_iterations, agent_errors: metrics.agent_errors } },
      { event_type: success ? "task_completed" : "task_failed", task_id: taskId,
        data: { success, summary, description: task, agents_invoked: agentsInvoked, audit_passed: audit?.passed ?? null, iterations } },
    ],
    changes: [
      { type: "metrics_saved", metrics },
      { type: "task_updated", id: taskId, patch: { status: success ? "completed" : "failed", updated_at: store.timestamp(), failure_reason: success ? null : summary, owner_pid: null } },
    ],
  });
  return {
    task_id: taskId, success, summary, agents_invoked: agentsInvoked, audit_passed: audit?.passed ?? null, conflicts,
    adaptations: adaptations.map((a) => ({ ...a })), s1_results: results,
  };
}

/** On a correction iteration an agent runs again; its latest run is what counts. */
function lastRunOfEachAgent(results: AgentResult[]): AgentResult[] {
  const last = new Map<string, AgentResult>();
  for (const r of results) last.set(r.agent, r);
  return [...last.values()];
}

function summarize(results: AgentResult[], audit: VerificationReport | null, success: boolean): string {
  const latest = lastRunOfEachAgent(results);
  const ok = latest.filter((r) => r.success).length;
  const base = `Completed with ${ok}/${latest.length} agents successful`;
  if (success) return base;
  const failed = latest.filter((r) => !r.success).map((r) => `${r.agent}: ${r.error ?? "failed"}`);
  const parts = [base];
  if (failed.length) parts.push(failed.join("; "));
  if (audit && !audit.passed) parts.push(`audit failed: ${audit.findings.join("; ")}`);
  return parts.join(" — ");
}

function checkStopped(signal: AbortSignal): void {
  if (signal.aborted) throw stopOf(signal);
}

function stopOf(signal: AbortSignal): CycleStopped {
  const reason: unknown = signal.reason;
  if (reason instanceof CycleStopped) return reason;
  return new CycleStopped("interrupted", typeof reason === "string" ? reason : "interrupted");
}

