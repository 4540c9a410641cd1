// End-to-end scaffolding over the real CLI: a throwaway project whose agents are shell commands the
// test steers through files in a separate signals directory (outside the project, so the agents'
// bookkeeping never shows up as a change in the tree), readers for `viable state/log`, seeding of
// the viability metrics, and bounded polling for facts (a file appearing, a process leaving /proc).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LogEntry } from "../../src/domain/events.ts";
import { initialMetrics, type Adaptation, type AdaptationType, type ViabilityMetrics } from "../../src/domain/viability.ts";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { pidsCarrying } from "../process/helpers.ts";
import { json, viable, type CliResult } from "./cli.ts";
import { makeProject, type TestProject } from "./project.ts";

export { pidsCarrying };

/** Short limits keep the suite fast; the logic under test is the same at any scale. */
export const FAST_DEFAULTS = { runtime: "command", timeout: 10, kill_grace_ms: 200, verify_timeout: 10 } as const;

export interface E2EProject extends TestProject {
  /** A directory outside the project where agents leave facts for the test. */
  signals: string;
  /** A path in the signals directory. */
  sig(name: string): string;
  /** Runs `viable <command> <args> -d <project>`. */
  viable(command: string, ...args: string[]): Promise<CliResult>;
}

export interface E2EOptions {
  /** `.viable/config.json`; `defaults` is merged over FAST_DEFAULTS. Default: verify with `true`. */
  config?: Record<string, unknown>;
  files?: Record<string, string>;
}

export function e2eProject(opts: E2EOptions = {}): E2EProject {
  const p = makeProject(opts.files ?? {});
  const signals = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-signals-")));
  const { defaults, ...rest } = (opts.config ?? { verify: ["true"] }) as { defaults?: Record<string, unknown> };
  p.config({ ...rest, defaults: { ...FAST_DEFAULTS, ...defaults } });
  const cleanup = p.cleanup.bind(p);
  return Object.assign(p, {
    signals,
    sig: (name: string) => path.join(signals, name),
    viable: (command: string, ...args: string[]) => viable([command, ...args, "-d", p.dir]),
    cleanup: () => {
      cleanup();
      fs.rmSync(signals, { recursive: true, force: true });
    },
  });
}

/**
 * An agent that records `<shell pid> <background pid> <setsid'd pid> <attempt marker>` in `file`
 * (written whole, by rename) and then blocks until it is stopped. One child stays in the agent's
 * process group; the other escapes it with setsid, as tools sometimes do.
 */
export function blockingAgent(file: string): string {
  return `sleep 1000 & a=$!; setsid sleep 1000 & b=$!; echo "$$ $a $b $VIABLE_ATTEMPT_ID" > '${file}.tmp' && mv '${file}.tmp' '${file}'; wait`;
}

export interface BlockedAgent {
  pids: number[];
  marker: string;
}

/** Waits for a blockingAgent's file and checks that its processes really run and carry the marker. */
export async function blockedAgent(file: string): Promise<BlockedAgent> {
  const text = await waitFor(() => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined), `agent file ${file}`);
  const [shell, child, escaped, marker] = text.trim().split(" ");
  const pids = [shell, child, escaped].map(Number);
  if (!marker || pids.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`unexpected agent file: ${text}`);
  const carrying = pidsCarrying(marker);
  for (const pid of pids) {
    if (!carrying.includes(pid)) throw new Error(`agent process ${pid} is not running with marker ${marker} (found ${carrying.join(", ")})`);
  }
  return { pids, marker };
}

/** Polls `probe` every 20 ms until it returns something other than undefined/false (bounded: a minute by default, which a passing test never waits out). */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export interface StateJson {
  current_task: { id: string; description: string; status: string; complexity: string; assigned_agents: string[]; failure_reason: string | null } | null;
  viability_metrics: ViabilityMetrics;
  agent_registry: { agents: Record<string, { status: string }> };
  s3_allocation: Record<string, unknown> | null;
  s4_environment: Record<string, unknown> | null;
  tasks: Record<string, number>;
  kill_switch: { engaged: boolean; reason: string } | null;
  health: string[];
}

export async function stateOf(dir: string): Promise<StateJson> {
  const r = await viable(["state", "--json", "-d", dir]);
  if (r.code !== 0) throw new Error(`viable state failed (${r.code}): ${r.stderr}`);
  return json<StateJson>(r);
}

export type Event = Omit<LogEntry, "id">;

/** The whole execution log, oldest first (`viable log --jsonl`), optionally one task's. */
export async function eventsOf(dir: string, taskId?: string): Promise<Event[]> {
  const r = await viable(["log", "--jsonl", "-d", dir, ...(taskId ? ["--task", taskId] : [])]);
  if (r.code !== 0) throw new Error(`viable log failed (${r.code}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Event);
}

export function ofType(events: Event[], type: string): Event[] {
  return events.filter((e) => e.event_type === type);
}

/** Writes the project's metrics the way a run would, so the next run's adaptations act on them. */
export async function seedMetrics(dir: string, patch: Partial<ViabilityMetrics>): Promise<void> {
  const store = await openStore(projectPaths(dir), { writer: true, command: "test" });
  try {
    await store.journal.commit({ changes: [{ type: "metrics_saved", metrics: { ...initialMetrics(), ...patch } }] });
  } finally {
    await store.close();
  }
}

export function adaptation(type: AdaptationType, parameters: Adaptation["parameters"] = {}): Adaptation {
  return { type, trigger: "seeded by the test", effect: "seeded by the test", applied_at: "2026-01-01T00:00:00.000Z", parameters };
}

/** The VSMCycleResult `viable run --json` prints. */
export interface CycleJson {
  task_id: string;
  success: boolean;
  summary: string;
  agents_invoked: string[];
  audit_passed: boolean | null;
  conflicts: Record<string, unknown>[];
  adaptations: Record<string, unknown>[];
  s1_results: { agent: string; success: boolean; output: string; error: string | null; metadata: Record<string, unknown> }[];
}
