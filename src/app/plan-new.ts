// `viable plan new`: from a request (or a PRD file) to an imported plan, through the planning
// pipeline (engine/planning/). Everything lands in `.viable/plans/<date>-<slug>/` for people to
// read and edit: request.md, research.md, requirements.json, plan.md, phases/, items.json, and the
// feature_list.json made from the items and imported — ready for `viable loop`.

import fs from "node:fs";
import path from "node:path";
import { UserError } from "../domain/errors.ts";
import { itemsSchema, type PlanningStep } from "../engine/planning/steps.ts";
import { runPlanning, type PlanningEnd, type StepVerdict } from "../engine/planning/run-planning.ts";
import { parseStructured } from "../engine/planning/structured-output.ts";
import { requestApproval } from "../engine/approval-wait.ts";
import { liveWatchers } from "../store/watchers.ts";
import { importPlanFile, type PlanImport } from "./plan.ts";
import { withPipeline } from "./pipeline.ts";
import type { Project } from "./project.ts";

export interface PlanNewOptions {
  /** The request, or a PRD file's path (`prd`); not for a resume. */
  request?: string;
  prd?: string;
  /** Continue a plan directory (true: the newest). */
  resume?: string | true;
  resumeStep?: PlanningStep;
  /** Documents the person has already: used instead of those steps. */
  research?: string;
  plan?: string;
  /** The agent that plans (default generalist-coder). */
  agent?: string;
  approve: ((step: PlanningStep, output: string, signal: AbortSignal) => Promise<StepVerdict>) | null;
  signal: AbortSignal;
}

export interface PlanNewResult {
  dir: string;
  end: PlanningEnd;
  /** The import of the items, once every step is done. */
  imported: PlanImport | null;
  /** Items of the plan imported before that the new one does not have (their results stay in the journal). */
  removed: string[];
}

export async function planNew(project: Project, o: PlanNewOptions): Promise<PlanNewResult> {
  // Everything the person gave is checked before anything is made.
  if (o.resumeStep !== undefined && o.resume === undefined) {
    throw new UserError({ reason: "bad_usage", field: "--resume-step", message: "redoes a step of a plan that exists", fix: "add --resume [DIR]" });
  }
  const registry = project.registry();
  const agent = registry.require(o.agent ?? "generalist-coder");
  for (const [flag, file] of [["--research", o.research], ["--plan", o.plan]] as const) {
    if (file !== undefined && !fs.existsSync(file)) throw new UserError({ reason: "bad_usage", field: flag, file, message: "does not exist", fix: `give the path of your ${flag.slice(2)} document` });
  }
  const plansDir = path.join(project.paths.viableDir, "plans");
  const dir = o.resume !== undefined ? resumeDir(project.paths.root, plansDir, o.resume) : newDir(plansDir, requestText(o));
  const end = await withPipeline(project, { commands: "direct", startRecord: "commit" }, (pipeline) => runPlanning({ store: project.store, pipeline }, {
    dir, root: project.paths.root, agent, approve: o.approve, signal: o.signal, resume: o.resume !== undefined, agents: registry.names(),
    ...(o.resumeStep ? { from: o.resumeStep } : {}),
    provided: { ...(o.research ? { research: path.resolve(o.research) } : {}), ...(o.plan ? { plan: path.resolve(o.plan) } : {}) },
  }));
  if (end.kind !== "done") return { dir, end, imported: null, removed: [] };
  const items = parseStructured(fs.readFileSync(path.join(dir, "items.json"), "utf8"), itemsSchema);
  if (!items.ok) throw new UserError({ reason: "bad_plan", file: path.join(dir, "items.json"), message: items.problem, fix: `fix the file, then run \`viable plan new --resume ${path.relative(project.paths.root, dir)}\` again` });
  const featureList = path.join(dir, "feature_list.json");
  fs.writeFileSync(featureList, `${JSON.stringify({
    features: items.value.items.map((i) => ({
      id: i.id, name: i.name, description: i.description, priority: i.priority, dependencies: i.dependencies, tests: i.tests, verify: i.verify,
      complexity: i.complexity.score >= 7 ? "complex" : i.complexity.score >= 4 ? "medium" : "simple", passes: false,
      ...(i.agent !== undefined ? { agent: i.agent } : {}),
    })),
  }, null, 2)}\n`);
  // Re-planning: what the new items no longer have is said, never silently dropped.
  const before = (await project.store.queries.plan())?.plan.items.map((i) => i.id) ?? [];
  const now = new Set(items.value.items.map((i) => i.id));
  const imported = await importPlanFile(project, { file: featureList, format: "feature-list" });
  return { dir, end, imported, removed: imported.imported ? before.filter((id) => !now.has(id)) : [] };
}

