// Shared by the benchmarks: sample statistics, timing a child process, and throwaway git projects.
// The machine is shared and noisy, so every figure is a distribution (median, p90) and every
// benchmark compares itself with a reference measured in the same run, round by round.

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..");
export const VIABLE_BIN = path.join(REPO_ROOT, "bin", "viable.js");
/** The Node running the benchmark (Node 24 from devDependencies under npm), for every child too. */
export const NODE = process.execPath;

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/**
 * `measured` against `reference`, both taken in the same rounds: the ratio of the medians, and the
 * median and p90 of the per-round ratios (each round's pair saw the same machine load).
 */
export interface Ratio {
  ofMedians: number;
  perRoundMedian: number;
  perRoundP90: number;
}

export function ratio(measured: readonly number[], reference: readonly number[]): Ratio {
  if (measured.length !== reference.length) throw new Error("ratio: samples must come in pairs, one per round");
  const perRound = measured.map((m, i) => m / (reference[i] as number));
  const s = stats(perRound);
  return { ofMedians: round(stats(measured).median / stats(reference).median, 2), perRoundMedian: round(s.median, 2), perRoundP90: round(s.p90, 2) };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmtStats(s: Stats, unit = "ms"): string {
  return `median ${s.median} ${unit}, p90 ${s.p90} ${unit} (n=${s.n})`;
}

export function fmtRatio(r: Ratio): string {
  return `×${r.ofMedians} (per round: median ×${r.perRoundMedian}, p90 ×${r.perRoundP90})`;
}

/** Every key's samples summarized. */
export function statsOf<K extends string>(samples: Record<K, number[]>): Record<K, Stats> {
  return Object.fromEntries(Object.entries<number[]>(samples).map(([k, v]) => [k, stats(v)])) as Record<K, Stats>;
}

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time (Date.now) when the process was spawned and when it closed. */
  startedAt: number;
  endedAt: number;
}

/** Runs a process to completion and times it from spawn to close (all output read). */
export function timeProcess(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const start = performance.now();
    const child = spawn(file, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? benchEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ ms: performance.now() - start, code, stdout, stderr, startedAt, endedAt: Date.now() }));
  });
}

/** `viable ...` through the published entry point (compiled dist/), failing loudly on an unexpected exit. */
export async function timeViable(args: readonly string[], expectCode = 0): Promise<Timed> {
  const r = await timeProcess(NODE, [VIABLE_BIN, ...args]);
  if (r.code !== expectCode) throw new Error(`viable ${args.join(" ")} exited ${r.code}, expected ${expectCode}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The irreducible cost of one agent or verify command: spawning `sh -c true` and waiting for it. */
export async function timeShTrue(times: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < times; i++) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn("sh", ["-c", "true"], { stdio: "ignore" });
      child.once("error", reject);
      child.once("exit", () => resolve());
    });
  }
  return performance.now() - start;
}

/** The cost of one small git command (Viable runs several per cycle: S4's git state, oscillation). */
export async function timeGit(dir: string): Promise<number> {
  const r = await timeProcess("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir });
  if (r.code !== 0) throw new Error(`git rev-parse failed in ${dir}: ${r.stderr}`);
  return r.ms;
}

/** A small, fixed environment for child processes, as a user's shell would give (no provider keys). */
export function benchEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `${path.dirname(NODE)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: process.env.HOME ?? os.tmpdir(),
    LANG: "C.UTF-8",
    TMPDIR: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Viable Bench", GIT_AUTHOR_EMAIL: "bench@viable.invalid",
    GIT_COMMITTER_NAME: "Viable Bench", GIT_COMMITTER_EMAIL: "bench@viable.invalid",
  };
}

/** Command agents standing in for every built-in name, so any allocation runs offline. */
const BUILTIN_NAMES = ["generalist-coder", "code-writer", "tester", "reviewer", "documenter", "frontend", "backend", "database", "infrastructure"];

export interface BenchProject {
  dir: string;
  cleanup(): void;
}

/**
 * A throwaway git repository with one commit: a README, a small source file, `.viable/config.json`
 * with the given verify commands, and a no-op command agent (`command`) for every built-in name.
 */
export function makeBenchProject(opts: { verify: string[]; agentCommand: string }): BenchProject {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-bench-")));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write("README.md", "# bench project\n");
  write("src/index.js", "export const answer = 42;\n");
  write(".viable/config.json", JSON.stringify({ version: 1, verify: opts.verify, defaults: { runtime: "command", timeout: 60 } }, null, 2));
  for (const name of BUILTIN_NAMES) {
    write(`.viable/agents/${name}.md`, `---\nname: ${name}\ndescription: no-op agent for benchmarks\nruntime: command\ncommand: ${JSON.stringify(opts.agentCommand)}\n---\nDo nothing.\n`);
  }
  const git = (...args: string[]) => execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd: dir, env: benchEnv(), stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "bench project");
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** mulberry32: a small seeded generator, so generated plans are the same DAG on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
