// Running one agent's step to an outcome, with the policies around single attempts, in this order:
// the fallback chain (e.g. claude → codex, carrying the task, the previous attempt's summary and its
// changed files to the next runtime), the circuit breaker of each runtime, retries with backoff for
// retryable outcomes (resuming the agent's own session where the CLI can), and budgets that refuse
// to start an attempt once a scope is spent and cancel one mid-stream when it crosses a limit.

import { setTimeout as sleep } from "node:timers/promises";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome } from "../../domain/outcome.ts";
import type { RuntimeName } from "../../domain/runtime.ts";
import { changedPaths } from "../../workspace/git.ts";
import type { AttemptPipeline } from "./pipeline.ts";
import { isRuntimeFailure, retryDelayMs, shouldRetry } from "./retry-policy.ts";
import { runAttempt, type AttemptResult } from "./run-attempt.ts";

/** One agent's step at a task or a plan item. */
export interface AgentStep {
  agent: AgentDefinition;
  taskId: string;
  itemId?: string | undefined;
  prompt: string;
  cwd: string;
  signal: AbortSignal;
  /** Extra environment for the agent, over the VIABLE_* defaults. */
  env?: Record<string, string> | undefined;
}

export interface AgentStepResult {
  outcome: AttemptOutcome;
  /** Every attempt made, in order (retries and fallbacks included). */
  attempts: AttemptResult[];
  /** The runtime whose outcome this is. */
  runtime: RuntimeName;
}

export async function runAgent(pipeline: AttemptPipeline, step: AgentStep): Promise<AgentStepResult> {
  const { agent } = step;
  const { journal } = pipeline.env;
  const logAgent = `s1-${agent.name}`;
  const chain: RuntimeName[] = [agent.runtime, ...((agent.fallback ?? []) as RuntimeName[]).filter((r) => r !== agent.runtime)];
  const attempts: AttemptResult[] = [];
  const key = { taskId: step.taskId, itemId: step.itemId };
  const decision = (data: Record<string, unknown>) =>
    journal.stage({ event: { event_type: "policy_decision", task_id: step.taskId, agent: logAgent, data: { ...(step.itemId !== undefined ? { item: step.itemId } : {}), ...data } } });
  let last: { outcome: AttemptOutcome; runtime: RuntimeName } | null = null;
  let carried = "";

  for (const [index, runtimeName] of chain.entries()) {
    const breaker = pipeline.breakers.for(runtimeName);
    if (!breaker.allows()) {
      decision({ decision: "skip_runtime", runtime: runtimeName, reason: `circuit open for ${Math.ceil(breaker.retryInMs() / 1000)} s more after repeated failures` });
      last ??= { outcome: failedOutcome(`the ${runtimeName} runtime's circuit breaker is open after repeated failures`, undefined, { kind: "circuit_open" }), runtime: runtimeName };
      continue;
    }
    const definition = runtimeName === agent.runtime ? agent : fallbackDefinition(agent, runtimeName, pipeline.config);
    let retries = 0;
    let resume: string | undefined;
    for (;;) {
      const spent = pipeline.budget.blocking(key);
      if (spent) {
        decision({ decision: "budget_stop", scope: spent.scope, reason: spent.message });
        return { outcome: failedOutcome(spent.message, undefined, { kind: "budget_exceeded", scope: spent.scope }), attempts, runtime: runtimeName };
      }
      const { attemptId, attemptNo } = pipeline.nextAttempt(step.taskId, step.itemId, agent.name);
      const result = await runAttempt(pipeline.env, {
        runtime: pipeline.runtime(runtimeName), agent: definition, taskId: step.taskId, itemId: step.itemId, attemptId, attemptNo,
        prompt: step.prompt + carried, cwd: step.cwd, signal: step.signal, env: step.env, resumeSessionId: resume,
        budget: pipeline.budget.attempt(key),
      });
      attempts.push(result);
      const outcome = result.outcome;
      last = { outcome, runtime: runtimeName };
      if (outcome.status === "succeeded") {
        breaker.recordSuccess();
        return { outcome, attempts, runtime: runtimeName };
      }
      if (isRuntimeFailure(outcome)) breaker.recordFailure();
      // A spent budget is spent for every runtime; a cancel is the caller's.
      if (outcome.status === "cancelled" || step.signal.aborted || outcome.failure?.kind === "budget_exceeded") {
        return { outcome, attempts, runtime: runtimeName };
      }
      if (!shouldRetry(outcome, retries, pipeline.retry) || !breaker.allows()) break;
      const delayMs = retryDelayMs(outcome, retries, pipeline.retry);
      retries++;
      // Continue the agent's own conversation where the CLI keeps one, rather than start over; an
      // attempt that failed before the model answered has nothing to continue, and some CLIs keep no
      // such session at all (gemini: "No previous sessions found", exit 42).
      resume = madeProgress(outcome) ? outcome.sessionId : undefined;
      journal.stage({
        event: {
          event_type: "agent_event", task_id: step.taskId, agent: logAgent,
          data: { type: "retry", ...(step.itemId !== undefined ? { item: step.itemId } : {}), attempt: retries, delayMs, reason: outcome.error ?? outcome.status, runtime: runtimeName, honoured_hint: outcome.retryAfterMs !== undefined },
        },
      });
      try {
        await sleep(delayMs, undefined, { signal: step.signal });
      } catch {
        return { outcome, attempts, runtime: runtimeName };
      }
    }
    const next = chain[index + 1];
    if (next === undefined) break;
    // Falling back: tell the next runtime what the last one did and left behind.
    const files = await changedPaths(step.cwd, step.signal).catch(() => [] as string[]);
    carried = `\n\nA previous attempt with ${runtimeName} did not finish: ${last.outcome.summary}` +
      (files.length ? `\nFiles it changed (still in the workspace): ${files.slice(0, 50).join(", ")}` : "");
    decision({ decision: "fallback", from: runtimeName, to: next, reason: last.outcome.error ?? last.outcome.status, changed_files: files.slice(0, 50) });
  }
  return { outcome: last?.outcome ?? failedOutcome("no runtime could run the agent"), attempts, runtime: last?.runtime ?? agent.runtime };
}

function fallbackDefinition(agent: AgentDefinition, runtime: RuntimeName, config: ViableConfig): AgentDefinition {
  const { model: _model, command: _command, ...rest } = agent;
  const model = config.runtimes[runtime]?.model;
  return { ...rest, runtime, ...(model !== undefined ? { model } : {}), ...(runtime === "command" && agent.command ? { command: agent.command } : {}) };
}

function madeProgress(outcome: AttemptOutcome): boolean {
  return outcome.usage.inputTokens + outcome.usage.outputTokens > 0 || (outcome.changedFiles?.length ?? 0) > 0;
}
