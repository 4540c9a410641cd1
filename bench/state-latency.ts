// Latency of the read-only commands on a project with a long history: `viable state` and
// `viable log --count 20` as CLI processes, on a database holding 100,000 events (2,000 finished
// tasks of 50 events each, with their attempts, analyses and metrics). Reference, in the same
// rounds: `viable --version`, i.e. the same process startup and module loading with no project
// work; `node -e 0` is shown too, for the part of that which is Node itself.
//
// Then the same work in-process, step by step, to show where the time beyond startup goes.
//
//   node_modules/.bin/node bench/state-latency.ts [--events N] [--rounds N]

import { parseArgs } from "node:util";
import { collectState, openProject } from "../src/index.ts";
import { populateHistory } from "./project-history.ts";
import { fmtRatio, fmtStats, makeBenchProject, NODE, ratio, statsOf, timeGit, timeProcess, timeViable, type Ratio, type Stats } from "./support.ts";

export interface StateLatencyOptions {
  /** Events in the database. Default 100,000. */
  events?: number;
  /** CLI rounds (each runs every command once). Default 20. */
  rounds?: number;
  print?: boolean;
}

const COMMANDS = {
  version: ["--version"],
  state: ["state"],
  log: ["log", "--count", "20"],
} as const;
type Command = keyof typeof COMMANDS;

const STEPS = ["openProject (reader)", "collectState", "log.query last 20", "close", "git rev-parse"] as const;
type Step = (typeof STEPS)[number];

export interface StateLatencyResult {
  bench: "state-latency";
  events: number;
  tasks: number;
  dbMB: number;
  setupMs: number;
  cliMs: Record<Command | "nodeBare", Stats>;
  ratioToVersion: { state: Ratio; log: Ratio };
  inProcessMs: Record<Step, Stats>;
}

export async function main(options: StateLatencyOptions = {}): Promise<StateLatencyResult> {
  const events = options.events ?? 100_000;
  const rounds = options.rounds ?? 20;
  const print = options.print ?? true;
  const say = (line: string) => print && console.log(line);
  const project = makeBenchProject({ verify: ["true"], agentCommand: "true" });
  try {
    const setupStart = performance.now();
    const db = await populateHistory(project.dir, events);
    const setupMs = Math.round(performance.now() - setupStart);
    say(`state-latency: ${db.events} events, ${db.tasks} tasks, ${db.dbMB} MB database (built in ${setupMs} ms)`);

    const dirArgs = ["-d", project.dir];
    const samples: Record<Command | "nodeBare", number[]> = { version: [], state: [], log: [], nodeBare: [] };
    const run = async (c: Command, record = true) => {
      const r = await timeViable(c === "version" ? COMMANDS[c] : [...COMMANDS[c], ...dirArgs]);
      checkOutput(c, r.stdout);
      if (record) samples[c].push(r.ms);
    };
    // Warm-up, not recorded: the page cache, and the first open of a freshly written database.
    for (const c of ["version", "state", "log"] as const) await run(c, false);
    const order: Command[] = ["version", "state", "log"];
    for (let i = 0; i < rounds; i++) {
      // Rotate the order each round so no command always runs right after another.
      for (let k = 0; k < order.length; k++) await run(order[(i + k) % order.length] as Command);
      samples.nodeBare.push((await timeProcess(NODE, ["-e", "0"])).ms);
    }
    const cliMs = statsOf(samples);
    const ratioToVersion = { state: ratio(samples.state, samples.version), log: ratio(samples.log, samples.version) };
    say(`  viable --version       ${fmtStats(cliMs.version)}   (reference; node -e 0: ${fmtStats(cliMs.nodeBare)})`);
    say(`  viable state           ${fmtStats(cliMs.state)}   ratio ${fmtRatio(ratioToVersion.state)}`);
    say(`  viable log --count 20  ${fmtStats(cliMs.log)}   ratio ${fmtRatio(ratioToVersion.log)}`);

    const inProcessMs = await inProcess(project.dir, rounds);
    say(`  in-process steps       ${STEPS.map((s) => `${s} ${inProcessMs[s].median}`).join(", ")} (medians, ms)`);
    return { bench: "state-latency", events: db.events, tasks: db.tasks, dbMB: db.dbMB, setupMs, cliMs, ratioToVersion, inProcessMs };
  } finally {
    project.cleanup();
  }
}

function checkOutput(c: Command, stdout: string): void {
  const ok = c === "version" ? /^\d+\.\d+\.\d+/.test(stdout)
    : c === "state" ? stdout.includes("VSM State") && stdout.includes("Current Task:")
      : stdout.trimEnd().split("\n").length === 20;
  if (!ok) throw new Error(`unexpected output of viable ${c}:\n${stdout.slice(0, 2000)}`);
}

/** The CLI's read path in this process, step by step (warm: modules loaded, JIT done). */
async function inProcess(dir: string, rounds: number): Promise<Record<Step, Stats>> {
  const samples = Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>;
  for (let i = 0; i < rounds + 2; i++) {
    let t = performance.now();
    const lap = (step: Step) => {
      const now = performance.now();
      if (i >= 2) samples[step].push(now - t);
      t = now;
    };
    const ctx = await openProject(dir, { writer: false, command: "state" });
    lap("openProject (reader)");
    await collectState(ctx);
    lap("collectState");
    await ctx.store.queries.events({ last: 20 });
    lap("log.query last 20");
    await ctx.close();
    lap("close");
    // For scale: openProject runs one git command (resolveProject) besides its own work.
    await timeGit(dir);
    lap("git rev-parse");
  }
  return statsOf(samples);
}


if (import.meta.main) {
  const { values } = parseArgs({ options: { events: { type: "string" }, rounds: { type: "string" } } });
  const result = await main({
    ...(values.events === undefined ? {} : { events: Number(values.events) }),
    ...(values.rounds === undefined ? {} : { rounds: Number(values.rounds) }),
  });
  console.log(JSON.stringify(result));
}