/**
 * Approval between steps by whoever watches the project (the dashboard's inbox, MCP's `answer`):
 * approve continues; reject with a comment redoes the step with it; reject without one, nobody
 * watching, or nobody answering within `approval_timeout` stops for review (resumable).
 */
export function remoteApproval(project: Project, taskLabel: string): NonNullable<PlanNewOptions["approve"]> {
  return async (step, output, signal) => {
    if (liveWatchers(project.paths.watchersDir).length === 0) return { kind: "stop" };
    const rel = path.relative(project.paths.root, output);
    const pending = await requestApproval(project.store, {
      taskId: null, itemId: null, subject: "planning",
      question: `${taskLabel}: the ${step} step is done — review ${rel}. Approve to go on; reject with a comment to have it redone with the comment; reject without one to stop here.`,
      data: { step, output: rel, timeout_s: project.config.approval_timeout },
    });
    try {
      const answer = await pending.remote(signal, project.config.approval_timeout * 1000);
      if (answer === null) return { kind: "stop" };
      if (answer.approved) return { kind: "continue" };
      const comment = (await project.store.queries.approval(pending.id))?.comment?.trim();
      return comment ? { kind: "redo", comment } : { kind: "stop" };
    } finally {
      await pending.close(signal.aborted ? "stopped" : "timeout").catch(() => undefined);
    }
  };
}

function requestText(o: PlanNewOptions): string {
  if (o.prd !== undefined) {
    try {
      return fs.readFileSync(o.prd, "utf8");
    } catch {
      throw new UserError({ reason: "bad_usage", field: "--prd", file: o.prd, message: "cannot be read", fix: "give the path of the PRD file" });
    }
  }
  if (o.request === undefined || o.request.trim() === "") {
    throw new UserError({ reason: "bad_usage", field: "request", message: "no request", fix: 'say what to build: viable plan new "Add a health endpoint", or --prd FILE, or --resume' });
  }
  return o.request;
}

function newDir(plansDir: string, request: string): string {
  const slug = request.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").split("-").slice(0, 6).join("-") || "plan";
  const base = path.join(plansDir, `${new Date().toISOString().slice(0, 10)}-${slug}`);
  let dir = base;
  for (let n = 2; fs.existsSync(dir); n++) dir = `${base}-${n}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "request.md"), `${request.trim()}\n`);
  return dir;
}

/** The plan to resume: DIR (relative to the project, or as a plans/ name), else the newest. */
function resumeDir(root: string, plansDir: string, which: string | true): string {
  const dirs = fs.existsSync(plansDir) ? fs.readdirSync(plansDir).filter((d) => fs.existsSync(path.join(plansDir, d, "request.md"))) : [];
  // Newest by when its request was written, not by name (two plans of one day sort by their slugs).
  const byAge = dirs.map((d) => ({ d, t: fs.statSync(path.join(plansDir, d, "request.md")).mtimeMs })).sort((a, b) => a.t - b.t).map((x) => x.d);
  const candidates = which === true ? (byAge.length ? [path.join(plansDir, byAge.at(-1)!)] : []) : [path.resolve(root, which), path.join(plansDir, which)];
  const dir = candidates.find((c) => fs.existsSync(path.join(c, "request.md")));
  if (dir === undefined) {
    throw new UserError({
      reason: "bad_usage", field: "--resume", message: which === true ? "there is no plan to resume in .viable/plans" : `${which} is not a plan directory (it has no request.md)`,
      fix: byAge.length ? `name one of: ${byAge.slice(-5).map((d) => path.join(".viable", "plans", d)).join(", ")}` : 'start one: viable plan new "<request>"',
    });
  }
  return fs.realpathSync(dir);
}

export type { PlanningStep, StepVerdict };
