// One attempt of one agent: record it (so a crash can be reconciled), run its runtime under the
// supervisor, log its normalized events, and record the outcome — each step its own transaction.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition } from "../domain/agent.ts";
import type { AgentEvent, AttemptOutcome } from "../domain/outcome.ts";
import { ZERO_USAGE } from "../domain/outcome.ts";
import type { Runtime } from "../domain/runtime.ts";
import type { ViableConfig } from "../config/config.ts";
import type { Store } from "../store/store.ts";
import { finishAttempt, insertAttempt, setAttemptPid } from "../store/tasks.ts";

/** Normalized events beyond this many per attempt are counted, not logged one by one. */
const MAX_LOGGED_EVENTS = 2000;
const MAX_EVENT_TEXT = 4000;

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
      signal: input.signal,
      limits: {
        timeoutMs: (agent.timeout ?? config.defaults.timeout) * 1000,
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
      if (logged < MAX_LOGGED_EVENTS) {
        logged++;
        store.log.append({ event_type: "agent_event", task_id: input.taskId, agent: logAgent, data: { attempt_id: attemptId, ...trimEvent(ev) } });
      } else {
        dropped++;
      }
    }
  } catch (e) {
    outcome = crashedOutcome(e);
  }
  outcome ??= crashedOutcome(new Error("the runtime ended without an outcome"));
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

function trimEvent(ev: Exclude<AgentEvent, { type: "finished" }>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ev };
  for (const key of ["text", "output"] as const) {
    const v = out[key];
    if (typeof v === "string" && v.length > MAX_EVENT_TEXT) out[key] = `${v.slice(0, MAX_EVENT_TEXT)}… (${v.length} chars)`;
  }
  return out;
}

function crashedOutcome(e: unknown): AttemptOutcome {
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: "failed", summary: `runtime error: ${message}`, error: message, exitCode: null, signal: null,
    usage: { ...ZERO_USAGE }, retryable: false, durationMs: 0, outputTruncated: false,
  };
}
