// `viable run "<task>"`: one VSM cycle. `--json` prints seed 001's VSMCycleResult at the end;
// `--events` prints the run's events as NDJSON while it runs; `-v` prints each step on stderr; at a
// terminal a live line shows the step, the agents at work and the time. Ctrl-C cancels the running
// attempts and records the task as failed; `viable stop` from another terminal does the same.

import { agentNotes } from "../../app/agents.ts";
import { openProject } from "../../app/project.ts";
import { CycleStopped, runTask, type VSMCycleResult } from "../../app/run-task.ts";
import { CycleView, ndjson } from "../event-stream.ts";
import { EXIT } from "../exit-codes.ts";
import { LiveLine } from "../live-line.ts";
import { terminal } from "../terminal-ask.ts";
import { printJson, type Output } from "../output.ts";
import { reportReconciliation } from "../reconciliation-report.ts";
import { onStopSignals } from "../stop-signals.ts";

export interface RunArgs {
  task: string;
  dir: string;
  hint?: string;
  verbose: boolean;
  json: boolean;
  events: boolean;
  autoApprove: boolean;
  bestOf?: number;
}

export async function runCommand(args: RunArgs, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: true, command: "run" });
  const controller = new AbortController();
  const offSignals = onStopSignals((kind, message) => controller.abort(new CycleStopped(kind, message)));
  const view = new CycleView();
  const live = o.interactive && !args.json && !args.events && !args.verbose ? new LiveLine(() => view.status()) : null;
  const unsubscribe = project.onEvent((e) => {
    if (args.events) o.out(ndjson(e));
    // A question someone elsewhere can answer: said even without -v, or a waiting run looks hung.
    const answerAt = e.event_type === "approval_requested" && Array.isArray(e.data.answer_at) ? (e.data.answer_at as string[]) : [];
    if (answerAt.length > 0) {
      const within = typeof e.data.timeout_s === "number" && !o.interactive ? ` within ${e.data.timeout_s}s` : "";
      const line = `viable: S5 approval needed — answer it${within} at ${answerAt.join(" or ")}`;
      if (live) void live.pause(async () => o.err(line));
      else o.err(line);
    }
    const line = view.lineOf(e);
    if (line === null) return;
    // A wait for a usage limit to reset may last hours: always said, not only with --verbose.
    const waits = e.event_type === "policy_decision" && (e.data.decision === "wait_for_reset" || e.data.decision === "limit_reset");
    if (args.verbose) o.err(line);
    else if (waits && !args.json && !args.events) {
      if (live) void live.pause(async () => o.err(line));
      else o.err(line);
    } else live?.draw();
  });
  try {
    if (!args.json && !args.events) reportReconciliation(project.reconciliation, o);
    for (const note of agentNotes(project)) o.err(`viable: ${note}`);
    const result = await runTask(project, {
      task: args.task,
      ...(args.hint !== undefined ? { hint: args.hint } : {}),
      autoApprove: args.autoApprove,
      ...(args.bestOf !== undefined ? { bestOf: args.bestOf } : {}),
      interactive: o.interactive,
      ask: terminal(live).ask,
      signal: controller.signal,
    });
    await project.flush();
    live?.stop();
    // With --events, the result is the stream's last line; alone, seed 001's object, indented.
    if (args.json && args.events) o.out(JSON.stringify(result));
    else if (args.json) printJson(o, result);
    else if (!args.events) printResult(result, o);
    return result.success ? EXIT.ok : EXIT.failed;
  } catch (e) {
    if (e instanceof CycleStopped) {
      await project.flush().catch(() => undefined);
      live?.stop();
      const stopped = { success: false, stopped: e.kind, reason: e.message };
      // With --events, like a result, the stream's last line.
      if (args.json && args.events) o.out(JSON.stringify(stopped));
      else if (args.json) printJson(o, stopped);
      o.err(`viable: ${e.message}`);
      return e.kind === "interrupted" ? EXIT.interrupted : e.kind === "approval_required" ? EXIT.usage : EXIT.failed;
    }
    throw e;
  } finally {
    live?.stop();
    offSignals();
    await project.close();
    unsubscribe();
  }
}

function printResult(r: VSMCycleResult, o: Output): void {
  o.out(`${r.success ? "✓" : "✗"} task ${r.task_id}: ${r.summary}`);
  for (const s of r.s1_results) {
    o.out(`  ${s.success ? "✓" : "✗"} ${s.agent}: ${s.success ? s.output : (s.error ?? "failed")}`);
  }
  o.out(`  audit: ${r.audit_passed === null ? "not run" : r.audit_passed ? "passed" : "failed"}`);
  for (const c of r.conflicts) o.out(`  conflict: ${String(c.type)} (S3 ${String(c.s3)} vs S4 ${String(c.s4)})`);
  for (const a of r.adaptations) o.out(`  adaptation: ${String(a.type)} — ${String(a.effect)}`);
}
