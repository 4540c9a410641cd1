// The planning pipeline, run or resumed: each step not yet done is an agent attempt through the one
// attempt pipeline (budgets, retries, fallbacks), its output checked (and sent back with the
// problem, a bounded number of times, when it does not hold), then checkpointed in the journal
// (`planning_step_done`). A stop anywhere — Ctrl-C, a crash, kill -9, a spent budget — leaves the
// steps done so far; a resume starts at the first one not done. What an interrupted step left is
// moved aside, never mixed into the redo. Between steps a person may approve, redo or stop.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition } from "../../domain/agent.ts";
import { UserError } from "../../domain/errors.ts";
import type { Store } from "../../store/store.ts";
import type { AttemptPipeline } from "../attempt/pipeline.ts";
import { runAgent } from "../attempt/run-agent.ts";
import { itemsSchema, PLANNING_STEPS, STEP_SPECS, type PlanningStep } from "./steps.ts";
import { parseStructured } from "./structured-output.ts";

/** How often a step's output is sent back to the agent before the step fails. */
const MAX_REPAIRS = 2;

export type StepVerdict = { kind: "continue" } | { kind: "redo"; comment: string } | { kind: "stop" };

/** A finished step, put to the person: where its output is and what it holds. */
export interface StepReview {
  step: PlanningStep;
  output: string;
  summary: string;
}

export interface PlanningOptions {
  /** The plan directory (`.viable/plans/<date>-<slug>/`, holding request.md). */
  dir: string;
  /** The project: where the agents work (they read it, and write only into `dir`). */
  root: string;
  agent: AgentDefinition;
  /** Continue from the journal's checkpoints (a new plan starts from nothing). */
  resume: boolean;
  /** Redo from this step (and everything after it). */
  from?: PlanningStep;
  /** The project's agents, which items may name. */
  agents: readonly string[];
  /** Steps whose output the person brought (`--research FILE`): checkpointed without an agent. */
  provided?: Partial<Record<PlanningStep, string>>;
  /** After each step: null approves (`--auto-approve`); otherwise the person's verdict. */
  approve: ((review: StepReview, signal: AbortSignal) => Promise<StepVerdict>) | null;
  /**
   * What to do with the output an interrupted attempt at a step left (found on a resume): keep it
   * aside under a name of its own (the default), or delete it.
   */
  onPartial?: (step: PlanningStep, output: string, signal: AbortSignal) => Promise<"aside" | "delete">;
  /** Recorded with the planning task (`task_started`), for a resume to find: e.g. the output format. */
  settings?: Record<string, string>;
  signal: AbortSignal;
}

export type PlanningEnd =
  | { kind: "done"; steps: PlanningStep[] }
  /** Stopped by the person after a step, by a spent budget, or interrupted: resumable. */
  | { kind: "stopped"; cause: "person" | "budget" | "interrupted"; after: PlanningStep | null; reason: string }
  | { kind: "failed"; step: PlanningStep; reason: string };

