// One attempt of one agent: record it (so a crash can be reconciled), run its runtime under the
// supervisor, log its normalized events, and record the outcome — each step its own transaction.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition } from "../domain/agent.ts";
import type { AttemptOutcome } from "../domain/outcome.ts";
import { failedOutcome, ZERO_USAGE } from "../domain/outcome.ts";
import type { Runtime } from "../domain/runtime.ts";
import type { ViableConfig } from "../config/config.ts";
import type { NewEvent } from "../store/event-log.ts";
import type { Store } from "../store/store.ts";
import { eventData, MAX_EVENT_TEXT } from "./agent-event-data.ts";
import { finishAttempt, insertAttempt, setAttemptPid } from "../store/tasks.ts";
import type { AttemptBudget, BudgetExceeded } from "./budget.ts";
import { costOf } from "./pricing.ts";

/** Normalized events beyond this many per attempt are counted, not logged one by one. */
const MAX_LOGGED_EVENTS = 2000;
const EVENT_BATCH = 50;
const EVENT_FLUSH_MS = 250;

export interface AttemptInput {
  store: Store;
  config: ViableConfig;
  runtime: Runtime;
  agent: AgentDefinition;
  taskId: string;
  itemId?: string;
  attemptNo: number;
  prompt: string;
  cwd: string;
  signal: AbortSignal;
  /** Extra environment for the agent (e.g. VIABLE_ITEM for plan items). */
  env?: Record<string, string>;
  resumeSessionId?: string;
  /** Stops the attempt the moment a budget is crossed. */
  budget?: AttemptBudget;
}

export interface AttemptResult {
  attemptId: string;
  outcome: AttemptOutcome;
  transcriptPath: string;
}

