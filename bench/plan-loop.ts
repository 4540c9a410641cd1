// The plan loop's own cost, against running the same commands without it.
//
// (a) Throughput: 10,000 no-op items (command agent `true`, workspace mode `none`, concurrency 2)
//     on a layered random DAG, every transition durably committed, against a bare Node spawn pool
//     running the same commands in topological order, and against GNU `make -j2` on the same DAG.
//     Target: ≤ 1.15× the bare pool through `sh -c` (output ignored). Also reported, like for like
//     with how the loop's command runtime starts a plain command: the pool executing it directly,
//     and the pool doing so the way the runtime must — in its own process group, the prompt on a
//     stdin pipe, stdout and stderr read from pipes until they close.
// (b) Scheduling: a weighted chain+fan DAG — a chain of 200 items of 50 ms plus 9,800 independent
//     items of 10 ms — at concurrency 8: the makespan against the lower bound
//     max(critical path, total work / 8), and against `make -j8`. Targets: ≤ 1.10× the bound and
//     ≥ 1.4× faster than make.
//
// Each figure is measured in this run, on this machine; references run right after the loop, so
// they see the same load. Rounds alternate the order.
//
//   node_modules/.bin/node bench/plan-loop.ts [--items N] [--chain N] [--fan N] [--rounds N] [--only a|b]

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AgentRegistry } from "../src/agents/registry.ts";
import { createCommandRuntime, loopCommandStrategy } from "../src/agents/runtimes/command-runtime.ts";
import { loadConfig } from "../src/config/config.ts";
import { runPlanLoop, type PlanLoopResult } from "../src/engine/plan/plan-loop.ts";
import { importPlan } from "../src/plan/import/import-plan.ts";
import { replacePlan } from "../src/store/plan-store.ts";
import { Store } from "../src/store/store.ts";
import { projectPaths } from "../src/workspace/paths.ts";
import { prng } from "./support.ts";

export interface PlanLoopBenchOptions {
  items?: number;
  chain?: number;
  fan?: number;
  rounds?: number;
  only?: "a" | "b";
  print?: boolean;
}

interface Job {
  id: string;
  deps: string[];
  command: string;
  agent: string;
}


/** A layered random DAG: 50 layers, each item depending on up to 3 items of the layers just before. */
export function layeredDag(n: number, seed = 4): Job[] {
  const random = prng(seed);
  const layers = 50;
  const perLayer = Math.ceil(n / layers);
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const deps = new Set<string>();
    if (layer > 0) {
      const count = Math.floor(random() * 4);
      for (let k = 0; k < count; k++) {
        const from = Math.max(0, layer - 2) + Math.floor(random() * Math.min(2, layer));
        const j = Math.min(i - 1, from * perLayer + Math.floor(random() * perLayer));
        deps.add(`n${j}`);
      }
    }
    jobs.push({ id: `n${i}`, deps: [...deps], command: "true", agent: "noop" });
  }
  return jobs;
}

/** A chain of `chain` 50 ms items and `fan` independent 10 ms items (the chain listed last, as a plan might). */
function chainAndFan(chain: number, fan: number): Job[] {
  const jobs: Job[] = [];
  for (let i = 0; i < fan; i++) jobs.push({ id: `f${i}`, deps: [], command: "sleep 0.01", agent: "fan" });
  for (let i = 0; i < chain; i++) jobs.push({ id: `c${i}`, deps: i === 0 ? [] : [`c${i - 1}`], command: "sleep 0.05", agent: "chain" });
  return jobs;
}

