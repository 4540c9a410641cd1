// Viable's own cost per VSM cycle, with agents and audit that do nothing: every agent is a command
// agent running `true` and the S3* audit runs `verify: ["true"]`, in a throwaway git project.
//
// - library: `runCycle` on one open Store, as `viable run` does (N cycles in one process).
//   Reference, in the same rounds: spawning `sh -c true` once per agent and verify command of the
//   cycle — the irreducible process cost of what the cycle runs.
// - CLI: `node bin/viable.js run` per cycle. Reference, in the same rounds: `node bin/viable.js
//   --version` (startup and module loading) plus the same `sh -c true` spawns.
//
// Rounds alternate which of the pair goes first, so drift in machine load hits both alike. The
// breakdown comes from the journal's timestamps (millisecond resolution).
//
//   node_modules/.bin/node bench/cycle-overhead.ts [--cycles N] [--cli-cycles N]

import { parseArgs } from "node:util";
import { openProject, runTask, type LogEntry, type VSMCycleResult } from "../src/index.ts";
import {
  fmtRatio, fmtStats, makeBenchProject, ratio, round, stats, statsOf, timeGit, timeShTrue, timeViable, type Ratio, type Stats,
} from "./support.ts";

export interface CycleOverheadOptions {
  /** Library cycles measured (after warm-up). Default 30. */
  cycles?: number;
  /** CLI runs measured (after warm-up). Default 15. */
  cliCycles?: number;
  /** Print the report. Default true. */
  print?: boolean;
}

/** S3 (keywords) and S4 (its own estimate) agree on "medium" for this text: no S3/S4 conflicts pile up. */
const TASK = "Add a greeting function";
const WARMUP_LIBRARY = 3;
const WARMUP_CLI = 1;

const LIBRARY_PHASES = ["task record", "S4 scan", "S3+S2 plan", "S1 agents", "S3* audit", "finish"] as const;
type LibraryPhase = (typeof LIBRARY_PHASES)[number];
const CLI_PHASES = ["startup→task_started", "S4 scan", "S3+S2 plan", "S1 agents", "S3* audit", "finish", "task_completed→exit"] as const;
type CliPhase = (typeof CLI_PHASES)[number];

export interface CycleOverheadResult {
  bench: "cycle-overhead";
  task: string;
  /** Agent spawns + verify spawns per cycle: the number of `sh -c true` in the reference. */
  spawnsPerCycle: number;
  library: {
    msPerCycle: Stats;
    /** `sh -c true` × spawnsPerCycle. */
    referenceMs: Stats;
    ratio: Ratio;
    /** Median of (cycle − reference) per round. */
    overheadMs: number;
    phasesMs: Record<LibraryPhase, Stats>;
    /** One `git rev-parse` per round: the unit cost of the git commands inside S4 and S3*. */
    gitMs: Stats;
  };
  cli: {
    msPerRun: Stats;
    versionMs: Stats;
    /** `viable --version` + `sh -c true` × spawnsPerCycle. */
    referenceMs: Stats;
    ratio: Ratio;
    overheadMs: number;
    phasesMs: Record<CliPhase, Stats>;
  };
}

