// Runs the real `viable` CLI (bin/viable.js over the built dist/) as a child process with a scrubbed
// environment, the way a user's shell would. `npm test` builds dist/ first.

import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { after } from "node:test";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
export const VIABLE_BIN = path.join(REPO_ROOT, "bin", "viable.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  // Only what a command needs: no provider keys, no proxies, no user config leaking in.
  const env: Record<string, string> = {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C.UTF-8",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Viable Test", GIT_AUTHOR_EMAIL: "test@viable.invalid",
    GIT_COMMITTER_NAME: "Viable Test", GIT_COMMITTER_EMAIL: "test@viable.invalid",
  };
  return { ...env, ...extra };
}

/** The commands still running; see the hook below. */
const running = new Set<ChildProcess>();

// A test that failed or timed out while its command ran (a loop waiting a quarter of an hour for a
// usage limit's reset, say) must not keep the test file's process, and so the whole run, waiting for
// it: once the file's tests are over, what is still running is stopped the way Ctrl-C would, then killed.
after(async () => {
  const left = [...running];
  for (const child of left) child.kill("SIGINT");
  await Promise.all(left.map((child) => new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("close", () => { clearTimeout(kill); resolve(); });
    if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(kill); resolve(); }
  })));
});

export function startViable(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [VIABLE_BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: testEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("close", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function viable(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startViable(args, opts).done;
}

export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

/** Calls `fn` with each whole line a child's output stream gives, as it comes. */
export function eachLine(stream: NodeJS.ReadableStream | null | undefined, fn: (line: string) => void): void {
  let buffer = "";
  stream?.on("data", (d: Buffer | string) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      fn(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
}
