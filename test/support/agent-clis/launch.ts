// Runs one real CLI process for a test: in its own process group (so a cancel reaches everything
// it started), stdout lines fed to the protocol parser, stderr kept, and the outcome classified.
// A stand-in for the real supervisor in src/process/, which these tests must not depend on yet.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { AgentEvent, AttemptOutcome } from "../../../src/domain/outcome.ts";
import type { ProtocolParser, Termination } from "../../../src/agents/protocols/common.ts";

export interface CliLaunch {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  createParser(): ProtocolParser;
}

export interface RunControl {
  /** When this resolves, SIGINT goes to the whole process group (the test's cancel). */
  cancelWhen?: Promise<unknown>;
  /** Safety net for a hung CLI: the group is killed and the run reported timed_out. Not a sync tool. */
  timeoutMs?: number;
}

export interface CliRun {
  stdout: string[];
  stderr: string[];
  events: AgentEvent[];
  outcome: AttemptOutcome;
  exitCode: number | null;
  signal: string | null;
}

export async function runCli(launch: CliLaunch, control: RunControl = {}): Promise<CliRun> {
  const parser = launch.createParser();
  const started = performance.now();
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    // Own process group: signals go to -pid and reach the CLI's children too.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const events: AgentEvent[] = [];
  let termination: Termination = "exited";
  let exited = false;

  const signalGroup = (sig: NodeJS.Signals): void => {
    if (pid === undefined || exited) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  control.cancelWhen?.then(
    () => {
      if (exited) return;
      termination = "cancelled";
      signalGroup("SIGINT");
    },
    () => undefined,
  );
  const safety = setTimeout(() => {
    termination = "timed_out";
    signalGroup("SIGKILL");
  }, control.timeoutMs ?? 90_000);

  const rlOut = createInterface({ input: child.stdout, crlfDelay: Infinity });
  rlOut.on("line", (line) => {
    stdout.push(line);
    events.push(...parser.push(line));
  });
  const outDone = new Promise<void>((resolve) => rlOut.on("close", () => resolve()));
  const rlErr = createInterface({ input: child.stderr, crlfDelay: Infinity });
  rlErr.on("line", (line) => {
    stderr.push(line);
    events.push(...parser.pushStderr(line));
  });
  const errDone = new Promise<void>((resolve) => rlErr.on("close", () => resolve()));
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, sig) => resolve([code, sig]));
  });
  exited = true;
  clearTimeout(safety);
  // Whatever the CLI left running in its group goes with it.
  if (pid !== undefined) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Nothing left.
    }
  }
  // A descendant that escaped the group (Claude's Bash tool runs commands under setsid) may still
  // hold the pipes open; the CLI has exited, so after a grace period its output is complete.
  const streamsClosed = Promise.all([outDone, errDone]);
  let grace: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => (grace = setTimeout(resolve, 2000)));
  await Promise.race([streamsClosed, graceOver]);
  clearTimeout(grace);
  rlOut.close();
  rlErr.close();
  child.stdout.destroy();
  child.stderr.destroy();
  events.push(...parser.end());
  const outcome = parser.classify({ exitCode, signal, termination, durationMs: Math.round(performance.now() - started) });
  events.push({ type: "finished", outcome });
  return { stdout, stderr, events, outcome, exitCode, signal };
}
