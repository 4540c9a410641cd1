// A terminal for tests that need one: `viable` started in a tmux pane on a socket of the test's own
// (a real pseudo-terminal, so it prompts as it does for a person), read with `capture-pane` and
// typed into with `send-keys` — text sent literally, Enter on its own. The command's exit status is
// written to a file; the pane stays until the test ends, showing what the command printed last.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { VIABLE_BIN, testEnv } from "./cli.ts";
import { shellQuote } from "../../src/process/tmux.ts";

export interface Terminal {
  /** What the screen shows now. */
  screen(): string;
  /** Waits until the screen matches, then returns it. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
  /** Types `text`, then Enter. */
  type(text: string): void;
  /** Presses one key by its tmux name: "Enter", "Down", "C-c". */
  key(name: string): void;
  /** The command's exit status once it has ended. */
  exitCode(timeoutMs?: number): Promise<number>;
}

export function tmuxOn(socket: string, ...args: string[]): string | null {
  try {
    return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

/** Polls `fn` until it gives something; tmux has no event to wait on. */
export async function until<T>(fn: () => T | null | undefined | false, what: string, timeoutMs = 30_000, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${describe ? `\n${describe()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function viableInTerminal(t: TestContext, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Terminal {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-term-"));
  const socket = `viable-test-${path.basename(dir)}`;
  const exitFile = path.join(dir, "exit");
  const env = testEnv({ TERM: "xterm-256color", ...opts.env });
  const command = [
    "env", "-i", ...Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)),
    shellQuote(process.execPath), shellQuote(VIABLE_BIN), ...args.map(shellQuote),
  ].join(" ");
  execFileSync("tmux", ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "160", "-y", "50", "-c", opts.cwd ?? dir,
    // The pane stays after the command, so what it printed last can be read.
    `${command}; echo $? > ${shellQuote(exitFile)}; exec sleep 3600`], { env: testEnv({ TERM: "xterm-256color" }) });
  t.after(() => {
    tmuxOn(socket, "kill-server");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const screen = () => tmuxOn(socket, "capture-pane", "-p", "-S", "-200", "-t", "t") ?? "";
  let last = "";
  return {
    screen,
    waitFor: (pattern, what, timeoutMs = 60_000) => until(() => {
      const s = screen();
      if (s) last = s;
      return pattern.test(s) ? s : null;
    }, what, timeoutMs, () => `screen:\n${last}`),
    key: (name) => void tmuxOn(socket, "send-keys", "-t", "t", name),
    type: (text) => {
      tmuxOn(socket, "send-keys", "-t", "t", "-l", text);
      tmuxOn(socket, "send-keys", "-t", "t", "Enter");
    },
    exitCode: async (timeoutMs = 60_000) => Number((await until(() => fs.existsSync(exitFile) && fs.readFileSync(exitFile, "utf8").trim(), "the command to end", timeoutMs, () => `screen:\n${last}`))),
  };
}
