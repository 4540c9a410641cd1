// A reviewer agent chooses among best-of-N finalists: it reads each one's diff (with the score the
// harness gave it) and answers, in its last message, with the candidate it chooses and why — as
// JSON checked against a schema. An answer that does not hold is sent back with the problem, at
// most twice; after that the score's choice stands and the reviewer's failure is said.

import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { PlanItem } from "../../plan/plan.ts";
import { runAgent } from "../attempt/run-agent.ts";
import { parseStructured } from "../planning/structured-output.ts";
import type { WorkContext } from "./loop-context.ts";

const MAX_REPAIRS = 2;
/** Per finalist: enough of a diff to judge it, not so much that several crowd the prompt out. */
const DIFF_CHARS = 12_000;

export interface Finalist {
  candidate: number;
  label: string;
  score: number;
  diff: string;
}

export type Review = { ok: true; choice: number; reasons: string } | { ok: false; problem: string };

export async function chooseByReview(
  ctx: WorkContext, o: { item: PlanItem; reviewer: AgentDefinition; finalists: readonly Finalist[]; signal: AbortSignal },
): Promise<Review> {
  const numbers = o.finalists.map((f) => f.candidate);
  const schema = z.object({
    choice: z.number().int().refine((n) => numbers.includes(n), { message: `choose one of the finalists: ${numbers.join(", ")}` }),
    reasons: z.string().min(1),
  });
  const task = [
    `Several agents worked on the same plan item, each in its own workspace; every one below passed the item's verification. Choose the one whose change should be merged.`,
    `Item ${o.item.id}: ${o.item.name}`, o.item.description, o.item.tests.length ? `Acceptance criteria:\n${o.item.tests.map((t) => `- ${t}`).join("\n")}` : "",
    ...o.finalists.map((f) => `Candidate ${f.candidate} (${f.label}; the harness's score ${f.score}):\n\`\`\`diff\n${f.diff.length > DIFF_CHARS ? `${f.diff.slice(0, DIFF_CHARS)}\n… (cut: ${f.diff.length} chars in all)` : f.diff}\n\`\`\``),
    `Change no file. Answer with JSON only, as your last message: {"choice": <the candidate's number>, "reasons": "why this one, and what the others lack"}`,
  ].filter((s) => s !== "").join("\n\n");
  // The reviewer reads the diffs it is given; it works in an empty directory of its own, so that
  // nothing it might do lands in the project, a candidate's worktree or the integration branch.
  const cwd = fs.mkdtempSync(path.join(ctx.paths.stateDir, "review-"));
  try {
    return await review(ctx, o, task, schema, cwd);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

async function review(
  ctx: WorkContext, o: { item: PlanItem; reviewer: AgentDefinition; signal: AbortSignal }, task: string, schema: z.ZodType<{ choice: number; reasons: string }>, cwd: string,
): Promise<Review> {
  let problem: string | null = null;
  for (let round = 0; round <= MAX_REPAIRS; round++) {
    const prompt = problem ? `${task}\n\nYour previous answer was refused: ${problem}. Answer again with the JSON only.` : task;
    const { outcome, attempts } = await runAgent(ctx.pipeline, { agent: o.reviewer, taskId: ctx.runId, itemId: o.item.id, prompt, cwd, signal: o.signal });
    if (o.signal.aborted) throw o.signal.reason;
    if (outcome.status !== "succeeded") return { ok: false, problem: `${o.reviewer.name} ${outcome.status}: ${outcome.error ?? outcome.summary}` };
    const said = attempts.at(-1)?.activity.lastSaid ?? outcome.summary;
    const parsed = parseStructured(said, schema);
    if (parsed.ok) return { ok: true, choice: parsed.value.choice, reasons: parsed.value.reasons };
    problem = parsed.problem;
  }
  return { ok: false, problem: `after ${MAX_REPAIRS + 1} answers: ${problem}` };
}