export async function runPlanning(deps: { store: Store; pipeline: AttemptPipeline }, o: PlanningOptions): Promise<PlanningEnd> {
  const { store, pipeline } = deps;
  const key = planKey(store, o.dir);
  // A new plan starts from nothing; a resumed one from its checkpoints, each output checked again.
  const done = o.resume ? await stepsDone(store, key) : new Set<PlanningStep>();
  for (const step of PLANNING_STEPS) {
    if (!done.has(step) || (o.from && PLANNING_STEPS.indexOf(step) >= PLANNING_STEPS.indexOf(o.from))) continue;
    const problem = STEP_SPECS[step].check(o.dir);
    if (problem) {
      throw new UserError({
        reason: "bad_plan", file: path.join(o.dir, STEP_SPECS[step].output), message: `the ${step} step is done, but its output no longer holds: ${problem}`,
        fix: `fix the file and resume, or have the step redone: --resume ${path.relative(store.paths.root, o.dir)} --resume-step ${step}`,
      });
    }
  }
  const taskId = `plan-${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  await store.journal.commit({
    event: { event_type: "task_started", task_id: taskId, data: { description: `planning: ${key}`, pid: process.pid, plan_dir: key, ...o.settings } },
    changes: [{
      type: "task_inserted",
      task: {
        id: taskId, description: `planning: ${key}`, created_at: store.timestamp(), updated_at: store.timestamp(), status: "in_progress", complexity: "unknown",
        assigned_agents: [o.agent.name], metadata: { kind: "planning", dir: key }, session_id: store.sessionId, owner_pid: process.pid, failure_reason: null,
      },
    }],
  });
  const finish = async (end: PlanningEnd): Promise<PlanningEnd> => {
    // Stopped for review is what was asked for: the task completed what it was meant to do.
    const ok = end.kind === "done" || (end.kind === "stopped" && end.cause === "person");
    const reason = end.kind === "done" ? null : end.reason;
    await store.journal.commit({
      event: { event_type: ok ? "task_completed" : "task_failed", task_id: taskId, data: { success: ok, outcome: end.kind, summary: reason ?? `planned ${key}` } },
      changes: [{ type: "task_updated", id: taskId, patch: { status: ok ? "completed" : "failed", updated_at: store.timestamp(), failure_reason: ok ? null : reason, owner_pid: null } }],
    });
    return end;
  };
  if (o.from) {
    // Redo from a step: what it and the later steps wrote is kept aside now, then done again.
    await store.journal.commit({ event: { event_type: "planning_redo", task_id: taskId, data: { dir: key, from: o.from } } });
    for (const step of PLANNING_STEPS.slice(PLANNING_STEPS.indexOf(o.from))) {
      done.delete(step);
      keepAside(path.join(o.dir, STEP_SPECS[step].output), "redone");
    }
  }

  let current: PlanningStep = PLANNING_STEPS[0];
  try {
    for (const step of PLANNING_STEPS) {
      current = step;
      if (done.has(step)) continue;
      const spec = STEP_SPECS[step];
      const output = path.join(o.dir, spec.output);
      const provided = o.provided?.[step];
      // What an interrupted attempt at this step left: kept aside for a person to look at, or
      // deleted when they say so.
      if (fs.existsSync(output) && !(provided && samePath(provided, output))) {
        if ((await o.onPartial?.(step, output, o.signal)) === "delete") fs.rmSync(output, { recursive: true, force: true });
        else keepAside(output, "partial");
      }
      let comment: string | null = null;
      for (;;) {
        if (provided && comment === null) {
          if (!samePath(provided, output)) fs.copyFileSync(provided, output);
          const problem = spec.check(o.dir);
          if (problem) return await finish({ kind: "failed", step, reason: `${provided}: ${problem}` });
        } else {
          // A redo of a provided document goes to the agent, with the person's comment.
          const r = await runStep(pipeline, taskId, o, step, comment);
          if (r !== null) return await finish(r);
        }
        await store.journal.commit({ event: { event_type: "planning_step_done", task_id: taskId, data: { dir: key, step, output: spec.output, provided: provided && comment === null ? provided : null } } });
        if (o.approve === null) break;
        const verdict = await o.approve({ step, output, summary: spec.summary(o.dir) }, o.signal);
        if (verdict.kind === "stop") return await finish({ kind: "stopped", cause: "person", after: step, reason: `stopped after ${step} at your request` });
        if (verdict.kind === "continue") {
          // The person may have edited the output: it must still hold for the steps after it.
          const problem = spec.check(o.dir);
          if (problem) {
            return await finish({ kind: "failed", step, reason: `${spec.output} no longer holds after your edit: ${problem}; fix it, then resume` });
          }
          break;
        }
        comment = verdict.comment;
        await store.journal.commit({ event: { event_type: "planning_redo", task_id: taskId, data: { dir: key, from: step, comment } } });
        keepAside(output, "redone");
      }
    }
  } catch (e) {
    // A prompt or a wait given up (Ctrl-C): a stop like any other, resumable.
    if (o.signal.aborted || (e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortError" || e.name === "AbortPromptError"))) {
      return finish({ kind: "stopped", cause: "interrupted", after: null, reason: `interrupted during ${current}` });
    }
    await finish({ kind: "failed", step: current, reason: e instanceof Error ? e.message : String(e) }).catch(() => undefined);
    throw e;
  }
  return finish({ kind: "done", steps: [...PLANNING_STEPS] });
}

/** Moves a step's output (a file, or phases/) aside under a name of its own; nothing when there is none. */
function keepAside(output: string, why: "partial" | "redone" | "refused"): string | null {
  if (!fs.existsSync(output)) return null;
  const aside = `${output}.${why}-${Date.now()}-${process.pid}`;
  fs.renameSync(output, aside);
  return aside;
}

function samePath(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** One step by the agent, its output sent back while it does not hold; null when it holds. */
async function runStep(pipeline: AttemptPipeline, taskId: string, o: PlanningOptions, step: PlanningStep, comment: string | null): Promise<PlanningEnd | null> {
  const spec = STEP_SPECS[step];
  let problem: string | null = null;
  for (let round = 0; round <= MAX_REPAIRS; round++) {
    const prompt = [
      spec.task(o.dir),
      step === "items" && o.agents.length > 0 ? `The project's agents (an item may name one): ${o.agents.join(", ")}.` : null,
      comment ? `A person reviewed your previous version and asks: ${comment}` : null,
      problem ? `Your previous answer was refused: ${problem}. Write the whole file again, complete and valid.` : null,
    ].filter((p) => p !== null).join("\n\n");
    const { outcome } = await runAgent(pipeline, { agent: o.agent, taskId, prompt, cwd: o.root, signal: o.signal });
    if (o.signal.aborted) return { kind: "stopped", cause: "interrupted", after: null, reason: `interrupted during ${step}` };
    if (outcome.failure?.kind === "budget_exceeded") return { kind: "stopped", cause: "budget", after: null, reason: `${outcome.error ?? "a budget is spent"} during ${step}; raise it in .viable/config.json (budgets)` };
    if (outcome.status !== "succeeded") return { kind: "failed", step, reason: `${o.agent.name} ${outcome.status}: ${outcome.error ?? outcome.summary}` };
    problem = spec.check(o.dir) ?? (step === "items" ? unknownAgents(o.dir, o.agents) : null);
    if (problem === null) return null;
    // The refused answer is kept beside, and the agent writes the file anew (CLIs refuse to
    // overwrite a file their session has not read).
    const refused = keepAside(path.join(o.dir, spec.output), "refused");
    if (refused) problem = `${problem} (that answer is kept in ${refused})`;
  }
  return { kind: "failed", step, reason: `after ${MAX_REPAIRS + 1} answers the output still does not hold: ${problem}` };
}