export async function main(options: CycleOverheadOptions = {}): Promise<CycleOverheadResult> {
  const cycles = options.cycles ?? 30;
  const cliCycles = options.cliCycles ?? 15;
  const print = options.print ?? true;
  const say = (line: string) => print && console.log(line);
  const project = makeBenchProject({ verify: ["true"], agentCommand: "true" });
  try {
    say(`cycle-overhead: no-op command agents, verify ["true"], task "${TASK}"`);
    const { spawnsPerCycle, result: library } = await measureLibrary(project.dir, cycles);
    say(`  library (runCycle, one open Store), ${spawnsPerCycle} spawns per cycle:`);
    say(`    cycle          ${fmtStats(library.msPerCycle)}`);
    say(`    reference      ${fmtStats(library.referenceMs)}   (sh -c true × ${spawnsPerCycle})`);
    say(`    ratio          ${fmtRatio(library.ratio)}; overhead ≈ ${library.overheadMs} ms per cycle`);
    say(`    breakdown      ${LIBRARY_PHASES.map((p) => `${p} ${library.phasesMs[p].median}`).join(", ")} (medians, ms)`);
    say(`                   for scale: one sh -c true ${round(library.referenceMs.median / spawnsPerCycle)} ms, one git rev-parse ${library.gitMs.median} ms`);

    const cli = await measureCli(project.dir, cliCycles, spawnsPerCycle);
    say(`  CLI (node bin/viable.js run ... --json):`);
    say(`    run            ${fmtStats(cli.msPerRun)}`);
    say(`    --version      ${fmtStats(cli.versionMs)}`);
    say(`    reference      ${fmtStats(cli.referenceMs)}   (--version + sh -c true × ${spawnsPerCycle})`);
    say(`    ratio          ${fmtRatio(cli.ratio)}; overhead ≈ ${cli.overheadMs} ms per run`);
    say(`    breakdown      ${CLI_PHASES.map((p) => `${p} ${cli.phasesMs[p].median}`).join(", ")} (medians, ms, from log timestamps)`);
    return { bench: "cycle-overhead", task: TASK, spawnsPerCycle, library, cli };
  } finally {
    project.cleanup();
  }
}

async function measureLibrary(dir: string, cycles: number) {
  const ctx = await openProject(dir, { writer: true, command: "bench" });
  try {
    const verifyCount = ctx.config.verify?.length ?? 0;
    const cycle = async () => {
      const startedAt = Date.now();
      const start = performance.now();
      const result = await runTask(ctx, { task: TASK, autoApprove: true, interactive: false, ask: async () => true, signal: new AbortController().signal });
      const end = performance.now();
      const endedAt = Date.now();
      checkCycle(result);
      await ctx.store.journal.flush();
      const events = await ctx.store.queries.events({ taskId: result.task_id });
      return { ms: end - start, phases: libraryPhases(events, startedAt, endedAt), spawns: result.s1_results.length + verifyCount * iterationsOf(result) };
    };

    let spawnsPerCycle = 0;
    for (let i = 0; i < WARMUP_LIBRARY; i++) spawnsPerCycle = (await cycle()).spawns;
    const cycleMs: number[] = [];
    const refMs: number[] = [];
    const gitMs: number[] = [];
    const phases = Object.fromEntries(LIBRARY_PHASES.map((p) => [p, [] as number[]])) as Record<LibraryPhase, number[]>;
    for (let i = 0; i < cycles; i++) {
      const measureCycle = async () => {
        const c = await cycle();
        if (c.spawns !== spawnsPerCycle) throw new Error(`a cycle ran ${c.spawns} processes, the first ${spawnsPerCycle}: the allocation changed`);
        cycleMs.push(c.ms);
        for (const p of LIBRARY_PHASES) phases[p].push(c.phases[p]);
      };
      if (i % 2 === 0) {
        await measureCycle();
        refMs.push(await timeShTrue(spawnsPerCycle));
      } else {
        refMs.push(await timeShTrue(spawnsPerCycle));
        await measureCycle();
      }
      gitMs.push(await timeGit(dir));
    }
    const result = {
      msPerCycle: stats(cycleMs),
      referenceMs: stats(refMs),
      ratio: ratio(cycleMs, refMs),
      overheadMs: stats(cycleMs.map((c, i) => c - (refMs[i] as number))).median,
      phasesMs: statsOf(phases),
      gitMs: stats(gitMs),
    };
    return { spawnsPerCycle, result };
  } finally {
    await ctx.close();
  }
}

function checkCycle(r: VSMCycleResult): void {
  if (!r.success) throw new Error(`a no-op cycle failed: ${r.summary}`);
  if (r.conflicts.length > 0 || r.adaptations.length > 0) {
    throw new Error(`a no-op cycle raised conflicts or adaptations (${JSON.stringify([r.conflicts, r.adaptations])}): the measurement would drift`);
  }
}

function iterationsOf(r: VSMCycleResult): number {
  return Math.max(1, ...r.s1_results.map((s) => Number(s.metadata.iteration ?? 1)));
}