/** A throwaway project holding the plan, with one command agent per distinct command. */
export function project(jobs: Job[], concurrency: number): { dir: string; paths: ReturnType<typeof projectPaths> } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-bench-loop-")));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@viable.invalid", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  fs.mkdirSync(path.join(dir, ".viable", "agents"), { recursive: true });
  const agents = new Map(jobs.map((j) => [j.agent, j.command]));
  for (const [name, command] of agents) {
    fs.writeFileSync(path.join(dir, ".viable", "agents", `${name}.md`), `---\nname: ${name}\ndescription: bench agent\nruntime: command\ncommand: ${JSON.stringify(command)}\n---\nRun.\n`);
  }
  fs.writeFileSync(path.join(dir, ".viable", "config.json"), JSON.stringify({
    verify: [], workspace: { mode: "none" }, loop: { concurrency, max_sessions: 10_000_000, max_attempts: 1, max_consecutive_failures: 1_000_000 },
  }));
  const features = jobs.map((j) => ({ id: j.id, name: j.id, description: "benchmark item that runs one command", agent: j.agent, dependencies: j.deps }));
  fs.writeFileSync(path.join(dir, "feature_list.json"), JSON.stringify({ features }));
  git("add", "-A");
  git("commit", "-qm", "bench");
  return { dir, paths: projectPaths(dir) };
}

/** Imports the plan afresh (every item pending) and works it; returns the loop's own figures. */
export async function runLoop(dir: string, concurrency: number): Promise<PlanLoopResult & { ms: number }> {
  const paths = projectPaths(dir);
  fs.rmSync(paths.stateDir, { recursive: true, force: true });
  const store = Store.open(paths, { writer: true, command: "bench" });
  try {
    const text = fs.readFileSync(path.join(dir, "feature_list.json"), "utf8");
    const plan = importPlan(text, "feature_list.json").plan;
    store.atomically(() => replacePlan(store.db, plan, null, store.timestamp()));
    const config = loadConfig(paths.configFile);
    const commandRuntime = createCommandRuntime(loopCommandStrategy());
    const start = performance.now();
    const result = await runPlanLoop(
      { store, config, registry: AgentRegistry.load(paths, "command"), commandRuntime, runtimeFor: () => commandRuntime },
      { allowDirty: true, concurrency, signal: new AbortController().signal },
    );
    const ms = performance.now() - start;
    await commandRuntime.close();
    if (result.outcome !== "all_passed") throw new Error(`the loop did not pass every item: ${result.outcome}: ${result.message}`);
    return { ...result, ms };
  } finally {
    store.close();
  }
}

// A bare Node spawn pool, as anyone would write one: its own small process, the commands given on
// stdin (one per line, in topological order), `concurrency` at a time, waiting for each to exit.
const BARE_POOL = `
const { spawn } = require("node:child_process");
const [concurrency, mode] = [Number(process.argv[1]), process.argv[2]];
let input = "";
process.stdin.setEncoding("utf8").on("data", (d) => (input += d)).on("end", async () => {
  const commands = input.split("\\n").filter((l) => l !== "");
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < commands.length) {
      const command = commands[next++];
      const words = command.split(" ");
      await new Promise((resolve, reject) => {
        if (mode === "capture") {
          const child = spawn(words[0], words.slice(1), { stdio: "pipe", detached: true });
          let code;
          child.once("error", reject);
          child.stdin.on("error", () => {});
          child.stdin.end("Task: " + command + "\\n");
          child.stdout.setEncoding("utf8").on("data", () => {});
          child.stderr.setEncoding("utf8").on("data", () => {});
          child.once("exit", (c) => (code = c));
          child.once("close", () => (code === 0 ? resolve() : reject(new Error(command + " exited " + code))));
          return;
        }
        const child = mode === "direct" ? spawn(words[0], words.slice(1), { stdio: "ignore" }) : spawn("/bin/sh", ["-c", command], { stdio: "ignore" });
        child.once("error", reject);
        child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(command + " exited " + code))));
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write(String(performance.now() - start));
});
`;

/**
 * The reference: the same commands in topological order, `concurrency` at a time, in a process of
 * its own — through `sh -c` (what a runner taking shell commands does); or, like for like with the
 * loop's command runtime for plain commands, executed directly ("direct"), and executed directly
 * with what the runtime needs of each process: its own group, stdin and output pipes ("capture").
 */
async function barePool(jobs: Job[], concurrency: number, mode: "sh" | "direct" | "capture" = "sh"): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", BARE_POOL, String(concurrency), mode], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`the bare pool exited ${code}`))));
    child.stdin.end(jobs.map((j) => j.command).join("\n") + "\n");
  });
}

