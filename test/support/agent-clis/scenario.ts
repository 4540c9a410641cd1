// One end-to-end scenario: a real CLI from the cache, a fresh scratch world, the scripted server
// with the test's steps, one run. Everything is torn down when the test ends.

import type { TestContext } from "node:test";
import { startModelServer, type ModelServer } from "../model-server/server.ts";
import type { Step } from "../model-server/script.ts";
import { prepare, type TestRunOptions } from "./environments.ts";
import { installAgentCli, type AgentCliName, type InstalledAgentCli } from "./install.ts";
import { runCli, type CliRun, type RunControl } from "./launch.ts";
import { createScratch, type Scratch } from "./scratch.ts";

export interface ScenarioResult extends CliRun {
  server: ModelServer;
  scratch: Scratch;
}

export interface ScenarioOptions extends Partial<TestRunOptions> {
  /** Run in this scratch world instead of a new one (to resume a session kept in its HOME). */
  scratch?: Scratch;
  /** Given the server (to reach holds in its script), returns when to cancel. */
  cancelWhen?: (server: ModelServer) => Promise<unknown>;
  timeoutMs?: number;
}

const installs = new Map<AgentCliName, Promise<InstalledAgentCli>>();

/** The installer, once per CLI per test process; it is a no-op when the cache has the version. */
export function installedCli(name: AgentCliName): Promise<InstalledAgentCli> {
  let p = installs.get(name);
  if (!p) {
    p = installAgentCli(name);
    installs.set(name, p);
  }
  return p;
}

export async function runScenario(t: TestContext, cli: AgentCliName, steps: Step[], options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const installed = await installedCli(cli);
  let scratch = options.scratch;
  if (!scratch) {
    const created = await createScratch(cli);
    t.after(() => created.remove());
    scratch = created;
  }
  const server = await startModelServer({ script: steps, cwd: scratch.repo });
  t.after(() => server.close());
  const { cancelWhen, timeoutMs, scratch: _reused, ...runOptions } = options;
  const launch = await prepare[cli](installed, scratch, server, { prompt: "Do the scripted task.", ...runOptions });
  const control: RunControl = { timeoutMs: timeoutMs ?? 90_000, ...(cancelWhen ? { cancelWhen: cancelWhen(server) } : {}) };
  const run = await runCli(launch, control);
  return { ...run, server, scratch };
}

/** For assertion messages: what the CLI said, so a failing test explains itself. */
export function describeRun(r: CliRun): string {
  return [`outcome: ${JSON.stringify(r.outcome)}`, `stdout:`, ...r.stdout.slice(-15), `stderr:`, ...r.stderr.slice(-15)].join("\n");
}
