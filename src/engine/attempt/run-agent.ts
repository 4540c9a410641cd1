// Running one agent's step to an outcome, with the policies around single attempts: retries with
// backoff for retryable outcomes (resuming the agent's own session where the CLI can), a circuit
// breaker per runtime, a fallback chain (e.g. claude → codex) that carries the task, the previous
// attempt's summary and its changed files to the next runtime, and budgets that stop work.

import { setTimeout as sleep } from "node:timers/promises";
import type { ViableConfig } from "../config/config.ts";
import type { AgentDefinition } from "../domain/agent.ts";
import type { AttemptOutcome } from "../domain/outcome.ts";
import { failedOutcome } from "../domain/outcome.ts";
import type { Runtime, RuntimeName } from "../domain/runtime.ts";
import type { Store } from "../store/store.ts";
import { changedPaths } from "../workspace/git.ts";
import { runAttempt, type AttemptResult } from "./attempt-runner.ts";
import { BudgetExceeded, BudgetTracker } from "./budget.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { isRuntimeFailure, retryDelayMs, shouldRetry, type RetrySettings } from "./retry-policy.ts";

/** What lives for one `viable run` / `viable loop` process: breakers and the run's budget. */
export interface AgentPolicies {
  breakers: CircuitBreakers;
  budget: BudgetTracker;
  retry: RetrySettings;
}

export function policiesFrom(config: ViableConfig): AgentPolicies {
  return {
    breakers: new CircuitBreakers({ failures: config.circuit_breaker.failures, successes: config.circuit_breaker.successes, resetMs: config.circuit_breaker.reset_ms }),
    budget: new BudgetTracker(config.budgets),
    retry: { max: config.retries.max, baseDelayMs: config.retries.base_delay_ms, maxDelayMs: config.retries.max_delay_ms },
  };
}

export interface AgentStep {
  store: Store;
  config: ViableConfig;
  runtimeFor: (name: RuntimeName) => Runtime;
  policies: AgentPolicies;
  agent: AgentDefinition;
  taskId: string;
  itemId?: string;
  prompt: string;
  cwd: string;
  signal: AbortSignal;
  env?: Record<string, string>;
}

export interface AgentStepResult {
  outcome: AttemptOutcome;
  /** Every attempt made, in order (retries and fallbacks included). */
  attempts: AttemptResult[];
  /** The runtime whose outcome this is. */
  runtime: RuntimeName;
}

export async function runAgentStep(step: AgentStep): Promise<AgentStepResult> {
  const { store, agent, policies } = step;
  const chain: RuntimeName[] = [agent.runtime, ...((agent.fallback ?? []) as RuntimeName[]).filter((r) => r !== agent.runtime)];
  const attempts: AttemptResult[] = [];
  let last: { outcome: AttemptOutcome; runtime: RuntimeName } | null = null;
  let carried = "";

  for (const runtimeName of chain) {
    const breaker = policies.breakers.for(runtimeName);
    if (!breaker.allows()) {
      store.log.append({ event_type: "policy_decision", task_id: step.taskId, agent: `s1-${agent.name}`,
        data: { decision: "skip_runtime", runtime: runtimeName, reason: `circuit open for ${Math.ceil(breaker.retryInMs() / 1000)} s more after repeated failures` } });
      last ??= { outcome: failedOutcome(`the ${runtimeName} runtime's circuit breaker is open after repeated failures`), runtime: runtimeName };
      continue;
    }
    const definition = runtimeName === agent.runtime ? agent : fallbackDefinition(agent, runtimeName, step.config);
    let retries = 0;
    let resume: string | undefined;
    for (;;) {
      try {
        policies.budget.checkCanStart(step.taskId);
      } catch (e) {
        if (!(e instanceof BudgetExceeded)) throw e;
        store.log.append({ event_type: "policy_decision", task_id: step.taskId, agent: `s1-${agent.name}`, data: { decision: "budget_stop", scope: e.scope, reason: e.message } });
        return { outcome: failedOutcome(e.message), attempts, runtime: runtimeName };
      }
      const result = await runAttempt({
        store, config: step.config, runtime: step.runtimeFor(runtimeName), agent: definition, taskId: step.taskId,
        ...(step.itemId !== undefined ? { itemId: step.itemId } : {}),
        attemptNo: nextAttemptNo(store, step.taskId, agent.name),
        prompt: step.prompt + carried, cwd: step.cwd, signal: step.signal,
        ...(step.env ? { env: step.env } : {}),
        ...(resume !== undefined ? { resumeSessionId: resume } : {}),
        budget: policies.budget.attempt(step.taskId),
      });
      attempts.push(result);
      const outcome = result.outcome;
      last = { outcome, runtime: runtimeName };
      if (outcome.status === "succeeded") {
        breaker.recordSuccess();
        return { outcome, attempts, runtime: runtimeName };
      }
      if (isRuntimeFailure(outcome)) breaker.recordFailure();
      if (outcome.status === "cancelled" || step.signal.aborted || outcome.error?.includes("budget exceeded")) {
        return { outcome, attempts, runtime: runtimeName };
      }
      if (!shouldRetry(outcome, retries, policies.retry) || !breaker.allows()) break;
      const delayMs = retryDelayMs(outcome, retries, policies.retry);
      retries++;
      // Continue the agent's own conversation where the CLI keeps one, rather than start over; an
      // attempt that failed before the model answered has nothing to continue, and some CLIs keep no
      // such session at all (gemini: "No previous sessions found", exit 42).
      resume = madeProgress(outcome) ? outcome.sessionId : undefined;
      store.log.append({ event_type: "agent_event", task_id: step.taskId, agent: `s1-${agent.name}`,
        data: { type: "retry", attempt: retries, delayMs, reason: outcome.error ?? outcome.status, runtime: runtimeName, honoured_hint: outcome.retryAfterMs !== undefined } });
      try {
        await sleep(delayMs, undefined, { signal: step.signal });
      } catch {
        return { outcome, attempts, runtime: runtimeName };
      }
    }
    // Falling back: tell the next runtime what the last one did and left behind.
    const files = await changedPaths(step.cwd, step.signal).catch(() => [] as string[]);
    carried = `\n\nA previous attempt with ${runtimeName} did not finish: ${last.outcome.summary}` +
      (files.length ? `\nFiles it changed (still in the workspace): ${files.slice(0, 50).join(", ")}` : "");
    if (chain.indexOf(runtimeName) < chain.length - 1) {
      store.log.append({ event_type: "policy_decision", task_id: step.taskId, agent: `s1-${agent.name}`,
        data: { decision: "fallback", from: runtimeName, to: chain[chain.indexOf(runtimeName) + 1], reason: last.outcome.error ?? last.outcome.status, changed_files: files.slice(0, 50) } });
    }
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

function nextAttemptNo(store: Store, taskId: string, agent: string): number {
  const row = store.db.prepare("SELECT count(*) AS n FROM attempts WHERE task_id = ? AND agent = ?").get(taskId, agent) as { n: number };
  return row.n + 1;
}
