// `viable loop`: works the imported plan until every item has passed or only blocked ones remain.
// With --json every loop event is one JSON line on stdout (NDJSON); at a terminal a live status
// line shows done / running / blocked / remaining, the agents at work, elapsed time and an ETA;
// otherwise one line per item event. Exit 0 only when every item passed.

import confirm from "@inquirer/confirm";
import { runtimeFor } from "../../agents/runtimes.ts";
import { createCommandRuntime, loopCommandStrategy } from "../../agents/runtimes/command-runtime.ts";
import type { RuntimeName } from "../../domain/runtime.ts";
import { KILL_SIGNAL } from "../../engine/kill-switch.ts";
import type { LoopEvent, WorkspaceMode } from "../../engine/plan/loop-context.ts";
import { LoopStopped, runPlanLoop } from "../../engine/plan/plan-loop.ts";
import { EXIT } from "../exit-codes.ts";
import type { Output } from "../output.ts";
import { openProject } from "../project-context.ts";
import { reportReconciliation } from "../reconciliation-report.ts";

export interface LoopArgs {
  dir: string;
  concurrency?: number;
  maxSessions?: number;
  allowDirty: boolean;
  json: boolean;
  workspace?: WorkspaceMode;
}

export async function loopCommand(args: LoopArgs, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: true, command: "loop" });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    controller.abort(signal === KILL_SIGNAL
      ? new LoopStopped("kill_switch", "stopped by the kill switch (`viable stop`)")
      : `interrupted by ${signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal}`);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", KILL_SIGNAL];
  for (const s of signals) process.on(s, onSignal);
  const live = !args.json && o.interactive ? new LiveDisplay() : null;
  const commandRuntime = createCommandRuntime(loopCommandStrategy());
  try {
    if (!args.json) reportReconciliation(ctx.reconciliation, o);
    const result = await runPlanLoop(
      {
        store: ctx.store, config: ctx.config, registry: ctx.registry(), commandRuntime,
        runtimeFor: (name: RuntimeName) => (name === "command" ? commandRuntime : runtimeFor(name)),
      },
      {
        allowDirty: args.allowDirty, signal: controller.signal, startupReaped: ctx.reconciliation?.reaped.length ?? 0,
        ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
        ...(args.maxSessions !== undefined ? { maxSessions: args.maxSessions } : {}),
        ...(args.workspace !== undefined ? { mode: args.workspace } : {}),
        emit: args.json ? (e) => o.out(JSON.stringify(e)) : live ? (e) => live.event(e) : (e) => printEvent(o, e),
        ...(o.interactive && !args.json ? { askToContinue: (message: string, signal: AbortSignal) => live!.pause(() => confirm({ message, default: false }, { signal })) } : {}),
      },
    );
    live?.stop();
    if (!args.json) {
      o.out(`${result.outcome === "all_passed" ? "✓" : "✗"} ${result.message} (${result.sessions} session${result.sessions === 1 ? "" : "s"}, ${formatDuration(result.elapsedSeconds)})`);
    }
    return result.outcome === "all_passed" ? EXIT.ok : result.outcome === "interrupted" ? EXIT.interrupted : EXIT.failed;
  } finally {
    live?.stop();
    await commandRuntime.close();
    for (const s of signals) process.off(s, onSignal);
    ctx.store.close();
  }
}

function printEvent(o: Output, e: LoopEvent): void {
  const line = describe(e);
  if (line !== null) o.out(line);
}

function describe(e: LoopEvent): string | null {
  switch (e.type) {
    case "loop_started":
      return `loop ${e.run_id}: ${e.items} items, ${e.mode === "worktree" ? `worktrees merging into ${e.integration_branch ?? "?"}` : "in place"}, concurrency ${e.concurrency}`;
    case "reconciled": {
      const parts: string[] = [];
      if (e.synced_from_git.length) parts.push(`${e.synced_from_git.length} passed per git history`);
      if (e.resumed.length) parts.push(`${e.resumed.length} resume at verification: ${e.resumed.join(", ")}`);
      if (e.reset.length) parts.push(`${e.reset.length} interrupted, to run again: ${e.reset.join(", ")}`);
      if (e.reaped) parts.push(`${e.reaped} leftover process(es) stopped`);
      return [parts.length ? `resumed: ${parts.join("; ")}` : null, ...e.notes.map((n) => `note: ${n}`)].filter((l) => l !== null).join("\n") || null;
    }
    case "item_started":
      return `▶ ${e.item} (attempt ${e.attempt}${e.agents.length ? `: ${e.agents.join(", ")}` : ", resumed"})`;
    case "item_passed":
      return `✓ ${e.item}${e.commit ? ` merged ${e.commit.slice(0, 10)}` : ""}${e.reverified ? " (re-verified)" : ""} ${formatDuration(e.elapsed_seconds)}`;
    case "item_failed":
      return `✗ ${e.item} attempt ${e.attempt}: ${e.reason}${e.will_retry ? " — will retry" : ""}${e.kept_branch ? ` (work kept on ${e.kept_branch})` : ""}`;
    case "item_blocked":
      return `⊘ ${e.item} blocked: ${e.reason}${e.dependents.length ? `; blocks ${e.dependents.join(", ")}` : ""}`;
    case "note":
      return `note${e.item ? ` (${e.item})` : ""}: ${e.message}`;
    case "circuit_open":
      return `circuit breaker: ${e.consecutive_failures} failures in a row${e.continued ? "; continuing" : ""}`;
    case "agent_started":
    case "agent_finished":
    case "item_verified":
    case "loop_finished":
      return null;
  }
}

/**
 * The live status line on a terminal: redrawn at most four times a second on stderr, with each item
 * event printed above it.
 */
class LiveDisplay {
  readonly #started = Date.now();
  readonly #agents = new Map<string, string>();
  #last: LoopEvent | undefined;
  #timer: NodeJS.Timeout;
  #paused = false;
  #total = 0;

  constructor() {
    this.#timer = setInterval(() => this.#draw(), 250).unref();
  }

  event(e: LoopEvent): void {
    this.#last = e;
    if (e.type === "loop_started") this.#total = e.items;
    if (e.type === "agent_started") this.#agents.set(e.attempt_id, `${e.item} (${e.agent})`);
    if (e.type === "agent_finished") this.#agents.delete(e.attempt_id);
    const line = describe(e);
    if (line !== null) {
      this.#clear();
      process.stderr.write(`${line}\n`);
    }
    this.#draw();
  }

  async pause<T>(fn: () => Promise<T>): Promise<T> {
    this.#paused = true;
    this.#clear();
    try {
      return await fn();
    } finally {
      this.#paused = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#clear();
  }

  #clear(): void {
    process.stderr.write("\r\x1b[2K");
  }

  #draw(): void {
    if (this.#paused || !this.#last) return;
    const c = this.#last.counts;
    const elapsed = (Date.now() - this.#started) / 1000;
    const remaining = c.pending + c.failed + c.running;
    const eta = c.passed > 0 && remaining > 0 ? ` · ETA ${formatDuration((elapsed / c.passed) * remaining)}` : "";
    const agents = [...this.#agents.values()];
    const width = process.stderr.columns || 100;
    const line = `${c.passed}/${this.#total} done · ${c.running} running · ${c.blocked} blocked · ${remaining} remaining · ${formatDuration(elapsed)}${eta}${agents.length ? ` · ${agents.join(", ")}` : ""}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
