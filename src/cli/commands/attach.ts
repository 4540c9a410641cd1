// `viable attach <item|attempt>`: take over an item whose agent stopped for input (app/attach.ts).
// At a terminal the tmux session opens right here; detaching (C-b d) leaves it running and this
// command waiting for it to end. Without a terminal it prints how to attach and waits. When the
// agent's CLI exits, the take-over ends and the loop verifies and merges the item; a CLI that exits
// with a failure hands nothing back. Exit 0: handed back; 1: not handed back.

import { spawn } from "node:child_process";
import { ABANDON, takeOver } from "../../app/attach.ts";
import { openProject } from "../../app/project.ts";
import { EXIT } from "../exit-codes.ts";
import type { Output } from "../output.ts";
import { printJson } from "../output.ts";

export interface AttachArgs {
  dir: string;
  target: string;
  json: boolean;
}

export async function attachCommand(args: AttachArgs, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: false, command: "attach" });
  const controller = new AbortController();
  // Ctrl-C: the person is done (the item is handed back). A hang-up or SIGTERM: nobody is (given up).
  const onInt = () => controller.abort("handed back");
  const onGone = () => controller.abort(ABANDON);
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onGone);
  process.on("SIGHUP", onGone);
  const offSignals = () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onGone);
    process.off("SIGHUP", onGone);
  };
  try {
    const takeover = await takeOver(project, args.target);
    const { record } = takeover;
    o.err(`viable: ${record.item_id} taken over: ${takeover.opened}, in its worktree`);
    if (o.interactive && !args.json) {
      await attachHere(record.tmux_socket, record.tmux_session);
      if (!controller.signal.aborted && await takeover.alive()) o.err(`viable: detached; the session goes on (${takeover.attach}); this waits for it to end — Ctrl-C ends it and hands the item back`);
    } else {
      o.err(`viable: attach with: ${takeover.attach}  (exit the agent's CLI to hand the item back)`);
    }
    const { status, seconds } = await takeover.ended(controller.signal);
    const loopRuns = (await project.store.queries.tasksInProgress()).some((t) => t.metadata?.kind === "plan_loop");
    if (args.json) printJson(o, { item: record.item_id, takeover: record.id, by: record.by_user, status, seconds, loop_running: loopRuns });
    if (status === "abandoned") {
      o.err(`viable: ${record.item_id} not handed back (the CLI failed, or the take-over was given up); it waits for a person again: \`viable attach ${record.item_id}\`, or answer it`);
      return EXIT.failed;
    }
    const next = loopRuns ? "the loop verifies and merges it now" : "run `viable loop` to verify and merge it";
    if (!args.json) o.err(`viable: ${record.item_id} handed back after ${seconds}s; ${next}`);
    return EXIT.ok;
  } finally {
    offSignals();
    await project.close();
  }
}

/** The person's terminal joins the session until they detach or it ends. */
function attachHere(socket: string, session: string): Promise<void> {
  // Inside a tmux of their own, TMUX would make tmux refuse to nest.
  const { TMUX: _tmux, ...env } = process.env;
  return new Promise((resolve) => {
    const child = spawn("tmux", ["-L", socket, "attach-session", "-t", `=${session}`], { stdio: "inherit", env });
    child.on("close", () => resolve());
    child.on("error", () => resolve());
  });
}
