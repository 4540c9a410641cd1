// `viable plan new`: from a request (or a PRD file) to an imported plan, through the planning
// pipeline (engine/planning/). Everything lands in `.viable/plans/<date>-<slug>/` for people to
// read and edit: request.md, research.md, requirements.json, plan.md, phases/, items.json, and the
// items in the chosen format (feature_list.json, Task Master's tasks.json, or a beads issues.jsonl,
// also created as beads issues with `bd import` when `bd` is on PATH), imported — ready for
// `viable loop`.

import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { findOnPath } from "../agents/cli-binary.ts";
import { UserError } from "../domain/errors.ts";
import type { PlanFormat } from "../plan/plan.ts";
import { itemsSchema, type PlanningStep } from "../engine/planning/steps.ts";
import { planningSettings, runPlanning, type PlanningEnd, type PlanningOptions } from "../engine/planning/run-planning.ts";
import { parseStructured } from "../engine/planning/structured-output.ts";
import { requestApproval } from "../engine/approval-wait.ts";
import { liveWatchers } from "../store/watchers.ts";
import { importPlanFile, parseFormat, type PlanImport } from "./plan.ts";
import { plannedFiles } from "./planned-items.ts";
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
  /** The items' format (default: what the plan was started with, else feature-list). */
  format?: string;
  approve: PlanningOptions["approve"];
  /** Asked on a resume about what an interrupted step left (default: kept aside). */
  onPartial?: PlanningOptions["onPartial"];
  signal: AbortSignal;
}

export interface PlanNewResult {
  dir: string;
  end: PlanningEnd;
  /** The import of the items, once every step is done. */
  imported: PlanImport | null;
  /** Items of the plan imported before that the new one does not have (their results stay in the journal). */
  removed: string[];
  /** The items' file in the chosen format (relative to the plan directory), once written. */
  file: string | null;
  format: PlanFormat;
  /** `bd import` of the issues (beads format with `bd` on PATH); null when it did not run. */
  beads: { ok: boolean; output: string } | null;
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
  parseFormat(o.format);
  const plansDir = path.join(project.paths.viableDir, "plans");
  const dir = o.resume !== undefined ? resumeDir(project.paths.root, plansDir, o.resume) : newDir(plansDir, requestText(o));
  // A resume keeps the format the plan was started with, unless told another.
  const started = o.resume !== undefined ? await planningSettings(project.store, dir) : {};
  const format = parseFormat(o.format ?? (typeof started.format === "string" ? started.format : undefined)) ?? "feature-list";
  const end = await withPipeline(project, { commands: "direct", startRecord: "commit" }, (pipeline) => runPlanning({ store: project.store, pipeline }, {
    dir, root: project.paths.root, agent, approve: o.approve, signal: o.signal, resume: o.resume !== undefined, agents: registry.names(),
    settings: { format }, ...(o.onPartial ? { onPartial: o.onPartial } : {}),
    ...(o.resumeStep ? { from: o.resumeStep } : {}),
    provided: { ...(o.research ? { research: path.resolve(o.research) } : {}), ...(o.plan ? { plan: path.resolve(o.plan) } : {}) },
  }));
  if (end.kind !== "done") return { dir, end, imported: null, removed: [], file: null, format, beads: null };
  const items = parseStructured(fs.readFileSync(path.join(dir, "items.json"), "utf8"), itemsSchema);
  if (!items.ok) throw new UserError({ reason: "bad_plan", file: path.join(dir, "items.json"), message: items.problem, fix: `fix the file, then run \`viable plan new --resume ${path.relative(project.paths.root, dir)}\` again` });
  const files = plannedFiles(items.value, format, new Date());
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, files[0]![0]);
  // Re-planning: what the new items no longer have is said, never silently dropped.
  const before = (await project.store.queries.plan())?.plan.items.map((i) => i.id) ?? [];
  const imported = await importPlanFile(project, { file, format });
  const now = new Set(imported.imported ? (await project.store.queries.plan())?.plan.items.map((i) => i.id) : []);
  const beads = format === "beads" && imported.imported ? await bdImport(project.paths.root, file, o.signal) : null;
  return { dir, end, imported, removed: imported.imported ? before.filter((id) => !now.has(id)) : [], file: files[0]![0], format, beads };
}

/** The issues created in the project's beads database by its own CLI, when it is installed. */
async function bdImport(root: string, file: string, signal: AbortSignal): Promise<{ ok: boolean; output: string } | null> {
  const bd = findOnPath("bd");
  if (bd === undefined) return null;
  try {
    const r = await promisify(execFile)(bd, ["import", "-i", file], { cwd: root, signal, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: `${r.stdout}${r.stderr}`.trim() };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}`.trim() || failed.message };
  }
}

/**
 * Approval between steps by whoever watches the project (the dashboard's inbox, MCP's `answer`):
 * approve continues; reject with a comment redoes the step with it; reject without one, nobody
 * watching, or nobody answering within `approval_timeout` stops for review (resumable).
 */
export function remoteApproval(project: Project, taskLabel: string): NonNullable<PlanNewOptions["approve"]> {
  return async ({ step, output, summary }, signal) => {
    if (liveWatchers(project.paths.watchersDir).length === 0) return { kind: "stop" };
    const rel = path.relative(project.paths.root, output);
    const pending = await requestApproval(project.store, {
      taskId: null, itemId: null, subject: "planning",
      question: `${taskLabel}: the ${step} step is done — review ${rel}.\n${summary}\nApprove to go on; reject with a comment to have it redone with the comment; reject without one to stop here.`,
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

export type { StepReview, StepVerdict } from "../engine/planning/run-planning.ts";
export type { PlanningStep } from "../engine/planning/steps.ts";
