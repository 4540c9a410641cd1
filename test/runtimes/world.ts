// Scaffolding for running the real agent CLIs *through Viable*: a throwaway project whose agents
// have `runtime: <cli>`, `.viable/config.json` pointing `runtimes.<cli>.bin` at the cached CLI, the
// scripted model server on 127.0.0.1, and the environment `viable` itself is started with (scratch
// HOME/TMPDIR and the provider variables from the agent-CLI test kit, which Viable's allowlist
// forwards to the CLI). Readers for the log, and a /proc check that nothing of an attempt survives.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { warmMarkerPrefix } from "../../src/agents/warm-marker.ts";
import { prepare, TEST_MODELS } from "../support/agent-clis/environments.ts";
import type { AgentCliName, InstalledAgentCli } from "../support/agent-clis/install.ts";
import { installedCli } from "../support/agent-clis/scenario.ts";
import { createScratch, type Scratch } from "../support/agent-clis/scratch.ts";
import { json, startViable, type CliResult } from "../support/cli.ts";
import { e2eProject, eventsOf, type CycleJson, type E2EProject, type Event } from "../support/e2e.ts";
import { startModelServer, type ModelServer } from "../support/model-server/server.ts";
import type { Step } from "../support/model-server/script.ts";

/**
 * Generous: several CLI runs on a loaded two-core machine (CI runs two test files at once). A limit
 * costs nothing while the test passes; a hang still ends the test.
 */
export const TEST_TIMEOUT = { timeout: 300_000 };

export interface AgentSpec {
  /** Front matter beyond name/description; `runtime` defaults to the world's CLI. */
  fields?: Record<string, string | number | string[]>;
  /** The agent file's body (its system prompt); one body for all agents keeps one warm-pool key. */
  body?: string;
}

export interface WorldOptions {
  /** The CLIs the project uses; the first is the agents' default runtime. */
  clis: readonly AgentCliName[];
  script?: Step[];
  /** Answers each turn the script does not (after it, or without one), from the request and the agent's working directory. */
  respond?: (turn: { body: unknown; cwd: string | undefined }) => Step;
  /** Merged into the generated `.viable/config.json` (`runtimes.<cli>` and `defaults` key by key). */
  config?: {
    defaults?: Record<string, unknown>;
    runtimes?: Partial<Record<AgentCliName, Record<string, unknown>>>;
    [key: string]: unknown;
  };
  /** Agent files by name; default: one `generalist-coder` (what `--simple` allocates). */
  agents?: Record<string, AgentSpec>;
  /** How often each CLI retries a failed model call on its own; 0 leaves retrying to Viable. */
  cliRetries?: number;
  /** Variables added to viable's environment. */
  env?: Record<string, string>;
  /**
   * The variable codex's custom provider reads its key from (`env_key` in its config.toml, set to
   * the key the scripted server accepts). Default OPENAI_API_KEY, which Viable passes anyway.
   */
  codexKeyVariable?: string;
}

export interface World {
  project: E2EProject;
  server: ModelServer;
  scratch: Scratch;
  installed: Partial<Record<AgentCliName, InstalledAgentCli>>;
  /** The environment `viable` runs with. */
  env: Record<string, string>;
  /** `viable <args> -d <project>` with the world's environment. */
  viable(...args: string[]): Promise<CliResult>;
  start(...args: string[]): ReturnType<typeof startViable>;
  /** `viable run <task> --simple --json`, parsed; the exit code is the caller's to check. */
  run(task?: string, ...flags: string[]): Promise<{ result: CliResult; cycle: CycleJson }>;
  events(): Promise<Event[]>;
}

export async function runtimeWorld(t: TestContext, o: WorldOptions): Promise<World> {
  const [primary] = o.clis;
  if (!primary) throw new Error("runtimeWorld: name at least one CLI");
  const installed: Partial<Record<AgentCliName, InstalledAgentCli>> = {};
  for (const cli of o.clis) installed[cli] = await installedCli(cli);
  const scratch = await createScratch(`via-${primary}`);
  t.after(() => scratch.remove());

  const { defaults, runtimes, ...rest } = o.config ?? {};
  const runtimeConfig: Record<string, Record<string, unknown>> = {};
  for (const cli of o.clis) runtimeConfig[cli] = { bin: installed[cli]?.bin, model: TEST_MODELS[cli], ...runtimes?.[cli] };
  for (const [cli, extra] of Object.entries(runtimes ?? {})) runtimeConfig[cli] ??= { ...extra };
  const project = e2eProject({
    config: {
      verify: ["true"],
      retries: { max: 1, base_delay_ms: 50, max_delay_ms: 10_000 },
      ...rest,
      // The task's agents run once: a failed attempt is not followed by an audit-driven second pass.
      defaults: { runtime: primary, timeout: 60, kill_grace_ms: 500, max_iterations: 1, ...defaults },
      runtimes: runtimeConfig,
    },
  });
  t.after(() => project.cleanup());
  for (const [name, spec] of Object.entries(o.agents ?? { "generalist-coder": {} })) writeAgent(project, name, primary, spec);
  project.commitAll("agents");

  const server = await startModelServer({ script: o.script ?? [], cwd: project.dir, ...(o.respond ? { respond: o.respond } : {}) });
  t.after(() => server.close());

  // Each CLI's config files go into the one scratch HOME; their variables are merged.
  let env: Record<string, string> = {};
  for (const cli of o.clis) {
    const launch = await prepare[cli](installed[cli]!, scratch, server, { prompt: "unused", retries: o.cliRetries ?? 0 });
    env = { ...env, ...launch.env };
  }
  if (o.clis.includes("codex")) env = { ...env, ...(await codexKeyIn(scratch, o.codexKeyVariable ?? "OPENAI_API_KEY")) };
  env = { ...env, ...o.env };

  const start = (...args: string[]) => startViable([...args, "-d", project.dir], { env });
  const viable = (...args: string[]) => start(...args).done;
  return {
    project, server, scratch, installed, env, viable, start,
    run: async (task = "Write the file", ...flags) => {
      const result = await viable("run", task, ...(flags.length ? flags : ["--simple"]), "--json");
      return { result, cycle: json<CycleJson>(result) };
    },
    events: () => eventsOf(project.dir),
  };
}

