// `viable attach <item|attempt>`: a person takes over an item whose agent stopped for input. The
// agent's own CLI session opens interactively (agents/interactive-session.ts) in the item's
// worktree, in a tmux session named after the item on Viable's own socket; the person answers,
// edits, runs things, and exits the CLI (or detaches and comes back). The take-over is a record:
// the loop sees it begin and end (engine/loop/needs-input.ts) and, once it ended, verifies and
// merges the item as if the agent had finished. This process stays until the session ends — it is
// what records the end; if it is killed, whoever looks next ends the session and the item waits again.
// The record is written before the session opens, so the loop never acts on an item a person holds.

import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { interactiveSession, resumeHint, type InteractiveCommand } from "../agents/interactive-session.ts";
import { UserError } from "../domain/errors.ts";
import { isRuntimeName } from "../domain/runtime.ts";
import { shellQuote, Tmux, TmuxFailed, tmuxAvailable } from "../process/tmux.ts";
import type { AttemptRecord, TakeoverRecord } from "../store/records.ts";
import { processStartTime } from "../store/writer-lock.ts";
import { itemWorktreeDir } from "../workspace/worktrees.ts";
import { storedPlan } from "./plan.ts";
import type { Project } from "./project.ts";
import { mirrorSocket } from "./tmux-mirror.ts";

/** How often the session is looked at: its end is recorded within this. */
const POLL_MS = 250;

export interface Takeover {
  record: TakeoverRecord;
  /** `tmux -L <socket> attach -t <session>`. */
  attach: string;
  /** What the person gets: the agent's resumed session, a fresh one, or a shell. */
  opened: string;
  /** Whether the tmux session still runs (after a person detached, say). */
  alive(): Promise<boolean>;
  /**
   * Resolves when the session has ended — or `signal` aborted, which ends it (reason ABANDON: given
   * up, the item waits for a person again; anything else: handed back).
   */
  ended(signal: AbortSignal): Promise<{ status: "ended" | "abandoned"; seconds: number }>;
}

