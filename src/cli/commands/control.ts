// `viable stop`, `viable resume` and `viable reset`: the S5 controls over a project.

import { engageKillSwitch, KILL_SIGNAL, releaseKillSwitch } from "../../engine/kill-switch.ts";
import { stopAttemptProcesses } from "../../process/stop-processes.ts";
import { isProcessAlive } from "../../process/process-tree.ts";
import { Store } from "../../store/store.ts";
import { runningAttempts } from "../../store/tasks.ts";
import { readHolder } from "../../store/writer-lock.ts";
import { ensureStateIgnored, resolveProject } from "../../workspace/project.ts";
import { loadConfig } from "../../config/config.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";

export async function stopCommand(args: { dir: string; json: boolean; reason?: string }, o: Output): Promise<number> {
  const paths = await resolveProject(args.dir);
  const config = loadConfig(paths.configFile);
  await ensureStateIgnored(paths);
  // No writer lock: the point is to reach a project some other Viable is busy with.
  const store = Store.open(paths, { writer: false, create: true, command: "stop" });
  try {
    engageKillSwitch(store, args.reason ?? "viable stop");
    const running = runningAttempts(store.db);
    const holder = readHolder(paths.lockFile);
    if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
      // The running Viable cancels its own attempts and records why.
      process.kill(holder.pid, KILL_SIGNAL);
    }
    // Whatever is still there after the escalation window is stopped here, directly.
    const deadline = Date.now() + config.defaults.kill_grace_ms * 3 + 1000;
    while (Date.now() < deadline && runningAttempts(store.db).length > 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const leftover = runningAttempts(store.db);
    const { stopped } = await stopAttemptProcesses({ markers: leftover.map((a) => a.id) }, config.defaults.kill_grace_ms);
    const result = { kill_switch: "engaged", running_attempts: running.length, stopped_directly: stopped.length, holder_pid: holder?.pid ?? null };
    if (args.json) printJson(o, result);
    else o.out(`kill switch engaged: ${running.length} running attempt(s) ended${stopped.length ? ` (${stopped.length} process(es) stopped directly)` : ""}; new attempts are refused until \`viable resume\``);
    return EXIT.ok;
  } finally {
    store.close();
  }
}

export async function resumeCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const paths = await resolveProject(args.dir);
  const store = Store.open(paths, { writer: false, create: true, command: "resume" });
  try {
    const was = releaseKillSwitch(store);
    if (args.json) printJson(o, { kill_switch: "released", was_engaged: was });
    else o.out(was ? "kill switch released: work may start again" : "the kill switch was not engaged");
    return EXIT.ok;
  } finally {
    store.close();
  }
}

export async function resetCommand(args: { dir: string; yes: boolean; json: boolean }, o: Output): Promise<number> {
  if (!args.yes) {
    if (!o.interactive) {
      o.err("viable reset deletes every recorded task, attempt, log entry and metric of this project\n  fix: rerun with --yes to confirm");
      return EXIT.usage;
    }
    const { default: confirm } = await import("@inquirer/confirm");
    if (!(await confirm({ message: "Delete all recorded tasks, log entries and metrics of this project?", default: false }))) {
      o.out("nothing deleted");
      return EXIT.ok;
    }
  }
  const ctx = await openProject(args.dir, { writer: true, command: "reset" });
  try {
    ctx.store.atomically(() => {
      for (const table of ["events", "tasks", "attempts", "task_analysis", "file_versions", "settings", "plan_sessions", "plan_items", "plans"]) {
        ctx.store.db.exec(`DELETE FROM ${table}`);
      }
    });
    ctx.store.db.exec("VACUUM");
    if (args.json) printJson(o, { reset: true });
    else o.out("state reset: tasks, attempts, execution log and metrics cleared");
    return EXIT.ok;
  } finally {
    ctx.store.close();
  }
}