/** GNU make on the same DAG, every item a phony target. */
async function make(jobs: Job[], concurrency: number, dir: string): Promise<number> {
  const file = path.join(dir, "bench.mk");
  const lines = [`.PHONY: all ${jobs.map((j) => j.id).join(" ")}`, `all: ${jobs.map((j) => j.id).join(" ")}`];
  for (const j of jobs) lines.push(`${j.id}:${j.deps.length ? ` ${j.deps.join(" ")}` : ""}\n\t@${j.command}`);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn("make", ["-s", "-f", file, `-j${concurrency}`, "all"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`make exited ${code}`))));
  });
  return performance.now() - start;
}

function topological(jobs: Job[]): Job[] {
  // Generated in dependency order already (every dependency has a lower index); checked, not assumed.
  const seen = new Set<string>();
  for (const j of jobs) {
    for (const d of j.deps) if (!seen.has(d)) throw new Error(`${j.id} before its dependency ${d}`);
    seen.add(j.id);
  }
  return jobs;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;
const r0 = (x: number) => Math.round(x);

export interface PlanLoopBenchResult {
  bench: "plan-loop";
  throughput?: {
    items: number; concurrency: number; rounds: number;
    loopMs: number; barePoolMs: number; directPoolMs: number; capturePoolMs: number; makeMs: number;
    loopPerItemMs: number; barePoolPerItemMs: number;
    ratioToBarePool: number; ratioToDirectPool: number; ratioToCapturePool: number; ratioToMake: number;
    commits: number; ops: number;
    target: { ratioToBarePool: number; met: boolean };
  };
  scheduling?: {
    chain: number; fan: number; concurrency: number;
    loopMs: number; makeMs: number; boundMs: number; criticalPathMs: number; workPerSlotMs: number;
    /** A bare spawn pool over the same commands, dependencies ignored: what the processes alone cost on this machine. */
    spawnFloorMs: number;
    ratioToBound: number; speedupOverMake: number;
    target: { ratioToBound: number; speedupOverMake: number; met: boolean };
  };
}

export async function main(options: PlanLoopBenchOptions = {}): Promise<PlanLoopBenchResult> {
  const print = options.print ?? true;
  const say = (s: string) => print && console.log(s);
  const rounds = options.rounds ?? 1;
  const result: PlanLoopBenchResult = { bench: "plan-loop" };

  if (options.only !== "b") {
    const n = options.items ?? 10_000;
    const jobs = topological(layeredDag(n));
    const p = project(jobs, 2);
    try {
      const loop: number[] = [];
      const bare: number[] = [];
      const direct: number[] = [];
      const capture: number[] = [];
      const mk: number[] = [];
      let commits = 0;
      let ops = 0;
      for (let r = 0; r < rounds; r++) {
        // Alternate which runs first, so a load change does not always favour the same side.
        const order = r % 2 === 0 ? ["loop", "bare", "direct", "capture", "make"] : ["make", "capture", "direct", "bare", "loop"];
        for (const which of order) {
          if (which === "loop") {
            const res = await runLoop(p.dir, 2);
            loop.push(res.ms);
            commits = res.commits.commits;
            ops = res.commits.ops;
          } else if (which === "bare") bare.push(await barePool(jobs, 2));
          else if (which === "direct") direct.push(await barePool(jobs, 2, "direct"));
          else if (which === "capture") capture.push(await barePool(jobs, 2, "capture"));
          else mk.push(await make(jobs, 2, p.dir));
        }
      }
      const t = {
        items: n, concurrency: 2, rounds,
        loopMs: r0(median(loop)), barePoolMs: r0(median(bare)), directPoolMs: r0(median(direct)), capturePoolMs: r0(median(capture)), makeMs: r0(median(mk)),
        loopPerItemMs: r2(median(loop) / n), barePoolPerItemMs: r2(median(bare) / n),
        ratioToBarePool: r2(median(loop) / median(bare)), ratioToDirectPool: r2(median(loop) / median(direct)),
        ratioToCapturePool: r2(median(loop) / median(capture)), ratioToMake: r2(median(loop) / median(mk)),
        commits, ops,
        target: { ratioToBarePool: 1.15, met: median(loop) / median(bare) <= 1.15 },
      };
      result.throughput = t;
      say(`(a) ${n} no-op items, concurrency 2, layered DAG, every transition committed (${ops} writes in ${commits} commits):`);
      say(`    loop ${t.loopMs} ms (${t.loopPerItemMs} ms/item) · bare spawn pool, sh -c ${t.barePoolMs} ms (${t.barePoolPerItemMs} ms/item) · bare pool, direct exec ${t.directPoolMs} ms · bare pool, direct exec with own group and pipes ${t.capturePoolMs} ms · make -j2 ${t.makeMs} ms`);
      say(`    loop / bare pool (sh -c) ×${t.ratioToBarePool} (target ≤ ×1.15: ${t.target.met ? "met" : "MISSED"}) · loop / bare pool (direct) ×${t.ratioToDirectPool} · loop / bare pool (direct, group and pipes: like for like) ×${t.ratioToCapturePool} · loop / make ×${t.ratioToMake}`);
    } finally {
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
  }

  if (options.only !== "a") {
    const chain = options.chain ?? 200;
    const fan = options.fan ?? 9800;
    const concurrency = 8;
    const jobs = chainAndFan(chain, fan);
    const p = project(jobs, concurrency);
    try {
      const loop: number[] = [];
      const mk: number[] = [];
      const floor: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ["loop", "make", "floor"] : ["floor", "make", "loop"];
        for (const which of order) {
          if (which === "loop") loop.push((await runLoop(p.dir, concurrency)).ms);
          else if (which === "make") mk.push(await make(jobs, concurrency, p.dir));
          // Not a valid schedule (the chain runs out of order): what spawning these processes costs here at all.
          else floor.push(await barePool(jobs, concurrency));
        }
      }
      const criticalPathMs = chain * 50;
      const workPerSlotMs = (chain * 50 + fan * 10) / concurrency;
      const boundMs = Math.max(criticalPathMs, workPerSlotMs);
      const s = {
        chain, fan, concurrency,
        loopMs: r0(median(loop)), makeMs: r0(median(mk)), spawnFloorMs: r0(median(floor)), boundMs: r0(boundMs), criticalPathMs, workPerSlotMs: r0(workPerSlotMs),
        ratioToBound: r2(median(loop) / boundMs), speedupOverMake: r2(median(mk) / median(loop)),
        target: { ratioToBound: 1.1, speedupOverMake: 1.4, met: median(loop) / boundMs <= 1.1 && median(mk) / median(loop) >= 1.4 },
      };
      result.scheduling = s;
      say(`(b) chain of ${chain} × 50 ms + ${fan} independent × 10 ms, concurrency ${concurrency}:`);
      say(`    loop ${s.loopMs} ms · bound ${s.boundMs} ms (critical path ${criticalPathMs} ms, work/${concurrency} ${s.workPerSlotMs} ms) · make -j${concurrency} ${s.makeMs} ms`);
      say(`    spawn floor (bare pool, same commands, dependencies ignored) ${s.spawnFloorMs} ms = ×${r2(s.spawnFloorMs / boundMs)} the bound`);
      say(`    loop / bound ×${s.ratioToBound} (target ≤ ×1.10) · make / loop ×${s.speedupOverMake} (target ≥ ×1.4): ${s.target.met ? "met" : "MISSED"}`);
    } finally {
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
  }
  if (print) console.log(JSON.stringify(result));
  return result;
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: { items: { type: "string" }, chain: { type: "string" }, fan: { type: "string" }, rounds: { type: "string" }, only: { type: "string" } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const opts: PlanLoopBenchOptions = {};
  if (values.items !== undefined) opts.items = num(values.items)!;
  if (values.chain !== undefined) opts.chain = num(values.chain)!;
  if (values.fan !== undefined) opts.fan = num(values.fan)!;
  if (values.rounds !== undefined) opts.rounds = num(values.rounds)!;
  if (values.only === "a" || values.only === "b") opts.only = values.only;
  await main(opts);
}