/** Opens the take-over: checks, the tmux session, and its record. */
export async function takeOver(p: Project, target: string): Promise<Takeover> {
  const stored = await storedPlan(p);
  const attemptOf = await p.store.queries.attempt(target);
  const itemId = stored.plan.items.some((i) => i.id === target) ? target : attemptOf?.item_id ?? null;
  if (itemId === null) {
    if (attemptOf) {
      throw new UserError({
        reason: "bad_usage", message: `attempt "${target}" belongs to a \`viable run\` task, not a plan item; only plan items are taken over`,
        fix: attemptOf.outcome?.sessionId && isRuntimeName(attemptOf.runtime) ? `resume it yourself in ${p.paths.root}: ${resumeHint(attemptOf.runtime, attemptOf.outcome.sessionId)}` : "run the task again",
      });
    }
    throw new UserError({ reason: "not_found", message: `"${target}" is neither an item of the imported plan nor an attempt`, fix: "name an item from `viable plan show` (or an attempt id from its attempts)" });
  }
  const item = stored.plan.items.find((i) => i.id === itemId)!;
  const state = stored.state.get(itemId);
  if (state?.phase !== "needs_input") {
    throw new UserError({
      reason: "conflict", message: `item "${itemId}" is ${item.status}${state?.phase ? ` (${state.phase})` : ""}, not waiting for a person`,
      fix: "`viable attach` takes over an item whose agent stopped for input while the loop waits for a person (loop.on_needs_input: wait); see `viable plan show`",
    });
  }
  const question = (await p.store.queries.approvals()).find((a) => a.item_id === itemId && a.subject === "needs_input");
  if (question && (question.status === "approved" || question.status === "rejected")) {
    throw new UserError({
      reason: "conflict", message: `item "${itemId}"'s question was just answered (${question.status === "approved" ? "retry" : "block"}, by ${question.answered_by ?? "someone"})`,
      fix: "nothing to take over: the loop acts on that answer (see `viable plan show`)",
    });
  }
  const socket = mirrorSocket(p.paths.root);
  const tmux = new Tmux(socket);
  const existing = await p.store.queries.takeover(itemId);
  if (existing?.status === "active" && processStartTime(existing.pid) !== null) {
    throw new UserError({
      reason: "conflict", message: `item "${itemId}" is taken over already, by ${existing.by_user} (viable attach, pid ${existing.pid})`,
      fix: `join that session: tmux -L ${existing.tmux_socket} attach -t ${existing.tmux_session}`,
    });
  }
  if (existing?.status === "active") {
    // Left by a killed `viable attach`: its session goes, and so does its claim.
    await new Tmux(existing.tmux_socket).killSession(existing.tmux_session);
    await p.store.journal.commit({ changes: [{ type: "takeover_ended", id: existing.id, status: "abandoned", at: p.store.timestamp() }] });
  }
  const cwd = itemWorktreeDir(p.paths, itemId);
  if (!fs.existsSync(cwd)) {
    throw new UserError({ reason: "conflict", message: `item "${itemId}"'s worktree ${cwd} is gone`, fix: "retry the item instead: answer its question in the dashboard (Answer & retry) or with MCP's answer tool" });
  }
  const attempt = attemptOf?.item_id === itemId ? attemptOf : attemptToTakeOver(await p.store.queries.attemptsOfItem(itemId));
  const runtime = attempt && isRuntimeName(attempt.runtime) ? attempt.runtime : p.config.defaults.runtime;
  // An agent that ran on a worker (a distributed loop) left its session on that machine: its work
  // is here, its conversation is not, so the person gets a fresh session in the worktree.
  const elsewhere = attempt ? (await p.store.queries.task(attempt.task_id))?.metadata?.["kind"] === "worker_job" : false;
  const session = elsewhere ? null : attempt?.outcome?.sessionId ?? null;
  const command = interactiveSession(p.config, runtime, { session, model: attempt?.outcome?.model ?? null, cwd });
  if (command === null) {
    throw new UserError({ reason: "unknown_runtime", message: `the ${runtime} CLI is not installed or not on PATH`, fix: `install it, or set runtimes.${runtime}.bin in .viable/config.json` });
  }
  const purpose = { field: "viable attach", without: "work in the item's worktree yourself, then answer its question in the dashboard" };
  await tmuxAvailable(purpose);

  // Named after the item; a hash keeps two ids that read alike (a.b, a_b) apart.
  const readable = itemId.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40);
  const name = `item-${readable}${readable === itemId ? "" : `-${crypto.createHash("sha256").update(itemId).digest("hex").slice(0, 6)}`}`;
  const record: TakeoverRecord = {
    id: crypto.randomUUID().replaceAll("-", "").slice(0, 12), item_id: itemId, attempt_id: attempt?.id ?? null, runtime, session,
    tmux_socket: socket, tmux_session: name, by_user: person(), pid: process.pid, started_at: p.store.timestamp(), ended_at: null, status: "active",
  };
  // Recorded before anything opens: from here on the loop leaves the item to the person.
  await p.store.journal.commit({ changes: [{ type: "takeover_started", takeover: record }] });
  const files = path.join(p.paths.stateDir, "tmux", `${name}-${record.id}`);
  const launcher = `${files}.sh`;
  const statusFile = `${files}.status`;
  const end = async (status: "ended" | "abandoned") => {
    fs.rmSync(launcher, { force: true });
    fs.rmSync(statusFile, { force: true });
    await p.store.journal.commit({ changes: [{ type: "takeover_ended", id: record.id, status, at: p.store.timestamp() }] });
  };
  try {
    fs.mkdirSync(path.dirname(launcher), { recursive: true });
    fs.writeFileSync(launcher, launcherScript(launcher, statusFile, command), { mode: 0o600 });
    await tmux.startSession(name, itemId.slice(0, 30), `sh ${shellQuote(launcher)}`, cwd);
  } catch (e) {
    await end("abandoned").catch(() => undefined);
    throw e;
  }
  const started = Date.now();
  return {
    record,
    attach: `tmux -L ${socket} attach -t ${name}`,
    alive: () => tmux.hasSession(name).catch(() => true),
    opened: runtime === "command" ? "a shell" : command.resumes ? `${runtime}, resuming the agent's session ${session}` : elsewhere ? `${runtime}, a fresh session (the agent's own is on the worker that ran it)` : `${runtime} (the agent left no session to resume)`,
    ended: async (signal) => {
      let how: "ended" | "abandoned";
      try {
        for (;;) {
          // A tmux that does not answer in time is asked again, never taken for a session that ended.
          const alive = await tmux.hasSession(name).catch((e: unknown) => {
            if (e instanceof TmuxFailed && e.timedOut) return true;
            throw e;
          });
          if (!alive) break;
          await sleep(POLL_MS, undefined, { signal });
        }
        // The CLI's own exit status: one that failed (it could not resume, it crashed) hands nothing back.
        const status = fs.existsSync(statusFile) ? fs.readFileSync(statusFile, "utf8").trim() : null;
        how = status === null || status === "0" ? "ended" : "abandoned";
      } catch (e) {
        if (!signal.aborted) throw e;
        // Ctrl-C hands the item back; a hang-up or SIGTERM gives it up (it waits for a person again).
        await tmux.killSession(name);
        how = signal.reason === ABANDON ? "abandoned" : "ended";
      }
      await end(how);
      return { status: how, seconds: Math.round((Date.now() - started) / 1000) };
    },
  };
}

/** The abort reason that gives a take-over up instead of handing the item back. */
export const ABANDON = "abandon";

/**
 * The pane's script: the CLI in exactly the environment Viable gives it (whatever the tmux server
 * was started with is cleared first), its exit status kept for `ended`, and a failure left on the
 * screen until the person has read it. It removes itself first: the file holds credentials.
 */
function launcherScript(launcher: string, statusFile: string, command: InteractiveCommand): string {
  const exports = Object.entries(command.env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    "#!/bin/sh",
    `rm -f ${shellQuote(launcher)}`,
    // tmux's own TERM and TMUX stay: the pane is a tmux terminal.
    `for name in $(awk 'BEGIN { for (k in ENVIRON) print k }'); do case "$name" in TERM|TMUX|TMUX_PANE) ;; *) unset "$name" 2>/dev/null ;; esac; done`,
    ...exports,
    [command.file, ...command.args].map(shellQuote).join(" "),
    "status=$?",
    `echo "$status" > ${shellQuote(statusFile)}`,
    `if [ "$status" -ne 0 ]; then printf '\n%s exited with status %s: the item is not handed back. Press Enter to close.\n' ${shellQuote(path.basename(command.file))} "$status"; read _; fi`,
    "",
  ].join("\n");
}

/** The item's newest attempt by an agent (not a conflict resolution without a session). */
/** The attempt that stopped for a person (not a shadow's beside it, say); else the newest that ended. */
export function attemptToTakeOver(attempts: readonly AttemptRecord[]): AttemptRecord | null {
  return attempts.filter((a) => a.outcome?.status === "needs_input").at(-1) ?? attempts.filter((a) => a.outcome !== null).at(-1) ?? attempts.at(-1) ?? null;
}

function person(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "someone";
  }
}
