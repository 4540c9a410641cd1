// The agents of one item attempt, in the order its allocation lists them, in one workspace: each
// told the item, what the agents before it did, and why the previous attempt failed (or a person's
// answer to its question). An agent that does not succeed ends the attempt as an AttemptFailure.

import type { PlanItem } from "../../plan/plan.ts";
import { runAgent } from "../attempt/run-agent.ts";
import { composePrompt } from "../prompt.ts";
import type { ItemAllocation } from "./item-allocation.ts";
import { itemTask } from "./item-task.ts";
import { AttemptFailure } from "./item-workspace.ts";
import type { WorkContext } from "./loop-context.ts";

export interface ItemAgentsInput {
  item: PlanItem;
  attempt: number;
  allocation: ItemAllocation;
  cwd: string;
  env: Record<string, string>;
  previousFailure: string | undefined;
  keptBranch: string | null;
  /** Set to the last agent attempt's id as they run. */
  last: { attemptId: string | null };
  answered?: { question: string; answer: string | null } | undefined;
  /** The loop's, or a candidate's own (which a first_pass winner stops). */
  signal: AbortSignal;
  /** Whether an agent whose every runtime is at its usage limit waits for the reset (default) or fails. */
  waitForReset?: boolean;
  /** Added to as the agents spend: dollars and tokens of every attempt (best-of-N measures candidates by it). */
  tally?: { usd: number; tokens: number };
}

export async function runAgents(ctx: WorkContext, input: ItemAgentsInput): Promise<void> {
  const { item, attempt, allocation, cwd, env, previousFailure, keptBranch, last, answered, signal } = input;
  const previous: { agent: string; success: boolean; summary: string }[] = [];
  for (const [index, step] of allocation.steps.entries()) {
    const failure = previousFailure === undefined ? undefined
      : keptBranch ? `${previousFailure}\n(The previous attempt's work is on branch ${keptBranch}, if any of it is worth reusing.)` : previousFailure;
    const prompt = composePrompt({
      task: itemTask(item), agent: step.agent, role: step.role, focus: step.focus, previous, acceptance: item.tests,
      ...(failure !== undefined ? { auditFeedback: failure } : {}), ...(answered ? { answered: { ...answered, ...(keptBranch ? { keptBranch } : {}) } } : {}),
    });
    const { outcome, attempts } = await runAgent(ctx.pipeline, {
      agent: step.agent, taskId: ctx.runId, itemId: item.id, prompt, cwd, signal, ...(input.waitForReset === false ? { waitForReset: false } : {}),
      env: { ...env, VIABLE_ATTEMPT: String(attempt), VIABLE_STEP: String(index + 1) },
    });
    last.attemptId = attempts.at(-1)?.attemptId ?? last.attemptId;
    for (const a of attempts) {
      if (!input.tally) break;
      input.tally.usd += a.outcome.costUsd ?? 0;
      input.tally.tokens += a.outcome.usage.inputTokens + a.outcome.usage.outputTokens;
    }
    previous.push({ agent: step.agent.name, success: outcome.status === "succeeded", summary: outcome.summary });
    if (signal.aborted) throw signal.reason;
    if (outcome.status !== "succeeded") {
      const failure = new AttemptFailure(`${step.agent.name} ${outcome.status}: ${outcome.error ?? outcome.summary}`,
        `In your previous attempt ${step.agent.name} ${outcome.status.replace("_", " ")}: ${outcome.error ?? outcome.summary}`, outcome.failure);
      if (outcome.status === "needs_input") failure.question = questionOf(outcome.summary, outcome.error);
      throw failure;
    }
  }
}

/** What a person is asked when an agent stopped for input: its last words, and what it was denied. */
function questionOf(summary: string, error: string | undefined): string {
  const said = summary.trim();
  if (!error || said === error) return said || "the agent stopped for input without saying why";
  return said ? `${said} (${error})` : error;
}
