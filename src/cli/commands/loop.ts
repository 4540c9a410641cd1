// `viable loop`: works the imported plan until every item has passed or only blocked ones remain.
// With --json every event of the run is one JSON line on stdout (NDJSON, as committed, with its
// sequence number); at a terminal a live status line shows done / running / blocked / remaining,
// the agents at work, elapsed time and an ETA; otherwise one line per item event. Exit 0 only when
// every item passed.

import { agentNotes } from "../../app/agents.ts";
import { openProject } from "../../app/project.ts";
import { startTmuxMirror, type TmuxMirror } from "../../app/tmux-mirror.ts";
import { LoopStopped, runPlanLoop, type WorkspaceMode } from "../../app/run-loop.ts";
import { LoopView, ndjson } from "../event-stream.ts";
import { EXIT } from "../exit-codes.ts";
import { formatDuration, LiveLine } from "../live-line.ts";
import type { Output } from "../output.ts";
import { reportReconciliation } from "../reconciliation-report.ts";
import { terminal } from "../terminal-ask.ts";
import { onStopSignals } from "../stop-signals.ts";

export interface LoopArgs {
  dir: string;
  concurrency?: number;
  maxSessions?: number;
  allowDirty: boolean;
  includeClaimed: boolean;
  json: boolean;
  workspace?: WorkspaceMode;
  branch?: string;
  /** Mirror every running agent in a tmux window. */
  tmux: boolean;
}

export async function loopCommand(args: LoopArgs, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: true, command: "loop", journal: "thread" });
  const controller = new AbortController();
  const offSignals = onStopSignals((kind, message) => controller.abort(kind === "kill_switch" ? new LoopStopped("kill_switch", message) : message));
  const view = new LoopView();
  const live = !args.json && o.interactive ? new LiveLine(() => view.status()) : null;
  let mirror: TmuxMirror | undefined;
  try {
    mirror = args.tmux ? await startTmuxMirror(project) : undefined;
  } catch (e) {
    offSignals();
    await project.close();
    throw e;
  }
  const unsubscribe = project.onEvent((e) => {
    mirror?.onEvent(e);
    // Said once the loop really runs: a loop refused at its checks has no windows to show.
    if (mirror && e.event_type === "loop_started") o.err(`viable: every running agent has a window: ${mirror.attach}`);
    if (args.json) {
      o.out(ndjson(e));
      return;
    }
    const line = view.lineOf(e);
    if (line === null) return;
    if (live) live.print(line);
    else o.out(line);
  });
  try {
    if (!args.json) reportReconciliation(project.reconciliation, o);
    for (const note of agentNotes(project)) o.err(`viable: ${note}`);
    // A person at this terminal is asked too: permission requests, a failure streak, agents' questions.
    const person = o.interactive && !args.json ? terminal(live) : null;
    const result = await runPlanLoop(project, {
      allowDirty: args.allowDirty, includeClaimed: args.includeClaimed, signal: controller.signal,
      ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
      ...(args.maxSessions !== undefined ? { maxSessions: args.maxSessions } : {}),
      ...(args.workspace !== undefined ? { mode: args.workspace } : {}),
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
      ...(person ? { ask: person.ask, askQuestion: person.question } : {}),
    });
    await project.flush();
    live?.stop();
    if (!args.json) {
      o.out(`${result.outcome === "all_passed" ? "✓" : "✗"} ${result.message} (${result.sessions} session${result.sessions === 1 ? "" : "s"}, ${formatDuration(result.elapsedSeconds)})`);
    }
    return result.outcome === "all_passed" ? EXIT.ok : result.outcome === "interrupted" ? EXIT.interrupted : EXIT.failed;
  } catch (e) {
    // Stopped before the run was recorded (during its checks): nothing ran.
    if (!(e instanceof LoopStopped)) throw e;
    live?.stop();
    o.err(`viable: ${e.message}`);
    return e.outcome === "interrupted" ? EXIT.interrupted : EXIT.failed;
  } finally {
    live?.stop();
    offSignals();
    await project.close();
    unsubscribe();
    await mirror?.close();
  }
}
