// `viable run "<task>"`: one VSM cycle. Ctrl-C cancels the running attempts and records the task as
// failed with the reason; `viable stop` from another terminal does the same through SIGUSR2.

import { runtimesFor } from "../../agents/runtimes.ts";
import { CycleStopped, runCycle } from "../../engine/cycle.ts";
import type { VSMCycleResult } from "../../engine/cycle-result.ts";
import { KILL_SIGNAL } from "../../engine/kill-switch.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";
import { reportReconciliation } from "../reconciliation-report.ts";

export interface RunArgs {
  task: string;
  dir: string;
  hint?: string;
  verbose: boolean;
  json: boolean;
  autoApprove: boolean;
}

export async function runCommand(args: RunArgs, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: true, command: "run" });
  const runtimes = runtimesFor(ctx.config, ctx.paths.root);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === KILL_SIGNAL) {
      controller.abort(new CycleStopped("kill_switch", "stopped by the kill switch (`viable stop`)"));
    } else {
      controller.abort(new CycleStopped("interrupted", `interrupted by ${signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal}`));
    }
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", KILL_SIGNAL];
  for (const s of signals) process.on(s, onSignal);
  try {
    reportReconciliation(ctx.reconciliation, o);
    const result = await runCycle(
      { store: ctx.store, config: ctx.config, registry: ctx.registry(), runtimeFor: runtimes },
      {
        task: args.task,
        ...(args.hint !== undefined ? { hint: args.hint } : {}),
        autoApprove: args.autoApprove,
        interactive: o.interactive,
        // Loaded only when a person must be asked: it is a large import for every other run.
        ask: async (message, signal) => (await import("@inquirer/confirm")).default({ message, default: false }, { signal }),
        signal: controller.signal,
        ...(args.verbose ? { progress: (line: string) => o.err(line) } : {}),
      },
    );
    if (args.json) printJson(o, result);
    else printResult(result, o);
    return result.success ? EXIT.ok : EXIT.failed;
  } catch (e) {
    if (e instanceof CycleStopped) {
      if (args.json) printJson(o, { success: false, stopped: e.kind, reason: e.message });
      o.err(`viable: ${e.message}`);
      return e.kind === "interrupted" ? EXIT.interrupted : e.kind === "approval_required" ? EXIT.usage : EXIT.failed;
    }
    throw e;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await runtimes.closeAll();
    ctx.store.close();
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
