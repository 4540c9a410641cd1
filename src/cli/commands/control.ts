// `viable stop`, `viable resume` and `viable reset`: the S5 controls over a project.

import { resetProject, resumeProject, stopProject } from "../../app/control.ts";
import { UserError } from "../../domain/errors.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export async function stopCommand(args: { dir: string; json: boolean; reason?: string }, o: Output): Promise<number> {
  const r = await stopProject(args.dir, args.reason ?? "viable stop");
  const { kill_switch: _state, ...counts } = r;
  if (args.json) printJson(o, { kill_switch: "engaged", ...counts });
  else o.out(`kill switch engaged: ${r.running_attempts} running attempt(s) ended${r.stopped_directly ? ` (${r.stopped_directly} process(es) stopped directly)` : ""}; new attempts are refused until \`viable resume\``);
  return EXIT.ok;
}

export async function resumeCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const was = await resumeProject(args.dir);
  if (args.json) printJson(o, { kill_switch: "released", was_engaged: was });
  else o.out(was ? "kill switch released: work may start again" : "the kill switch was not engaged");
  return EXIT.ok;
}

export async function resetCommand(args: { dir: string; yes: boolean; json: boolean }, o: Output): Promise<number> {
  if (!args.yes) {
    if (!o.interactive) {
      // A UserError, so that `--json` gets it as JSON on stdout like every other refusal.
      throw new UserError({
        reason: "bad_usage",
        message: "viable reset deletes every recorded task, attempt, log entry and metric of this project, and the imported plan with its results and sessions (the plan file itself and the project's files are not touched)",
        fix: "rerun with --yes to confirm",
      });
    }
    const { default: confirm } = await import("@inquirer/confirm");
    if (!(await confirm({ message: "Delete all recorded tasks, log entries and metrics of this project, and the imported plan with its results and sessions?", default: false }))) {
      o.out("nothing deleted");
      return EXIT.ok;
    }
  }
  const r = await resetProject(args.dir);
  if (args.json) printJson(o, { reset: true, deleted: { tasks: r.tasks, log_entries: r.events, plan_items: r.planItems, sessions: r.sessions } });
  else o.out(`state reset: deleted ${r.tasks} task(s) with their attempts, ${r.events} log entries, the metrics and the kill switch, and ${r.planItems ? `the plan (${r.planItems} items, their results, ${r.sessions} session record(s))` : "no plan (none was imported)"}; plan files and the project's own files are untouched`);
  return EXIT.ok;
}
