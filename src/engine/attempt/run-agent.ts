// Running one agent's step to an outcome, with the policies around single attempts, in this order:
// the fallback chain (e.g. claude → codex: the next runtime goes on in the same workspace, told the
// task and a recap of the last attempt — what it said and did, the files it changed, the diff so
// far), usage limits (a runtime at its provider's limit is left alone until the reset; when every
// runtime of the chain is, the step waits for the earliest reset and goes on), the circuit breaker
// of each runtime, retries with backoff for retryable outcomes (resuming the agent's own session
// where the CLI can), and budgets that refuse to start an attempt once a scope is spent and cancel
// one mid-stream when it crosses a limit.

import { setTimeout as sleep } from "node:timers/promises";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome } from "../../domain/outcome.ts";
import type { RuntimeName } from "../../domain/runtime.ts";
import { changedPaths, workingDiff } from "../../workspace/git.ts";
import type { AttemptPipeline } from "./pipeline.ts";
import { AttemptActivity, recapText } from "./recap.ts";
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
  /** With every runtime of the chain at its usage limit: wait for the reset (default), or end with the limit. */
  waitForReset?: boolean;
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
  let last: { outcome: AttemptOutcome; runtime: RuntimeName; activity?: AttemptActivity } | null = null;
  let carried = "";

  for (;;) {
    for (const [index, runtimeName] of chain.entries()) {
      const limited = pipeline.limits.until(runtimeName);
      if (limited) {
        decision({ decision: "skip_runtime", runtime: runtimeName, reason: `at its usage limit until ${limited.toISOString()}`, until: limited.toISOString() });
        last ??= { outcome: failedOutcome(`the ${runtimeName} runtime is at its usage limit until ${limited.toISOString()}`, undefined, { kind: "usage_limit", resetsAt: limited.toISOString() }), runtime: runtimeName };
        continue;
      }
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
        last = { outcome, runtime: runtimeName, activity: result.activity };
        if (outcome.status === "succeeded") {
          breaker.recordSuccess();
          return { outcome, attempts, runtime: runtimeName };
        }
        // A spent budget is spent for every runtime; a cancel is the caller's.
        if (outcome.status === "cancelled" || step.signal.aborted || outcome.failure?.kind === "budget_exceeded") {
          return { outcome, attempts, runtime: runtimeName };
        }
        // A usage limit is the provider's, not the runtime's health: no retry (it would be refused
        // again), no breaker; the runtime is left alone until the reset, and the next one goes on.
        const resetsAt = usageLimitReset(outcome, pipeline);
        if (resetsAt) {
          pipeline.limits.record(runtimeName, resetsAt);
          decision({ decision: "usage_limit", runtime: runtimeName, until: resetsAt.toISOString(), reason: outcome.error ?? outcome.status });
          break;
        }
        if (isRuntimeFailure(outcome)) breaker.recordFailure();
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
      const next = chain.slice(index + 1).find((r) => pipeline.limits.until(r) === null && pipeline.breakers.for(r).allows());
      if (next === undefined) break;
      // Falling back: the next runtime goes on in the same workspace, told what this one did.
      const recap = await carryOver(step, runtimeName, last);
      carried = recap.text;
      decision({ decision: "fallback", from: runtimeName, to: next, reason: last.outcome.error ?? last.outcome.status, changed_files: recap.files.slice(0, 50), recap_chars: recap.text.length });
    }
    // Every runtime of the chain at its usage limit (or, beside a limited one, its breaker open):
    // wait for the earliest reset or breaker trial, then go on with what the last attempt left
    // (its recap carried). Without any limit an open breaker ends the step as before.
    const until = blockedUntil(pipeline, chain);
    if (until === null || last === null || step.signal.aborted || step.waitForReset === false) break;
    decision({ decision: "wait_for_reset", until: until.toISOString(), runtimes: chain, reason: `every runtime of ${agent.name} is at its usage limit` });
    try {
      await pipeline.limits.wait({ until, runtimes: chain }, step.signal);
    } catch {
      return { outcome: last.outcome, attempts, runtime: last.runtime };
    }
    if (last.activity) carried = (await carryOver(step, last.runtime, last)).text;
    decision({ decision: "limit_reset", runtimes: chain, until: until.toISOString(), reason: "the usage limit reset" });
  }
  return { outcome: last?.outcome ?? failedOutcome("no runtime could run the agent"), attempts, runtime: last?.runtime ?? agent.runtime };
}

/**
 * When no runtime of the chain can run now and at least one is at its usage limit: the earliest
 * time one can (a reset, or an open breaker's next trial); else null.
 */
function blockedUntil(pipeline: AttemptPipeline, chain: readonly RuntimeName[]): Date | null {
  let earliest: Date | null = null;
  let limited = false;
  for (const r of chain) {
    const reset = pipeline.limits.until(r);
    const breaker = pipeline.breakers.for(r);
    const at = reset ?? (breaker.allows() ? null : new Date(pipeline.env.now().getTime() + breaker.retryInMs()));
    if (at === null) return null;
    limited ||= reset !== null;
    if (earliest === null || at < earliest) earliest = at;
  }
  return limited ? earliest : null;
}

/** When the outcome says the provider's limit will not reset soon: the reset time; else null. */
function usageLimitReset(outcome: AttemptOutcome, pipeline: AttemptPipeline): Date | null {
  const now = pipeline.env.now().getTime();
  if (outcome.failure?.kind === "usage_limit") {
    const at = outcome.failure.resetsAt ? Date.parse(outcome.failure.resetsAt) : Number.NaN;
    return new Date(Number.isFinite(at) && at > now ? at : now + pipeline.config.retries.limit_reset_s * 1000);
  }
  // A rate limit whose wait is longer than any retry would wait is a limit, not a blip.
  if (outcome.status === "rate_limited" && outcome.retryAfterMs !== undefined && outcome.retryAfterMs > pipeline.retry.maxDelayMs) {
    return new Date(now + outcome.retryAfterMs);
  }
  return null;
}

/** The recap of the last attempt for the runtime that goes on: its words and actions, the files and the diff. */
async function carryOver(step: AgentStep, runtime: RuntimeName, last: { outcome: AttemptOutcome; activity?: AttemptActivity | undefined }): Promise<{ text: string; files: string[] }> {
  const files = await changedPaths(step.cwd, step.signal).catch(() => [] as string[]);
  const diff = files.length > 0 ? await workingDiff(step.cwd, step.signal).catch(() => "") : "";
  return { text: recapText({ runtime, outcome: last.outcome, activity: last.activity, files, diff }), files };
}

function fallbackDefinition(agent: AgentDefinition, runtime: RuntimeName, config: ViableConfig): AgentDefinition {
  const { model: _model, command: _command, ...rest } = agent;
  const model = config.runtimes[runtime]?.model;
  return { ...rest, runtime, ...(model !== undefined ? { model } : {}), ...(runtime === "command" && agent.command ? { command: agent.command } : {}) };
}

function madeProgress(outcome: AttemptOutcome): boolean {
  return outcome.usage.inputTokens + outcome.usage.outputTokens > 0 || (outcome.changedFiles?.length ?? 0) > 0;
}
