// A long project history for benchmarks: finished tasks of 50 events each, written through the
// store's own code (EventLog.append, the task and attempt projections, the metrics setting) in large
// transactions, with event shapes and sizes like those a real cycle records.

import fs from "node:fs";
import { EventLog, initialMetrics, openProject } from "../src/index.ts";
import type { NewEvent } from "../src/store/event-log.ts";
import { insertAttempt, insertTask } from "../src/store/tasks.ts";

export const EVENTS_PER_TASK = 50;
const AGENT_EVENTS_PER_AGENT = 17;
const AGENTS = ["code-writer", "tester"];
const EVENTS_PER_TRANSACTION = 10_000;
const TASKS_PER_SESSION = 25;

export interface History {
  events: number;
  tasks: number;
  dbMB: number;
}

export async function populateHistory(dir: string, events: number): Promise<History> {
  const maxTasks = Math.ceil(events / EVENTS_PER_TASK);
  let tasks = 0;
  const ctx = await openProject(dir, { writer: true, command: "bench-setup" });
  const { store } = ctx;
  try {
    // A clock that moves a few seconds per event, so the history spans weeks as a real one would.
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const now = () => new Date((clock += 2500));
    const timestamp = () => now().toISOString();
    const prompt = `Task: implement the change\n\n${"Context line about the repository and the agent's role. ".repeat(25)}`;
    const scan = {
      languages: ["TypeScript", "JavaScript"], package_manager: "npm",
      commands: { test: "npm test", lint: "npm run lint", build: "npm run build" }, command_sources: { test: "package.json scripts.test" },
      git: { is_repo: true, branch: "main", detached: false, has_commits: true, dirty: false, changed_files: [] },
      file_count: 412, walk_truncated: false, named_paths: [], existing_named_paths: [],
      risks: [{ risk: "no_ci", severity: "low", detail: "no CI configuration found" }],
      opportunities: ["tests exist: verify with npm test"], analysis: "TypeScript project (npm), 412 files, clean tree on main",
      recommended_approach: "make the change, then run npm test", assessed_complexity: "medium", assessment_basis: "no strong signals",
    };

    let written = 0;
    let log = new EventLog(store.db, "session-0", now);
    const insertAnalysis = store.db.prepare("INSERT INTO task_analysis (task_id, s3_allocation, s4_environment) VALUES (?, ?, ?)");
    const pending: (() => void)[] = [];
    const flush = () => {
      store.atomically(() => {
        for (const write of pending) write();
      });
      pending.length = 0;
    };
    const append = (e: NewEvent) => {
      pending.push(() => log.append(e));
      written++;
      if (pending.length >= EVENTS_PER_TRANSACTION) flush();
    };

    for (let t = 0; t < maxTasks && written + EVENTS_PER_TASK <= events; t++) {
      tasks++;
      if (t % TASKS_PER_SESSION === 0) {
        const session = `session-${t / TASKS_PER_SESSION}`;
        pending.push(() => (log = new EventLog(store.db, session, now)));
      }
      const id = `t${String(t).padStart(7, "0")}`;
      const failed = t % 10 === 7;
      const description = `Benchmark task ${t}: add a greeting function with tests`;
      pending.push(() => {
        const at = timestamp();
        insertTask(store.db, {
          id, description, created_at: at, updated_at: at, status: failed ? "failed" : "completed", complexity: "medium",
          assigned_agents: AGENTS, metadata: { hint: null }, session_id: log.sessionId, owner_pid: null, failure_reason: failed ? "audit failed: npm test" : null,
        });
        insertAnalysis.run(id, JSON.stringify({ task_id: id, complexity: "medium", selected_agents: AGENTS, rationale: "medium task", parallel_execution: false }), JSON.stringify(scan));
      });
      append({ event_type: "task_started", task_id: id, data: { description, hint: null, pid: 4242 } });
      append({ event_type: "environment_scanned", task_id: id, data: scan });
      append({ event_type: "complexity_assessed", task_id: id, data: { complexity: "medium", confidence: 0.5, rationale: "No strong signals detected", keywords_found: [] } });
      append({ event_type: "allocation_made", task_id: id, data: { complexity: "medium", selected_agents: AGENTS, rationale: "medium task: implementer then tests", execution_mode: "sequential" } });
      append({ event_type: "coordination_planned", task_id: id, data: { groups: AGENTS.map((a) => [a]), serialized: true } });
      for (const agent of AGENTS) {
        const attemptId = `${id}-${agent}-1`;
        const errored = failed && agent === "tester";
        append({ event_type: "state_changed", task_id: id, agent: `s1-${agent}`, data: { entity: "agent", agent, status: "busy" } });
        append({ event_type: "agent_invoked", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, runtime: "claude", model: "sonnet", attempt: 1, item_id: null, prompt } });
        for (let k = 0; k < AGENT_EVENTS_PER_AGENT; k++) {
          append({ event_type: "agent_event", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, type: k % 3 === 0 ? "tool_use" : "text", text: `step ${k}: reading src/greet.ts and updating the exported function and its tests accordingly` } });
        }
        const outcome = { status: errored ? "failed" : "succeeded", summary: `${agent} done`, exitCode: errored ? 1 : 0, signal: null, durationMs: 42_000, retryable: false, outputTruncated: false,
          usage: { inputTokens: 12_000, outputTokens: 900, cachedInputTokens: 40_000 } } as const;
        pending.push(() => insertAttempt(store.db, {
          id: attemptId, task_id: id, item_id: null, agent, runtime: "claude", attempt_no: 1, status: "finished", pid: null,
          started_at: timestamp(), ended_at: timestamp(), outcome: { ...outcome, usage: { ...outcome.usage } }, transcript_path: null,
        }));
        append({ event_type: errored ? "agent_error" : "agent_completed", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, success: !errored, status: outcome.status, summary: outcome.summary, exit_code: outcome.exitCode, duration_ms: outcome.durationMs } });
        append({ event_type: "state_changed", task_id: id, agent: `s1-${agent}`, data: { entity: "agent", agent, status: "idle" } });
      }
      append({ event_type: "audit_performed", task_id: id, data: { passed: !failed, score: failed ? 0 : 1, strict: false, oscillation: false, findings: failed ? ["npm test failed"] : [], checks: [] } });
      append({ event_type: "metrics_updated", task_id: id, data: { completion_rate: 0.9, audit_pass_rate: 0.9, oscillation_rate: 0, avg_cycle_iterations: 1.1 } });
      append({ event_type: failed ? "task_failed" : "task_completed", task_id: id, data: { success: !failed, summary: failed ? "audit failed" : "Completed with 2/2 agents successful", description } });
    }
    // Top up to exactly `events` with log entries that belong to no task.
    while (written < events) append({ event_type: "policy_decision", data: { decision: "noted", by: "bench" } });
    pending.push(() => {
      const m = initialMetrics();
      store.saveMetrics({
        ...m, completion_rate: 0.9, audit_pass_rate: 0.88, agent_errors: { "code-writer": 0.05, tester: 0.12 }, avg_cycle_iterations: 1.1, last_updated: timestamp(),
      });
    });
    flush();
  } finally {
    store.close();
  }
  // After close: the last connection checkpoints the WAL into the database file.
  return { events, tasks, dbMB: Math.round(fs.statSync(ctx.paths.database).size / 1e5) / 10 };
}
