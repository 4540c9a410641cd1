// P7: the distributed loop. 200 items of a 1-second command agent, worked by `viable worker`
// processes (each in a clone of its own, as on separate machines) for one coordinator (`viable
// loop` with a Postgres store and loop.remote), all in this run:
//
// (a) throughput: 4 workers against 1 worker (one attempt at a time each). Target ≥ 3.2×.
// (b) per-item overhead of the distributed path (queue, worktree from the remote, push, fetch,
//     merge) against the local loop on the same plan (worktrees, one at a time): seconds per item
//     beyond the agent's 1 s.
// (c) Postgres statements per item, over every connection (pg_stat_statements on a throwaway
//     cluster started for the benchmark): the round trips the journal, the queries and pg-boss
//     cost together.
//
// This machine has 2 cores shared by the coordinator, every worker and Postgres; the agents sleep,
// but git, Node and Postgres do not, so the 4-worker figure is a floor for 4 real machines.
//
//   node_modules/.bin/node bench/distributed.ts [--items N] [--seconds S]

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startCluster, type Cluster } from "../test/support/postgres.ts";
import { benchEnv, round, VIABLE_BIN, NODE } from "./support.ts";

interface Machines {
  root: string;
  coordinator: string;
  remote: string;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd, env: benchEnv(), encoding: "utf8" });
}

/** The plan's project, pushed to a bare remote; `url` null: the local loop on SQLite. */
function setUp(items: number, seconds: number, url: string | null): Machines {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-bench-p7-")));
  const coordinator = path.join(root, "coordinator");
  const remote = path.join(root, "remote.git");
  fs.mkdirSync(path.join(coordinator, ".viable", "agents"), { recursive: true });
  const write = (rel: string, text: string) => fs.writeFileSync(path.join(coordinator, rel), text);
  write(".viable/agents/sleeper.md", `---\nname: sleeper\ndescription: bench agent\nruntime: command\ncommand: ${JSON.stringify(`sleep ${seconds}; echo "$VIABLE_ITEM_ID" > "out-$VIABLE_ITEM_ID.txt"`)}\ntimeout: 120\n---\nWork.\n`);
  write(".viable/config.json", JSON.stringify({
    verify: [], defaults: { runtime: "command", timeout: 120, kill_grace_ms: 500 },
    loop: { concurrency: 4, max_sessions: 100_000, ...(url ? { remote } : {}) }, ...(url ? { store: { url } } : {}),
  }));
  write("feature_list.json", JSON.stringify({ features: Array.from({ length: items }, (_, i) => ({ id: `p${i}`, name: `p${i}`, description: "benchmark item that sleeps and writes a file", agent: "sleeper" })) }));
  write("README.md", "# bench\n");
  git(coordinator, "init", "-q", "-b", "main");
  git(coordinator, "add", "-A");
  git(coordinator, "commit", "-qm", "bench");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
  git(coordinator, "push", "-q", remote, "main");
  return { root, coordinator, remote };
}

function viable(args: string[], cwd?: string): ChildProcess {
  return spawn(NODE, [VIABLE_BIN, ...args], { env: benchEnv(), stdio: ["ignore", "ignore", "pipe"], ...(cwd ? { cwd } : {}) });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

async function loop(m: Machines, extra: string[] = []): Promise<number> {
  const imported = await exited(viable(["plan", "import", path.join(m.coordinator, "feature_list.json"), "-d", m.coordinator]));
  if (imported.code !== 0) throw new Error(`plan import failed: ${imported.stderr}`);
  const start = performance.now();
  const r = await exited(viable(["loop", "-d", m.coordinator, ...extra]));
  const ms = performance.now() - start;
  if (r.code !== 0) throw new Error(`the loop failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return ms;
}

/** The machine's CPU time, busy and in all, summed over its cores (ms). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

async function distributed(cluster: Cluster, db: string, items: number, seconds: number, workers: number): Promise<{ ms: number; statements: number; busy: number }> {
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = cluster.url(db);
  const m = setUp(items, seconds, url);
  const procs: ChildProcess[] = [];
  try {
    for (let w = 0; w < workers; w++) {
      const dir = path.join(m.root, `machine-${w + 1}`);
      execFileSync("git", ["clone", "-q", m.remote, dir]);
      procs.push(viable(["worker", "-d", dir, "--concurrency", "1"]));
    }
    const stats = new pg.Client({ connectionString: url });
    await stats.connect();
    await stats.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await stats.query("SELECT pg_stat_statements_reset()");
    const cpu0 = cpuTimes();
    const ms = await loop(m);
    const cpu1 = cpuTimes();
    const calls = Number((await stats.query<{ n: string }>("SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1", [db])).rows[0]!.n);
    await stats.end();
    return { ms, statements: calls, busy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total) };
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => exited(p)));
    fs.rmSync(m.root, { recursive: true, force: true });
  }
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args: argv, options: { items: { type: "string", default: "200" }, seconds: { type: "string", default: "1" } } });
  const items = Number(values.items);
  const seconds = Number(values.seconds);
  const cluster = await startCluster(["shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"]);
  try {
    console.log(`P7 distributed loop: ${items} items of a ${seconds}-second command agent`);
    const local = setUp(items, seconds, null);
    const localMs = await loop(local, ["--concurrency", "1"]).finally(() => fs.rmSync(local.root, { recursive: true, force: true }));
    const one = await distributed(cluster, "bench_one", items, seconds, 1);
    const four = await distributed(cluster, "bench_four", items, seconds, 4);
    const throughput = one.ms / four.ms;
    const perItem = (ms: number, parallel: number) => (ms / 1000 / items) * parallel - seconds;
    const result = {
      items, agent_seconds: seconds,
      local_loop_s: round(localMs / 1000), one_worker_s: round(one.ms / 1000), four_workers_s: round(four.ms / 1000),
      throughput_4_vs_1: round(throughput, 2), target_throughput: 3.2,
      overhead_per_item_local_s: round(perItem(localMs, 1), 3), overhead_per_item_distributed_s: round(perItem(one.ms, 1), 3),
      statements_per_item_one_worker: round(one.statements / items, 1), statements_per_item_four_workers: round(four.statements / items, 1),
      cpu_busy_one_worker: round(one.busy * 100), cpu_busy_four_workers: round(four.busy * 100), cores: os.cpus().length,
    };
    console.log(`  (a) 1 worker ${result.one_worker_s} s, 4 workers ${result.four_workers_s} s: ${result.throughput_4_vs_1}× the throughput (target ≥ 3.2×)`);
    console.log(`      this machine's ${result.cores} cores were ${result.cpu_busy_one_worker}% busy with 1 worker, ${result.cpu_busy_four_workers}% with 4 (coordinator, workers, git and Postgres share them)`);
    console.log(`  (b) overhead per item beyond the agent's ${seconds} s: local loop ${result.overhead_per_item_local_s} s, distributed ${result.overhead_per_item_distributed_s} s (one at a time each)`);
    console.log(`  (c) Postgres statements per item: ${result.statements_per_item_one_worker} with 1 worker, ${result.statements_per_item_four_workers} with 4`);
    return result;
  } finally {
    cluster.stop();
  }
}

if (import.meta.filename === process.argv[1]) {
  await main(process.argv.slice(2));
}
