// Plain tmux commands on a socket of Viable's own (`tmux -L <socket>`), never the user's server:
// nothing of ours lands in their sessions, and `kill-server` on our socket takes only what is ours.
// Windows are addressed by their id (`@3`), never by a name a person may have changed. Commands run
// one at a time per socket, so two never race for the same pane.

import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../domain/errors.ts";

/** tmux ran and said no (`exitCode` set), or did not answer in time (`timedOut`). */
export class TmuxFailed extends Error {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  constructor(message: string, exitCode: number | null, timedOut: boolean) {
    super(message);
    this.name = "TmuxFailed";
    this.exitCode = exitCode;
    this.timedOut = timedOut;
  }
}

export class Tmux {
  readonly socket: string;
  /** The option or command tmux is used for, named when tmux is missing or fails to start a session. */
  readonly purpose: { field: string; without: string };
  #queue: Promise<unknown> = Promise.resolve();

  constructor(socket: string, purpose: { field: string; without: string } = { field: "--tmux", without: "run without --tmux" }) {
    this.socket = socket;
    this.purpose = purpose;
  }

  /** Runs `tmux -L socket args`; rejects with tmux's own message (TmuxFailed). */
  run(args: readonly string[]): Promise<string> {
    const next = this.#queue.then(() => new Promise<string>((resolve, reject) => {
      execFile("tmux", ["-L", this.socket, ...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
        if (!error) resolve(stdout);
        else if ((error as NodeJS.ErrnoException).code === "ENOENT") reject(notInstalled(this.purpose));
        else {
          const e = error as NodeJS.ErrnoException & { killed?: boolean };
          reject(new TmuxFailed(`tmux ${args[0] ?? ""}: ${stderr.trim() || error.message}`, typeof e.code === "number" ? e.code : null, e.killed === true));
        }
      });
    }));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * A detached session whose first window runs `command` (in `cwd`, when given). An earlier session
   * of that name (a crashed run's) goes first — and is waited for: when it was the server's last,
   * a server still exiting takes a new session down with it. Other sessions on the socket stay.
   */
  async startSession(name: string, firstWindow: string, command: string, cwd?: string): Promise<void> {
    await this.killSession(name);
    for (let i = 0; i < 50; i++) {
      const others = await this.run(["list-sessions", "-F", "#{session_name}"]).then((out) => out.split("\n").filter((n) => n !== "" && n !== name), () => null);
      // No server, or one that stays for its other sessions: safe to start.
      if (others === null || others.length > 0) break;
      await sleep(40);
    }
    let last: unknown;
    for (let tries = 0; tries < 3; tries++) {
      try {
        await this.run(["new-session", "-d", "-s", name, "-n", firstWindow, "-x", "200", "-y", "50", ...(cwd ? ["-c", cwd] : []), command]);
        return;
      } catch (e) {
        if (e instanceof UserError) throw e;
        last = e;
        await sleep(100);
      }
    }
    throw new UserError({
      reason: "bad_usage", field: this.purpose.field, message: `tmux could not start a session on its socket ${this.socket}: ${last instanceof Error ? last.message : String(last)}`,
      fix: `check that tmux works (tmux -L ${this.socket} new-session), or ${this.purpose.without}`,
    });
  }

  /**
   * Whether the session `name` exists (exactly that name, not a prefix). tmux says no with exit
   * status 1 (no such session, or no server at all); anything else — a tmux that did not answer in
   * time — is thrown, not taken for a no.
   */
  async hasSession(name: string): Promise<boolean> {
    try {
      await this.run(["has-session", "-t", `=${name}`]);
      return true;
    } catch (e) {
      if (e instanceof TmuxFailed && e.exitCode === 1 && !e.timedOut) return false;
      throw e;
    }
  }

  /** Ends the session; nothing happens when there is none. */
  async killSession(name: string): Promise<void> {
    await this.run(["kill-session", "-t", `=${name}`]).catch(() => undefined);
  }

  /** A window running `command`; returns its id. */
  async newWindow(session: string, name: string, command: string): Promise<string> {
    return (await this.run(["new-window", "-d", "-P", "-F", "#{window_id}", "-t", `${session}:`, "-n", name, command])).trim();
  }

  async killWindow(id: string): Promise<void> {
    await this.run(["kill-window", "-t", id]).catch(() => undefined);
  }

}

/** tmux is there to be run. */
export async function tmuxAvailable(purpose?: Tmux["purpose"]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile("tmux", ["-V"], (error) => ((error as NodeJS.ErrnoException | null)?.code === "ENOENT" ? reject(notInstalled(purpose)) : resolve()));
  });
}

function notInstalled(purpose: Tmux["purpose"] = { field: "--tmux", without: "run without --tmux" }): UserError {
  return new UserError({ reason: "bad_usage", field: purpose.field, message: "tmux is not installed", fix: `install it (apt-get install tmux, brew install tmux), or ${purpose.without}` });
}

/** A shell word: the path or text as one argument to `sh -c`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
