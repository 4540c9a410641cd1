// `viable plan new`: the planning pipeline from a request to an imported plan (app/plan-new.ts).
// Between steps, at a terminal, the person sees what the step's output holds and where, and chooses: continue
// (after editing the file, if they like), redo with a comment, or stop. With --auto-approve nobody
// is asked; without a terminal and without it, the run stops after each step for review, and
// `--resume` goes on. Ctrl-C stops it; `--resume` continues at the first step not done (at a
// terminal asking first what becomes of an interrupted step's leftover output).

import path from "node:path";
import { planNew, remoteApproval, type PlanNewOptions, type PlanningStep, type StepReview, type StepVerdict } from "../../app/plan-new.ts";
import { openProject } from "../../app/project.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";
import { onStopSignals } from "../stop-signals.ts";

export interface PlanNewArgs extends Omit<PlanNewOptions, "approve" | "onPartial" | "signal"> {
  dir: string;
  json: boolean;
  autoApprove: boolean;
}

export async function planNewCommand(args: PlanNewArgs, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: true, command: "plan new" });
  const controller = new AbortController();
  const offSignals = onStopSignals((_kind, message) => controller.abort(message));
  const interactive = o.interactive && !args.json;
  let stoppedForReview = false;
  // Without a terminal: whoever watches the project (dashboard, MCP) approves; else the run stops
  // after the step for the person to review and resume.
  const remote = remoteApproval(project, args.request?.slice(0, 60) ?? "planning");
  const approve: PlanNewOptions["approve"] = args.autoApprove ? null : interactive ? (review, signal) => askAtTerminal(o, { ...review, output: path.relative(project.paths.root, review.output) }, signal) : async (review, signal) => {
    const verdict = await remote(review, signal);
    if (verdict.kind === "stop") stoppedForReview = true;
    return verdict;
  };
  // At a terminal the person says what becomes of an interrupted step's output; else it is kept aside.
  const onPartial: PlanNewOptions["onPartial"] = interactive ? (step, output, signal) => askAboutPartial(step, path.relative(project.paths.root, output), signal) : undefined;
  try {
    const { dir: _dir, json: _json, autoApprove: _auto, ...options } = args;
    const r = await planNew(project, { ...options, approve, ...(onPartial ? { onPartial } : {}), signal: controller.signal });
    await project.flush();
    const rel = path.relative(project.paths.root, r.dir);
    if (args.json) printJson(o, { dir: rel, end: r.end, format: r.format, file: r.file, imported: r.imported, removed: r.removed, beads: r.beads });
    if (r.end.kind === "done") {
      const imported = r.imported;
      if (imported?.imported) {
        if (!args.json) {
          o.out(`✓ planned in ${rel}: ${imported.items} items in ${r.file} imported${imported.keptPassed.length ? ` (${imported.keptPassed.length} passed before, kept: ${imported.keptPassed.join(", ")})` : ""}; run \`viable loop\` to work them`);
          if (r.removed.length > 0) o.out(`  no longer in the plan: ${r.removed.join(", ")} (their results stay in the log)`);
          if (r.beads?.ok) o.out(`  created as beads issues: bd import -i ${rel}/${r.file}${r.beads.output ? `: ${r.beads.output.split("\n").at(-1)}` : ""}`);
          if (r.format === "beads" && r.beads === null) o.out(`  bd is not on PATH: create the beads issues later with \`bd import -i ${rel}/${r.file}\``);
        }
        if (r.beads && !r.beads.ok) {
          o.err(`viable: bd import -i ${rel}/${r.file} failed: ${r.beads.output}\n  the plan is imported into Viable; after fixing beads (e.g. \`bd init\`), run that command again`);
          return EXIT.failed;
        }
        return EXIT.ok;
      }
      o.err(`viable: the items in ${rel}/${r.file} were not imported; fix them, then \`viable plan import ${rel}/${r.file}\``);
      return EXIT.failed;
    }
    if (r.end.kind === "stopped") {
      const next = `viable plan new --resume ${rel}`;
      if (!args.json) o.err(stoppedForReview ? `viable: ${r.end.after} done; review it in ${rel}, then continue: ${next} (or pass --auto-approve)` : `viable: ${r.end.reason}; continue with: ${next}`);
      // Stopped for review is what was asked for; a spent budget or an interruption is not done.
      return r.end.cause === "interrupted" ? EXIT.interrupted : r.end.cause === "budget" ? EXIT.failed : EXIT.ok;
    }
    if (!args.json) o.err(`viable: planning failed at ${r.end.step}: ${r.end.reason}; after fixing it: viable plan new --resume ${rel}`);
    return EXIT.failed;
  } finally {
    offSignals();
    await project.close();
  }
}

async function askAtTerminal(o: Output, { step, output, summary }: StepReview, signal: AbortSignal): Promise<StepVerdict> {
  const [{ default: select }, { default: input }] = await Promise.all([import("@inquirer/select"), import("@inquirer/input")]);
  o.out(summary);
  const choice = await select<"continue" | "redo" | "stop">({
    message: `${step} is done: ${output} (edit it if you like, then continue)`,
    choices: [{ name: "Continue", value: "continue" }, { name: "Redo it with a comment", value: "redo" }, { name: "Stop here (resume later)", value: "stop" }],
  }, { signal });
  if (choice !== "redo") return { kind: choice };
  return { kind: "redo", comment: (await input({ message: "What should change?", validate: (v) => v.trim() !== "" || "a comment, or Ctrl-C" }, { signal })).trim() };
}

async function askAboutPartial(step: PlanningStep, output: string, signal: AbortSignal): Promise<"aside" | "delete"> {
  const { default: select } = await import("@inquirer/select");
  return select<"aside" | "delete">({
    message: `An interrupted ${step} step left ${output}; it is done again now. What becomes of what it left?`,
    choices: [{ name: `Keep it aside (${output}.partial-…)`, value: "aside" }, { name: "Delete it", value: "delete" }],
  }, { signal });
}