export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { store, agent, config } = input;
  const attemptId = `${input.taskId}-${agent.name}-${input.attemptNo}-${crypto.randomUUID().slice(0, 8)}`;
  const logAgent = `s1-${agent.name}`;
  fs.mkdirSync(store.paths.transcriptsDir, { recursive: true });
  const transcriptPath = path.join(store.paths.transcriptsDir, `${attemptId}.log`);

  store.transition(
    { event_type: "agent_invoked", task_id: input.taskId, agent: logAgent,
      data: { attempt_id: attemptId, runtime: agent.runtime, model: agent.model ?? null, attempt: input.attemptNo, item_id: input.itemId ?? null, prompt: input.prompt.slice(0, MAX_EVENT_TEXT) } },
    () => insertAttempt(store.db, {
      id: attemptId, task_id: input.taskId, item_id: input.itemId ?? null, agent: agent.name, runtime: agent.runtime,
      attempt_no: input.attemptNo, status: "running", pid: null, started_at: store.timestamp(), ended_at: null, outcome: null, transcript_path: transcriptPath,
    }),
  );

  const env: Record<string, string> = {
    VIABLE_TASK_ID: input.taskId,
    VIABLE_AGENT: agent.name,
    VIABLE_ATTEMPT: String(input.attemptNo),
    VIABLE_PROMPT: input.prompt,
    ...input.env,
  };
  let outcome: AttemptOutcome | null = null;
  let logged = 0;
  let dropped = 0;
  // The caller's signal, plus our own reason to stop: a budget crossed mid-stream.
  const local = new AbortController();
  const onAbort = () => local.abort(input.signal.reason);
  if (input.signal.aborted) onAbort();
  else input.signal.addEventListener("abort", onAbort, { once: true });
  let overBudget: BudgetExceeded | undefined;
  const streamed = { ...ZERO_USAGE, usd: 0 };
  // Agent events are committed in batches: one durable sync per event would make a chatty agent
  // wait on the disk. State transitions (attempt start and end) stay one transaction each.
  const pending: NewEvent[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0);
    store.atomically(() => {
      for (const e of batch) store.log.append(e);
    });
  };
  const flushTimer = setInterval(flush, EVENT_FLUSH_MS);
  flushTimer.unref();
  const budgetSeconds = input.budget?.attemptSeconds;
  const timeoutSeconds = Math.min(agent.timeout ?? config.defaults.timeout, budgetSeconds ?? Infinity);
  try {
    const events = input.runtime.run({
      attemptId,
      prompt: input.prompt,
      systemPrompt: agent.prompt,
      cwd: input.cwd,
      ...(agent.model !== undefined ? { model: agent.model } : {}),
      ...(agent.command !== undefined ? { command: agent.command } : {}),
      ...(input.resumeSessionId !== undefined ? { resumeSessionId: input.resumeSessionId } : {}),
      env,
      signal: local.signal,
      limits: {
        timeoutMs: timeoutSeconds * 1000,
        ...(agent.idleTimeout ?? config.defaults.idle_timeout
          ? { idleTimeoutMs: (agent.idleTimeout ?? config.defaults.idle_timeout!) * 1000 } : {}),
        maxOutputBytes: config.defaults.max_output_bytes,
        killGraceMs: config.defaults.kill_grace_ms,
      },
      transcriptPath,
      // Recorded before any output so a crash of Viable leaves the pid to reap.
      onSpawn: (pid) => store.atomically(() => setAttemptPid(store.db, attemptId, pid)),
    });
    for await (const ev of events) {
      if (ev.type === "finished") {
        outcome = ev.outcome;
        continue;
      }
      if (ev.type === "usage" && input.budget && !overBudget) {
        // A usage event carries the attempt's running totals (codex and opencode report them after
        // every turn, claude after every model call): only the growth since the last one is new.
        const delta = {
          inputTokens: Math.max(0, ev.usage.inputTokens - streamed.inputTokens),
          outputTokens: Math.max(0, ev.usage.outputTokens - streamed.outputTokens),
          cachedInputTokens: 0,
        };
        const usd = Math.max(0, (ev.costUsd ?? streamed.usd) - streamed.usd);
        streamed.inputTokens += delta.inputTokens;
        streamed.outputTokens += delta.outputTokens;
        streamed.usd += usd;
        overBudget = input.budget.add({ usage: delta, costUsd: usd });
        if (overBudget) local.abort(overBudget);
      }
      if (logged < MAX_LOGGED_EVENTS) {
        logged++;
        pending.push({ event_type: "agent_event", task_id: input.taskId, agent: logAgent, data: { attempt_id: attemptId, ...eventData(ev) } });
        if (pending.length >= EVENT_BATCH) flush();
      } else {
        dropped++;
      }
    }
  } catch (e) {
    outcome = crashed(e);
  }
  clearInterval(flushTimer);
  flush();
  input.signal.removeEventListener("abort", onAbort);
  outcome ??= crashed(new Error("the runtime ended without an outcome"));
  if (outcome.costUsd === undefined) {
    const computed = costOf(outcome.usage, outcome.model ?? agent.model, config.prices);
    if (computed !== undefined) outcome = { ...outcome, costUsd: computed };
  }
  if (input.budget && !overBudget) {
    // The final totals are authoritative; count what the stream had not already reported.
    overBudget = input.budget.add({
      usage: { inputTokens: Math.max(0, outcome.usage.inputTokens - streamed.inputTokens), outputTokens: Math.max(0, outcome.usage.outputTokens - streamed.outputTokens), cachedInputTokens: 0 },
      costUsd: Math.max(0, (outcome.costUsd ?? 0) - streamed.usd),
    });
    // Crossing the line with the last message does not undo finished work; it stops what comes next.
    if (overBudget && outcome.status === "succeeded") overBudget = undefined;
  }
  if (overBudget) {
    outcome = { ...outcome, status: "failed", retryable: false, error: overBudget.message, summary: `stopped: ${overBudget.message}` };
  }
  const final = outcome;
  store.transition(
    {
      event_type: final.status === "succeeded" ? "agent_completed" : "agent_error",
      task_id: input.taskId,
      agent: logAgent,
      data: { attempt_id: attemptId, success: final.status === "succeeded", status: final.status, summary: final.summary, error: final.error ?? null,
        exit_code: final.exitCode, signal: final.signal, duration_ms: final.durationMs, usage: final.usage, cost_usd: final.costUsd ?? null,
        session_id: final.sessionId ?? null, output_truncated: final.outputTruncated, events_not_logged: dropped },
    },
    () => finishAttempt(store.db, attemptId, "finished", store.timestamp(), final),
  );
  return { attemptId, outcome: final, transcriptPath };
}

function crashed(e: unknown): AttemptOutcome {
  const message = e instanceof Error ? e.message : String(e);
  return failedOutcome(message, `runtime error: ${message}`);
}
