// One attempt of one agent: record it (so a crash can be reconciled), run its runtime under the
// supervisor, record its normalized events, stop it the moment a budget is crossed, and record the
// outcome with its cost. The policies around single attempts (retries, breaker, fallback) are in
// run-agent.ts; this is the one place an agent process is started from.

import fs from "node:fs";
import type { AgentDefinition } from "../../domain/agent.ts";
import { errorMessage } from "../../domain/errors.ts";
import type { AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome, ZERO_USAGE } from "../../domain/outcome.ts";
import type { Runtime } from "../../domain/runtime.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { Journal } from "../../store/journal.ts";
import { BudgetExceeded, type AttemptBudget } from "./budget.ts";
import { AttemptActivity } from "./recap.ts";
import { eventData, MAX_EVENT_TEXT } from "./event-data.ts";
import { costOf } from "./pricing.ts";
import { agentRunOptions } from "../../agents/runtime-options.ts";
import { attemptTranscriptPath } from "../../workspace/paths.ts";
import type { PermissionBroker } from "../../domain/permissions.ts";
import type { BrokerContext } from "../permission-broker.ts";

/** Normalized events beyond this many per attempt are counted, not logged one by one. */
const MAX_LOGGED_EVENTS = 2000;

/** What every attempt of one process shares. */
export interface AttemptEnvironment {
  journal: Journal;
  config: ViableConfig;
  transcriptsDir: string;
  now: () => Date;
  /**
   * How the attempt's row is recorded before its process starts. "commit": durably, before the
   * spawn. "stage": with the next batch — for attempts whose id starts with a task id that is
   * already durable, so that a crash before the row lands still leaves the marker prefix to reap by
   * (the plan loop: thousands of short attempts must not each wait for the disk).
   */
  startRecord: "commit" | "stage";
  /** The permission broker of an attempt, when the project's config has `permissions`. */
  permissions?: ((ctx: BrokerContext) => PermissionBroker) | undefined;
}

/** One attempt: who, on what, where. */
export interface AttemptInput {
  runtime: Runtime;
  agent: AgentDefinition;
  taskId: string;
  itemId?: string | undefined;
  /** Unique; starts with the task id. Exported to every process of the attempt as its marker. */
  attemptId: string;
  /** The nth attempt of this agent at this task or item. */
  attemptNo: number;
  prompt: string;
  cwd: string;
  signal: AbortSignal;
  /** Extra environment for the agent (VIABLE_ITEM_ID, ...), over the VIABLE_* defaults. */
  env?: Record<string, string> | undefined;
  resumeSessionId?: string | undefined;
  /** Stops the attempt the moment a budget is crossed. */
  budget?: AttemptBudget | undefined;
}

export interface AttemptResult {
  attemptId: string;
  outcome: AttemptOutcome;
  /** null when the attempt printed nothing. */
  transcriptPath: string | null;
  /** What the agent said and did, for a runtime that takes the work over (recap.ts). */
  activity: AttemptActivity;
}