/** An item naming an agent the project does not have: the import would refuse the plan. */
function unknownAgents(dir: string, agents: readonly string[]): string | null {
  const parsed = parseStructured(fs.readFileSync(path.join(dir, "items.json"), "utf8"), itemsSchema);
  if (!parsed.ok) return null;
  const bad = parsed.value.items.filter((i) => i.agent !== undefined && !agents.includes(i.agent));
  return bad.length === 0 ? null : `items.json: ${bad.map((i) => `"${i.id}" names the agent "${i.agent}", which the project does not have`).join("; ")} (its agents: ${agents.join(", ")})`;
}

/** The steps checkpointed for this plan directory, less those a redo reopened since. */
export async function stepsDone(store: Store, key: string): Promise<Set<PlanningStep>> {
  const done = new Set<PlanningStep>();
  const events = [...await store.queries.events({ eventType: "planning_step_done" }), ...await store.queries.events({ eventType: "planning_redo" })].sort((a, b) => a.id - b.id);
  for (const e of events) {
    if (e.data.dir !== key) continue;
    const step = e.data.step ?? e.data.from;
    if (e.event_type === "planning_step_done") done.add(step as PlanningStep);
    else for (const s of PLANNING_STEPS.slice(PLANNING_STEPS.indexOf(step as PlanningStep))) done.delete(s);
  }
  return done;
}

/** The settings the newest planning run of this plan directory recorded (see `settings`). */
export async function planningSettings(store: Store, dir: string): Promise<Record<string, unknown>> {
  const key = planKey(store, dir);
  const started = (await store.queries.events({ eventType: "task_started" })).filter((e) => e.data.plan_dir === key);
  return started.at(-1)?.data ?? {};
}

/** The plan directory as the journal names it: relative to the project. */
function planKey(store: Store, dir: string): string {
  return path.relative(store.paths.root, dir).split(path.sep).join("/");
}