/** Points the kit's codex provider at `variable` for its key, and sets it. */
async function codexKeyIn(scratch: Scratch, variable: string): Promise<Record<string, string>> {
  const file = path.join(scratch.home, ".codex", "config.toml");
  const text = await fs.promises.readFile(file, "utf8");
  await fs.promises.writeFile(file, text.replace(`env_key = "SCRIPTED_API_KEY"`, `env_key = "${variable}"`));
  return { [variable]: "sk-scripted-openai" };
}

function writeAgent(project: E2EProject, name: string, runtime: AgentCliName, spec: AgentSpec): void {
  const fields: Record<string, string | number | string[]> = { name, description: `test agent ${name}`, runtime, ...spec.fields };
  const yaml = Object.entries(fields)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(", ")}]` : typeof v === "string" ? JSON.stringify(v) : v}`)
    .join("\n");
  project.write(`.viable/agents/${name}.md`, `---\n${yaml}\n---\n${spec.body ?? "You are a careful coding agent."}\n`);
}

/** An executable shell script in a temp dir of its own, e.g. a fake CLI for `runtimes.claude.bin`. */
export function fakeCli(t: TestContext, script: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-fake-cli-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "fake-cli");
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

// ---- reading the log ----------------------------------------------------------------------------

export function ofType(events: Event[], type: string): Event[] {
  return events.filter((e) => e.event_type === type);
}

/** The attempts the log recorded, in order: `agent_invoked` events. */
export function attemptsIn(events: Event[]): { id: string; runtime: string; prompt: string }[] {
  return ofType(events, "agent_invoked").map((e) => ({ id: String(e.data["attempt_id"]), runtime: String(e.data["runtime"]), prompt: String(e.data["prompt"]) }));
}

/** What ended each attempt: `agent_completed` / `agent_error` data. */
export function attemptEnds(events: Event[]): Record<string, unknown>[] {
  return events.filter((e) => e.event_type === "agent_completed" || e.event_type === "agent_error").map((e) => e.data);
}

/** The normalized events the runtime streamed (`agent_event` with an attempt id), of one type. */
export function streamed(events: Event[], type: string): Record<string, unknown>[] {
  return ofType(events, "agent_event").filter((e) => e.data["attempt_id"] !== undefined && e.data["type"] === type).map((e) => e.data);
}

/** Viable's own retry decisions (`agent_event` type retry, not one of the CLI's own retries). */
export function viableRetries(events: Event[]): Record<string, unknown>[] {
  return ofType(events, "agent_event").filter((e) => e.data["attempt_id"] === undefined && e.data["type"] === "retry").map((e) => e.data);
}

/** For assertion messages: the run's output and the log, so a failing test explains itself. */
export function explain(r: CliResult, events: Event[] = []): string {
  const log = events.map((e) => `${e.event_type} ${JSON.stringify(e.data).slice(0, 400)}`);
  return [`exit ${r.code} ${r.signal ?? ""}`, "stdout:", r.stdout.slice(-3000), "stderr:", r.stderr.slice(-3000), "log:", ...log].join("\n");
}

// ---- processes ----------------------------------------------------------------------------------

/** Live (non-zombie) processes whose VIABLE_ATTEMPT_ID starts with `prefix`, read from /proc. */
export function processesMarked(prefix: string): { pid: number; marker: string }[] {
  const found: { pid: number; marker: string }[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const entry = fs.readFileSync(`/proc/${name}/environ`, "utf8").split("\0").find((v) => v.startsWith("VIABLE_ATTEMPT_ID="));
      const marker = entry?.slice("VIABLE_ATTEMPT_ID=".length);
      if (marker?.startsWith(prefix)) found.push({ pid: Number(name), marker });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** The project's warm-pool marker prefix (`warm-<hash>-`), as Viable computes it. */
export function warmPrefix(projectDir: string): string {
  return `${warmMarkerPrefix(projectDir)}-`;
}
