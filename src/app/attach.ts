// `viable attach <item|attempt>`: a person takes over an item whose agent stopped for input. The
// agent's own CLI session opens interactively (agents/interactive-session.ts) in the item's
// worktree, in a tmux session named after the item on Viable's own socket; the person answers,
// edits, runs things, and exits the CLI (or detaches and comes back). The take-over is a record:
// the loop sees it begin and end (engine/loop/needs-input.ts) and, once it ended, verifies and
// merges the item as if the agent had finished. This process stays until the session ends — it is
// what records the end; if it is killed, whoever looks next ends the session and the item waits again.

import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { interactiveSession } from "../agents/interactive-session.ts";
import { UserError } from "../domain/errors.ts";
import { isRuntimeName } from "../domain/runtime.ts";
import { shellQuote, Tmux, tmuxAvailable } from "../process/tmux.ts";
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
  /** Ends when the session ends (or `signal` aborts: the session is ended then). */
  ended(signal: AbortSignal): Promise<{ seconds: number }>;
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
        fix: attemptOf.outcome?.sessionId ? `resume it yourself: ${attemptOf.runtime} --resume ${attemptOf.outcome.sessionId} (in ${p.paths.root})` : "run the task again",
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
    throw new UserError({ reason: "conflict", message: `item "${itemId}"'s worktree ${cwd} is gone`, fix: `retry the item instead: approve its question in the dashboard, or \`viable plan retry ${itemId}\` once no loop runs` });
  }
  const attempt = attemptOf?.item_id === itemId ? attemptOf : lastAgentAttempt(await p.store.queries.attemptsOfItem(itemId));
  const runtime = attempt && isRuntimeName(attempt.runtime) ? attempt.runtime : p.config.defaults.runtime;
  const session = attempt?.outcome?.sessionId ?? null;
  const command = interactiveSession(p.config, runtime, { session, model: attempt?.outcome?.model ?? null, cwd });
  if (command === null) {
    throw new UserError({ reason: "unknown_runtime", message: `the ${runtime} CLI is not installed or not on PATH`, fix: `install it, or set runtimes.${runtime}.bin in .viable/config.json` });
  }
  await tmuxAvailable();

  const name = `item-${itemId.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40)}`;
  // The environment goes through a file only this user can read, never a command line `ps` shows;
  // the script removes itself before the CLI starts.
  const launcher = path.join(p.paths.stateDir, "tmux", `${name}-${crypto.randomUUID().slice(0, 8)}.sh`);
  fs.mkdirSync(path.dirname(launcher), { recursive: true });
  fs.writeFileSync(launcher, [
    "#!/bin/sh", `rm -f ${shellQuote(launcher)}`,
    ...Object.entries(command.env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `exec ${[command.file, ...command.args].map(shellQuote).join(" ")}`,
  ].join("\n") + "\n", { mode: 0o600 });
  await tmux.startSession(name, itemId.slice(0, 30), `sh ${shellQuote(launcher)}`, cwd);

  const record: TakeoverRecord = {
    id: crypto.randomUUID().replaceAll("-", "").slice(0, 12), item_id: itemId, attempt_id: attempt?.id ?? null, runtime, session,
    tmux_socket: socket, tmux_session: name, by_user: person(), pid: process.pid, started_at: p.store.timestamp(), ended_at: null, status: "active",
  };
  await p.store.journal.commit({ changes: [{ type: "takeover_started", takeover: record }] });
  const started = Date.now();
  return {
    record,
    attach: `tmux -L ${socket} attach -t ${name}`,
    opened: runtime === "command" ? "a shell" : command.resumes ? `${runtime}, resuming the agent's session ${session}` : `${runtime} (the agent left no session to resume)`,
    ended: async (signal) => {
      try {
        while (await tmux.hasSession(name)) await sleep(POLL_MS, undefined, { signal });
      } catch (e) {
        if (!signal.aborted) throw e;
        // Given up on (Ctrl-C): the session ends here, and the item goes on as handed back.
        await tmux.killSession(name);
      } finally {
        fs.rmSync(launcher, { force: true });
      }
      await p.store.journal.commit({ changes: [{ type: "takeover_ended", id: record.id, status: "ended", at: p.store.timestamp() }] });
      return { seconds: Math.round((Date.now() - started) / 1000) };
    },
  };
}

/** The item's newest attempt by an agent (not a conflict resolution without a session). */
function lastAgentAttempt(attempts: AttemptRecord[]): AttemptRecord | null {
  return attempts.filter((a) => a.outcome !== null).at(-1) ?? attempts.at(-1) ?? null;
}

function person(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "someone";
  }
}