export async function runAttempt(env: AttemptEnvironment, input: AttemptInput): Promise<AttemptResult> {
  const { journal, config } = env;
  const { agent, attemptId } = input;
  const logAgent = `s1-${agent.name}`;
  const transcriptPath = attemptTranscriptPath(env, attemptId);
  const started = {
    event: {
      event_type: "agent_invoked" as const, task_id: input.taskId, agent: logAgent,
      data: { attempt_id: attemptId, runtime: agent.runtime, model: agent.model ?? null, attempt: input.attemptNo, item_id: input.itemId ?? null, prompt: input.prompt.slice(0, MAX_EVENT_TEXT) },
    },
    changes: [{
      type: "attempt_started" as const,
      attempt: { id: attemptId, task_id: input.taskId, item_id: input.itemId ?? null, agent: agent.name, runtime: agent.runtime, attempt_no: input.attemptNo, started_at: env.now().toISOString(), transcript_path: null },
    }],
  };
  if (env.startRecord === "commit") await journal.commit(started);
  else journal.stage(started);

  const agentEnv: Record<string, string> = {
    VIABLE_TASK_ID: input.taskId,
    VIABLE_AGENT: agent.name,
    VIABLE_ATTEMPT: String(input.attemptNo),
    VIABLE_PROMPT: input.prompt,
    ...input.env,
  };
  let outcome: AttemptOutcome | null = null;
  const activity = new AttemptActivity();
  let logged = 0;
  let dropped = 0;
  // The caller's signal, plus our own reason to stop: a budget crossed mid-stream.
  const local = new AbortController();
  const onAbort = () => local.abort(input.signal.reason);
  if (input.signal.aborted) onAbort();
  else input.signal.addEventListener("abort", onAbort, { once: true });
  let overBudget: BudgetExceeded | undefined;
  const streamed = { ...ZERO_USAGE, usd: 0 };
  // The attempt's own time budget, and what is left of its item's, task's and run's: the nearest is
  // its timeout when it comes first, so a quiet attempt cannot outlast them, and its timing out is
  // that budget running out.
  const ownTimeout = agent.timeout ?? config.defaults.timeout;
  const deadline = input.budget?.deadline();
  const budgetDeadline = deadline !== undefined && deadline.seconds < ownTimeout ? deadline : undefined;
  const timeoutSeconds = Math.max(0.001, budgetDeadline?.seconds ?? ownTimeout);
  const idleSeconds = agent.idleTimeout ?? config.defaults.idle_timeout;
  try {
    const events = input.runtime.run({
      attemptId,
      prompt: input.prompt,
      systemPrompt: agent.prompt,
      cwd: input.cwd,
      // Its model, tools and turn limit, as its runtime takes them (a Claude alias never reaches codex).
      ...agentRunOptions(agent),
      ...(agent.command !== undefined ? { command: agent.command } : {}),
      ...(input.resumeSessionId !== undefined ? { resumeSessionId: input.resumeSessionId } : {}),
      ...(env.permissions ? { permissions: env.permissions({ taskId: input.taskId, itemId: input.itemId ?? null, agent: agent.name, attemptId }) } : {}),
      env: agentEnv,
      signal: local.signal,
      limits: {
        timeoutMs: timeoutSeconds * 1000,
        ...(idleSeconds !== undefined ? { idleTimeoutMs: idleSeconds * 1000 } : {}),
        maxOutputBytes: config.defaults.max_output_bytes,
        killGraceMs: config.defaults.kill_grace_ms,
      },
      transcriptPath,
      // Recorded with the next batch: the marker, not the pid, is what reaping relies on.
      onSpawn: (pid) => journal.stage({ changes: [{ type: "attempt_pid", id: attemptId, pid }] }),
    });
    for await (const ev of events) {
      if (ev.type === "finished") {
        outcome = ev.outcome;
        continue;
      }
      activity.add(ev);
      if (ev.type === "usage" && input.budget && !overBudget) {
        // A usage event carries the attempt's running totals (codex and opencode report them after
        // every turn, claude after every model call): only the growth since the last one is new.
        const delta = {
          inputTokens: Math.max(0, ev.usage.inputTokens - streamed.inputTokens),
          outputTokens: Math.max(0, ev.usage.outputTokens - streamed.outputTokens),
          cachedInputTokens: 0,
        };
        // The CLI's own cost when it reports one; else the price table, so a dollar budget stops a
        // CLI that reports tokens only (codex, opencode, gemini) mid-stream too.
        const usd = ev.costUsd !== undefined ? Math.max(0, ev.costUsd - streamed.usd) : (costOf(delta, agent.model ?? config.runtimes[agent.runtime]?.model, config.prices) ?? 0);
        streamed.inputTokens += delta.inputTokens;
        streamed.outputTokens += delta.outputTokens;
        streamed.usd += usd;
        overBudget = input.budget.add({ usage: delta, costUsd: usd });
        if (overBudget) local.abort(overBudget);
      }
      if (logged < MAX_LOGGED_EVENTS) {
        logged++;
        journal.stage({ event: { event_type: "agent_event", task_id: input.taskId, agent: logAgent, data: { attempt_id: attemptId, ...(input.itemId !== undefined ? { item: input.itemId } : {}), ...eventData(ev) } } });
      } else {
        dropped++;
      }
    }
  } catch (e) {
    outcome = crashed(e);
  }
  input.signal.removeEventListener("abort", onAbort);
  outcome ??= crashed(new Error("the runtime ended without an outcome"));
  if (outcome.costUsd === undefined) {
    const computed = costOf(outcome.usage, outcome.model ?? agent.model ?? config.runtimes[agent.runtime]?.model, config.prices);
    if (computed !== undefined) outcome = { ...outcome, costUsd: computed };
  }
  if (budgetDeadline && !overBudget && outcome.status === "timed_out") {
    overBudget = new BudgetExceeded(budgetDeadline.scope, `${budgetDeadline.scope} budget exceeded: ${budgetDeadline.limit} s of ${budgetDeadline.limit} s`);
  }
  if (input.budget && !overBudget) {
    // The final totals are authoritative; count what the stream had not already reported (and
    // a scope whose time ran out while the attempt ran).
    overBudget = input.budget.add({
      usage: { inputTokens: Math.max(0, outcome.usage.inputTokens - streamed.inputTokens), outputTokens: Math.max(0, outcome.usage.outputTokens - streamed.outputTokens), cachedInputTokens: 0 },
      costUsd: Math.max(0, (outcome.costUsd ?? 0) - streamed.usd),
    });
  }
  // Crossing the line with the last message — claude reports its cost only in its result — does not
  // undo finished work: the budget stays spent and stops what comes next.
  if (overBudget && outcome.status === "succeeded") overBudget = undefined;
  if (overBudget) {
    outcome = {
      ...outcome, status: "failed", retryable: false, error: overBudget.message, summary: `stopped: ${overBudget.message}`,
      failure: { kind: "budget_exceeded", scope: overBudget.scope },
    };
  }
  const final = outcome;
  const transcript = fs.existsSync(transcriptPath) ? transcriptPath : null;
  journal.stage({
    event: {
      event_type: final.status === "succeeded" ? "agent_completed" : "agent_error",
      task_id: input.taskId,
      agent: logAgent,
      data: {
        attempt_id: attemptId, ...(input.itemId !== undefined ? { item: input.itemId } : {}), success: final.status === "succeeded", status: final.status,
        summary: final.summary, error: final.error ?? null, failure: final.failure ?? null, exit_code: final.exitCode, signal: final.signal, duration_ms: final.durationMs,
        usage: final.usage, cost_usd: final.costUsd ?? null, model: final.model ?? agent.model ?? null, session_id: final.sessionId ?? null,
        output_truncated: final.outputTruncated, events_not_logged: dropped, transcript,
      },
    },
    changes: [{ type: "attempt_finished", id: attemptId, status: final.status === "cancelled" ? "interrupted" : "finished", endedAt: env.now().toISOString(), outcome: final, transcriptPath: transcript }],
  });
  return { attemptId, outcome: final, transcriptPath: transcript, activity };
}

function crashed(e: unknown): AttemptOutcome {
  const message = errorMessage(e);
  return failedOutcome(message, `runtime error: ${message}`);
}