/** Phase durations of a library cycle, from its events' timestamps. */
function libraryPhases(events: LogEntry[], startedAt: number, endedAt: number): Record<LibraryPhase, number> {
  const p = phasesOf(events);
  return {
    "task record": p.started - startedAt,
    "S4 scan": p.scanned - p.started,
    "S3+S2 plan": p.planned - p.scanned,
    "S1 agents": p.agentsDone - p.planned,
    "S3* audit": p.audited - p.agentsDone,
    finish: endedAt - p.audited,
  };
}

async function measureCli(dir: string, runs: number, spawnsPerCycle: number) {
  const run = () => timeViable(["run", TASK, "-d", dir, "--json"]);
  const reference = async () => {
    const v = await timeViable(["--version"]);
    return { version: v.ms, total: v.ms + (await timeShTrue(spawnsPerCycle)) };
  };
  for (let i = 0; i < WARMUP_CLI; i++) await run();
  const runMs: number[] = [];
  const versionMs: number[] = [];
  const refMs: number[] = [];
  const runs_: { taskId: string; startedAt: number; endedAt: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const measureRun = async () => {
      const r = await run();
      const result = JSON.parse(r.stdout) as VSMCycleResult;
      checkCycle(result);
      runMs.push(r.ms);
      runs_.push({ taskId: result.task_id, startedAt: r.startedAt, endedAt: r.endedAt });
    };
    const measureRef = async () => {
      const ref = await reference();
      versionMs.push(ref.version);
      refMs.push(ref.total);
    };
    if (i % 2 === 0) {
      await measureRun();
      await measureRef();
    } else {
      await measureRef();
      await measureRun();
    }
  }

  const phases = Object.fromEntries(CLI_PHASES.map((p) => [p, [] as number[]])) as Record<CliPhase, number[]>;
  const reader = await openProject(dir, { writer: false, command: "bench" });
  try {
    for (const r of runs_) {
      const p = cliPhases(await reader.store.queries.events({ taskId: r.taskId }), r.startedAt, r.endedAt);
      for (const k of CLI_PHASES) phases[k].push(p[k]);
    }
  } finally {
    await reader.close();
  }
  return {
    msPerRun: stats(runMs),
    versionMs: stats(versionMs),
    referenceMs: stats(refMs),
    ratio: ratio(runMs, refMs),
    overheadMs: stats(runMs.map((m, i) => m - (refMs[i] as number))).median,
    phasesMs: statsOf(phases),
  };
}

/** Phase durations from one task's events, plus process start and exit around them. */
/** When each step's event was recorded (the journal stamps an event when it is handed in). */
function phasesOf(events: LogEntry[]) {
  const first = (type: string) => events.find((e) => e.event_type === type);
  const last = (type: string) => events.findLast((e) => e.event_type === type);
  const at = (e: LogEntry | undefined, what: string) => {
    if (!e) throw new Error(`no ${what} event in the task's log`);
    return Date.parse(e.timestamp);
  };
  return {
    started: at(first("task_started"), "task_started"),
    scanned: at(first("environment_scanned"), "environment_scanned"),
    planned: at(first("coordination_planned"), "coordination_planned"),
    agentsDone: at(last("agent_completed"), "agent_completed"),
    audited: at(last("audit_performed"), "audit_performed"),
    completed: at(first("task_completed"), "task_completed"),
  };
}

function cliPhases(events: LogEntry[], startedAt: number, endedAt: number): Record<CliPhase, number> {
  const p = phasesOf(events);
  return {
    "startup→task_started": p.started - startedAt,
    "S4 scan": p.scanned - p.started,
    "S3+S2 plan": p.planned - p.scanned,
    "S1 agents": p.agentsDone - p.planned,
    "S3* audit": p.audited - p.agentsDone,
    finish: p.completed - p.audited,
    "task_completed→exit": endedAt - p.completed,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { cycles: { type: "string" }, "cli-cycles": { type: "string" } } });
  const result = await main({
    ...(values.cycles === undefined ? {} : { cycles: Number(values.cycles) }),
    ...(values["cli-cycles"] === undefined ? {} : { cliCycles: Number(values["cli-cycles"]) }),
  });
  console.log(JSON.stringify(result));
}
