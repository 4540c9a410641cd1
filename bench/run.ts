// `npm run bench`: every benchmark module's exported `main()` in turn, a readable report, and one
// JSON summary line at the end (the last line of output, for tools).
//
//   node_modules/.bin/node bench/run.ts [--only NAME[,NAME...]] [--list]
//
// Each benchmark runs in its own Node process, which imports the module and calls its `main()`:
// plan-scale reports the process's peak RSS, and neither that nor heap, JIT or GC state should
// carry over from the benchmark before it. A module that is not there (yet) is skipped, not failed.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** Adding a benchmark: one line here; its module exports `main(): Promise<result>` and prints its report. */
const BENCHMARKS: readonly { name: string; file: string }[] = [
  { name: "cycle-overhead", file: "cycle-overhead.ts" },
  { name: "state-latency", file: "state-latency.ts" },
  { name: "plan-scale", file: "plan-scale.ts" },
  { name: "plan-loop", file: "plan-loop.ts" },
  { name: "warm-pool", file: "warm-pool.ts" },
  { name: "loop-claude", file: "loop-claude.ts" },
  { name: "merge-conflicts", file: "merge-conflicts.ts" },
  { name: "serve-stream", file: "serve-stream.ts" },
  { name: "distributed", file: "distributed.ts" },
];

/** Far above any benchmark's expected run time on a loaded two-CPU machine; only there so a hung benchmark cannot hang the run. */
const BENCH_TIMEOUT_MS = 900_000;

type Outcome =
  | { status: "ok"; ms: number; result: unknown }
  | { status: "skipped"; ms: number; reason: string }
  | { status: "failed"; ms: number; error: string };

const here = import.meta.dirname;

async function runChild(name: string, resultFile: string): Promise<void> {
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (!bench) throw new Error(`unknown benchmark ${name}`);
  const mod = (await import(pathToFileURL(path.join(here, bench.file)).href)) as { main?: unknown };
  if (typeof mod.main !== "function") {
    fs.writeFileSync(resultFile, JSON.stringify({ skipped: `${bench.file} does not export main()` }));
    return;
  }
  const result: unknown = await (mod.main as () => Promise<unknown>)();
  fs.writeFileSync(resultFile, JSON.stringify({ result }));
}

async function runOne(bench: { name: string; file: string }, tmp: string): Promise<Outcome> {
  const start = performance.now();
  const elapsed = () => Math.round(performance.now() - start);
  if (!fs.existsSync(path.join(here, bench.file))) return { status: "skipped", ms: 0, reason: `bench/${bench.file} does not exist` };
  const resultFile = path.join(tmp, `${bench.name}.json`);
  const { code, signal, timedOut } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve, reject) => {
    // Its own process group: a benchmark stopped for taking too long takes its children (a spawn
    // pool, a model server, agent CLIs) with it.
    const child = spawn(process.execPath, [import.meta.filename, "--child", bench.name, "--result-file", resultFile], { stdio: "inherit", detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, BENCH_TIMEOUT_MS);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (c, s) => {
      clearTimeout(timer);
      resolve({ code: c, signal: s, timedOut });
    });
  });
  if (timedOut) return { status: "failed", ms: elapsed(), error: `timed out after ${BENCH_TIMEOUT_MS / 1000} s` };
  if (code !== 0) return { status: "failed", ms: elapsed(), error: signal ? `killed by ${signal}` : `exited ${code} (its error is above)` };
  const written = JSON.parse(fs.readFileSync(resultFile, "utf8")) as { result?: unknown; skipped?: string };
  if (written.skipped !== undefined) return { status: "skipped", ms: elapsed(), reason: written.skipped };
  return { status: "ok", ms: elapsed(), result: written.result };
}

function selected(only: string[] | undefined): { name: string; file: string }[] {
  if (!only || only.length === 0) return [...BENCHMARKS];
  const names = only.flatMap((o) => o.split(",")).map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    process.exit(2);
  }
  return BENCHMARKS.filter((b) => names.includes(b.name));
}

const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

async function runAll(only: string[] | undefined): Promise<number> {
  const benches = selected(only);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "viable-bench-results-"));
  const startLoad = load();
  console.log(`Viable benchmarks — node ${process.version}, ${os.availableParallelism()} CPUs, load average ${startLoad.join(" ")}`);
  console.log("Figures are medians and p90s over rounds; ratios compare with references measured in the same rounds.\n");
  const start = performance.now();
  const outcomes: Record<string, Outcome> = {};
  try {
    for (const bench of benches) {
      console.log(`── ${bench.name} ${"─".repeat(Math.max(0, 60 - bench.name.length))}`);
      const outcome = await runOne(bench, tmp);
      outcomes[bench.name] = outcome;
      const what = outcome.status === "ok" ? "done" : outcome.status === "skipped" ? `skipped: ${outcome.reason}` : `FAILED: ${outcome.error}`;
      console.log(`   (${bench.name}: ${what}, ${(outcome.ms / 1000).toFixed(1)} s)\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const totalMs = Math.round(performance.now() - start);
  const failed = Object.entries(outcomes).filter(([, o]) => o.status === "failed").map(([n]) => n);
  console.log(`${Object.keys(outcomes).length} benchmark(s) in ${(totalMs / 1000).toFixed(1)} s${failed.length ? `; FAILED: ${failed.join(", ")}` : ""}; load average now ${load().join(" ")}`);
  console.log(JSON.stringify({
    summary: "viable-bench", node: process.version, cpus: os.availableParallelism(), loadavg: { start: startLoad, end: load() }, totalMs, results: outcomes,
  }));
  return failed.length > 0 ? 1 : 0;
}

const { values } = parseArgs({
  options: {
    only: { type: "string", multiple: true },
    list: { type: "boolean" },
    child: { type: "string" },
    "result-file": { type: "string" },
  },
});
if (values.list) {
  for (const b of BENCHMARKS) console.log(`${b.name}${fs.existsSync(path.join(here, b.file)) ? "" : " (missing)"}`);
} else if (values.child !== undefined) {
  if (values["result-file"] === undefined) throw new Error("--child needs --result-file");
  await runChild(values.child, values["result-file"]);
} else {
  process.exitCode = await runAll(values.only);
}
