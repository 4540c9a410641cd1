// Plan-loop scaffolding over the real CLI: a committed project with a feature_list.json and one
// command agent whose behaviour is a shell script the test writes into the signals directory (so
// the script and the agents' notes never show up as changes in the project), `viable loop --json`
// with its NDJSON events parsed, and readers for what landed on the integration branch.

import fs from "node:fs";
import path from "node:path";
import type { LoopEventData, LoopEventType } from "../../src/domain/loop-events.ts";
import { eachLine, viable, startViable, type CliResult } from "../support/cli.ts";
import { e2eProject, type E2EProject } from "../support/e2e.ts";

export interface Feature {
  id: string;
  name?: string;
  description?: string;
  dependencies?: string[];
  priority?: number;
  verify?: string[];
  blocked?: boolean;
  passes?: boolean;
  agent?: string;
  complexity?: string;
  tests?: string[];
  best_of?: number;
  candidates?: { agent?: string; runtime?: string; model?: string }[];
}

export interface LoopProject extends E2EProject {
  /** The agent's behaviour: a POSIX shell script run in the item's workspace. */
  script(text: string): void;
  features(list: Feature[]): void;
  /** `viable loop --json` plus `args`; the events it printed. */
  loop(...args: string[]): Promise<LoopRun>;
  /** Subjects of the commits on main that land items, oldest first. */
  sessionCommits(): string[];
}

/** One journal event of `viable loop --json`, as printed. */
export interface StreamEvent {
  seq: number;
  timestamp: string;
  event_type: string;
  task_id: string | null;
  agent: string | null;
  data: Record<string, unknown>;
}

/** The loop's own events, flattened for assertions: `{type, seq, ...data}`. */
export type LoopEvent = { [T in LoopEventType]: { type: T; seq: number } & LoopEventData[T] }[LoopEventType];

const LOOP_TYPES = new Set<string>(["loop_started", "loop_reconciled", "item_started", "item_status", "item_verified", "item_passed", "item_failed", "item_blocked", "item_conflict_resolved", "item_waiting", "item_taken_over", "item_handed_back", "item_answered", "loop_note", "failure_streak", "loop_paused", "loop_resumed", "item_candidate_finished", "item_candidates_evaluated", "item_shadow_compared", "loop_finished"] satisfies LoopEventType[]);

export interface LoopRun extends CliResult {
  /** The loop's own events, in order. */
  events: LoopEvent[];
  /** Every event of the stream, agents' included. */
  stream: StreamEvent[];
  of<T extends LoopEventType>(type: T): Extract<LoopEvent, { type: T }>[];
}

export interface LoopProjectOptions {
  config?: Record<string, unknown>;
  /** Commit the project (agents, config, plan) so the main worktree is clean. Default true. */
  commit?: boolean;
}

/** A one-line description long enough that seed 004 rates the item low (no extra steps). */
export const PLAIN = "a plain item that changes one file in the project tree";

export function loopProject(t: { after: (fn: () => void) => void }, features: Feature[], opts: LoopProjectOptions = {}): LoopProject {
  const p = e2eProject({ config: { verify: [], loop: { concurrency: 2 }, defaults: { kill_grace_ms: 200 }, ...opts.config } });
  const script = p.sig("agent.sh");
  fs.writeFileSync(script, "exit 0\n");
  p.agent("code-writer", `sh '${script}'`);
  const write = (list: Feature[]) => p.write("feature_list.json", JSON.stringify({
    features: list.map((f) => ({ name: `Item ${f.id}`, description: PLAIN, agent: "code-writer", ...f })),
  }, null, 2) + "\n");
  write(features);
  if (opts.commit !== false) p.commitAll("plan and agents");
  t.after(() => p.cleanup());
  return Object.assign(p, {
    script: (text: string) => fs.writeFileSync(script, text),
    features: write,
    loop: async (...args: string[]) => parseRun(await viable(["loop", "--json", "-d", p.dir, ...args])),
    sessionCommits: () => p.git("log", "--reverse", "--format=%s", "main").split("\n").filter((s) => s.startsWith("session: completed ")),
  });
}

export function parseRun(r: CliResult): LoopRun {
  const stream: StreamEvent[] = [];
  for (const line of r.stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      stream.push(JSON.parse(line) as StreamEvent);
    } catch {
      throw new Error(`not NDJSON (exit ${r.code}): ${line}\n--- stderr ---\n${r.stderr}`);
    }
  }
  const events = loopEvents(stream);
  return Object.assign(r, { events, stream, of: <T extends LoopEventType>(type: T) => events.filter((e): e is Extract<LoopEvent, { type: T }> => e.type === type) });
}

export function loopEvents(stream: readonly StreamEvent[]): LoopEvent[] {
  return stream.filter((e) => LOOP_TYPES.has(e.event_type)).map((e) => ({ ...e.data, type: e.event_type, seq: e.seq }) as LoopEvent);
}

/** Starts `viable loop --json` and hands out its events as they arrive. */
export function startLoop(dir: string, ...args: string[]) {
  const run = startViable(["loop", "--json", "-d", dir, ...args]);
  const seen: LoopEvent[] = [];
  const stream: StreamEvent[] = [];
  eachLine(run.child.stdout, (line) => {
    if (line.trim() === "") return;
    const e = JSON.parse(line) as StreamEvent;
    stream.push(e);
    seen.push(...loopEvents([e]));
  });
  return { ...run, events: seen, stream, done: run.done.then(parseRun) };
}

export function importPlan(p: E2EProject, file = "feature_list.json"): Promise<CliResult> {
  return viable(["plan", "import", path.join(p.dir, file), "-d", p.dir]);
}
