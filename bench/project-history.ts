// A long project history for benchmarks: finished tasks of 50 events each, written through the
// store's own journal (its events and changes: tasks, analyses, attempts, the metrics setting) in
// large commits, with event shapes and sizes like those a real cycle records.

import fs from "node:fs";
import { initialMetrics, resolveProject, type NewEvent } from "../src/index.ts";
import type { Change } from "../src/store/changes.ts";
import { SqliteStore } from "../src/store/store.ts";
import { ensureStateIgnored } from "../src/workspace/project.ts";

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
  const paths = await resolveProject(dir);
  await ensureStateIgnored(paths);
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
  let store: SqliteStore | undefined;
  // Each event is its own entry (stamped when staged); the journal batches them into large commits.
  const pendingChanges = { push: (...changes: Change[]) => store!.journal.stage({ changes }) };
  const session = async (n: number) => {
    await store?.close();
    store = SqliteStore.open(paths, { writer: true, command: "bench-setup", sessionId: `session-${n}`, now, batchWindowMs: 1000 });
  };
  const append = async (e: NewEvent) => {
    store!.journal.stage({ event: e });
    written++;
    if (written % EVENTS_PER_TRANSACTION === 0) await store!.journal.flush();
  };
  try {
    await session(0);
    for (let t = 0; t < maxTasks && written + EVENTS_PER_TASK <= events; t++) {
      tasks++;
      if (t > 0 && t % TASKS_PER_SESSION === 0) await session(t / TASKS_PER_SESSION);
      const id = `t${String(t).padStart(7, "0")}`;
      const failed = t % 10 === 7;
      const description = `Benchmark task ${t}: add a greeting function with tests`;
      const at = timestamp();
      pendingChanges.push(
        {
          type: "task_inserted", task: {
            id, description, created_at: at, updated_at: at, status: failed ? "failed" : "completed", complexity: "medium",
            assigned_agents: AGENTS, metadata: { hint: null }, session_id: store!.sessionId, owner_pid: null, failure_reason: failed ? "audit failed: npm test" : null,
          },
        },
        { type: "analysis_saved", taskId: id, column: "s3_allocation", value: { task_id: id, complexity: "medium", selected_agents: AGENTS, rationale: "medium task", parallel_execution: false } },
        { type: "analysis_saved", taskId: id, column: "s4_environment", value: scan },
      );
      await append({ event_type: "task_started", task_id: id, data: { description, hint: null, pid: 4242 } });
      await append({ event_type: "environment_scanned", task_id: id, data: scan });
      await append({ event_type: "complexity_assessed", task_id: id, data: { complexity: "medium", confidence: 0.5, rationale: "No strong signals detected", keywords_found: [] } });
      await append({ event_type: "allocation_made", task_id: id, data: { complexity: "medium", selected_agents: AGENTS, rationale: "medium task: implementer then tests", execution_mode: "sequential" } });
      await append({ event_type: "coordination_planned", task_id: id, data: { groups: AGENTS.map((a) => [a]), serialized: true } });
      for (const agent of AGENTS) {
        const attemptId = `${id}-${agent}-1`;
        const errored = failed && agent === "tester";
        await append({ event_type: "state_changed", task_id: id, agent: `s1-${agent}`, data: { entity: "agent", agent, status: "busy" } });
        await append({ event_type: "agent_invoked", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, runtime: "claude", model: "sonnet", attempt: 1, item_id: null, prompt } });
        for (let k = 0; k < AGENT_EVENTS_PER_AGENT; k++) {
          await append({ event_type: "agent_event", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, type: k % 3 === 0 ? "tool_use" : "text", text: `step ${k}: reading src/greet.ts and updating the exported function and its tests accordingly` } });
        }
        const outcome = { status: errored ? "failed" : "succeeded", summary: `${agent} done`, exitCode: errored ? 1 : 0, signal: null, durationMs: 42_000, retryable: false, outputTruncated: false,
          usage: { inputTokens: 12_000, outputTokens: 900, cachedInputTokens: 40_000 } } as const;
        pendingChanges.push(
          { type: "attempt_started", attempt: { id: attemptId, task_id: id, item_id: null, agent, runtime: "claude", attempt_no: 1, started_at: timestamp(), transcript_path: null } },
          { type: "attempt_finished", id: attemptId, status: "finished", endedAt: timestamp(), outcome: { ...outcome, usage: { ...outcome.usage } } },
        );
        await append({ event_type: errored ? "agent_error" : "agent_completed", task_id: id, agent: `s1-${agent}`, data: { attempt_id: attemptId, success: !errored, status: outcome.status, summary: outcome.summary, exit_code: outcome.exitCode, duration_ms: outcome.durationMs } });
        await append({ event_type: "state_changed", task_id: id, agent: `s1-${agent}`, data: { entity: "agent", agent, status: "idle" } });
      }
      await append({ event_type: "audit_performed", task_id: id, data: { passed: !failed, score: failed ? 0 : 1, strict: false, oscillation: false, findings: failed ? ["npm test failed"] : [], checks: [] } });
      await append({ event_type: "metrics_updated", task_id: id, data: { completion_rate: 0.9, audit_pass_rate: 0.9, oscillation_rate: 0, avg_cycle_iterations: 1.1 } });
      await append({ event_type: failed ? "task_failed" : "task_completed", task_id: id, data: { success: !failed, summary: failed ? "audit failed" : "Completed with 2/2 agents successful", description } });
    }
    // Top up to exactly `events` with log entries that belong to no task.
    while (written < events) await append({ event_type: "policy_decision", data: { decision: "noted", by: "bench" } });
    const m = initialMetrics();
    pendingChanges.push({
      type: "metrics_saved",
      metrics: { ...m, completion_rate: 0.9, audit_pass_rate: 0.88, agent_errors: { "code-writer": 0.05, tester: 0.12 }, avg_cycle_iterations: 1.1, last_updated: timestamp() },
    });
    await store?.journal.flush();
  } finally {
    await store?.close();
  }
  // After close: the last connection checkpoints the WAL into the database file.
  return { events, tasks, dbMB: Math.round(fs.statSync(paths.database).size / 1e5) / 10 };
}
