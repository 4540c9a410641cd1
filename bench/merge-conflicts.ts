// The shared-file plan: every item appends to the same two files (a changelog and a progress log),
// as real agents do, worked by `viable loop` in worktree mode at concurrency 3 — once without an
// integrator (a conflict sends the item back for a new attempt on a fresh base) and once with one
// (a command agent that keeps both sides of each conflict, resolving it in the merge queue), in the
// same run, alternating which goes first. Reported for each: items passed, item agent attempts
// spent, merge races lost, conflicts resolved and integrator attempts, and the makespan.
//
//   node_modules/.bin/node bench/merge-conflicts.ts [--items N] [--rounds N]

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { NODE, round, VIABLE_BIN } from "./support.ts";

export interface MergeConflictsOptions {
  items?: number;
  rounds?: number;
  print?: boolean;
}

interface Side {
  passed: number;
  itemAttempts: number;
  racesLost: number;
  resolved: number;
  integratorAttempts: number;
  ms: number;
}

export interface MergeConflictsResult {
  bench: "merge-conflicts";
  items: number;
  concurrency: number;
  rounds: number;
  without: Side;
  with: Side;
}

const CONCURRENCY = 3;

function project(items: number, integrator: boolean): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-bench-conflicts-")));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@viable.invalid", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  fs.mkdirSync(path.join(dir, ".viable", "agents"), { recursive: true });
  const agent = (name: string, command: string) =>
    fs.writeFileSync(path.join(dir, ".viable", "agents", `${name}.md`), `---\nname: ${name}\ndescription: bench agent\nruntime: command\ncommand: ${JSON.stringify(command)}\n---\nWork.\n`);
  agent("code-writer", `echo "- $VIABLE_ITEM_ID" >> CHANGELOG.md; echo "$VIABLE_ITEM_ID done" >> progress.log`);
  // Keeps both sides: drops the conflict markers of each conflicted file.
  agent("integrator", `for f in $VIABLE_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' "$f"; done`);
  fs.writeFileSync(path.join(dir, ".viable", "config.json"), JSON.stringify({
    verify: [], loop: { concurrency: CONCURRENCY, max_consecutive_failures: 1000, ...(integrator ? { integrator: "integrator" } : {}) },
  }));
  fs.writeFileSync(path.join(dir, "CHANGELOG.md"), "# Changes\n");
  fs.writeFileSync(path.join(dir, "progress.log"), "");
  const features = Array.from({ length: items }, (_, k) => ({ id: `i${k}`, name: `Item ${k}`, description: "append this item's line to the changelog and the progress log", agent: "code-writer" }));
  fs.writeFileSync(path.join(dir, "feature_list.json"), JSON.stringify({ features }, null, 2));
  git("add", "-A");
  git("commit", "-qm", "plan");
  return dir;
}

function viable(dir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [VIABLE_BIN, ...args, "-d", dir], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.once("error", reject);
    // The loop exits 1 when some item ended blocked: that is a result here, not an error.
    child.once("exit", (code) => (code === 0 || code === 1 ? resolve(out) : reject(new Error(`viable ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

async function side(items: number, integrator: boolean): Promise<Side> {
  const dir = project(items, integrator);
  try {
    await viable(dir, "plan", "import", "feature_list.json");
    const start = performance.now();
    const out = await viable(dir, "loop", "--json");
    const ms = performance.now() - start;
    const events = out.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { event_type: string; agent: string | null; data: Record<string, unknown> });
    const of = (type: string) => events.filter((e) => e.event_type === type);
    return {
      passed: of("item_passed").length,
      itemAttempts: of("agent_invoked").filter((e) => e.agent === "s1-code-writer").length,
      racesLost: of("item_failed").filter((e) => Array.isArray(e.data.conflict)).length,
      resolved: of("item_conflict_resolved").length,
      integratorAttempts: of("agent_invoked").filter((e) => e.agent === "s1-integrator").length,
      ms,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function summary(sides: Side[]): Side {
  const pick = (f: (s: Side) => number) => round(median(sides.map(f)), 1);
  return { passed: pick((s) => s.passed), itemAttempts: pick((s) => s.itemAttempts), racesLost: pick((s) => s.racesLost), resolved: pick((s) => s.resolved), integratorAttempts: pick((s) => s.integratorAttempts), ms: Math.round(median(sides.map((s) => s.ms))) };
}

export async function main(options: MergeConflictsOptions = {}): Promise<MergeConflictsResult> {
  const items = options.items ?? 12;
  const rounds = options.rounds ?? 2;
  const print = options.print ?? true;
  const without: Side[] = [];
  const withIt: Side[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so a load change does not always favour the same side.
    for (const integrator of r % 2 === 0 ? [false, true] : [true, false]) (integrator ? withIt : without).push(await side(items, integrator));
  }
  const result: MergeConflictsResult = { bench: "merge-conflicts", items, concurrency: CONCURRENCY, rounds, without: summary(without), with: summary(withIt) };
  if (print) {
    const line = (name: string, s: Side) =>
      `  ${name.padEnd(18)} ${s.passed}/${items} passed · ${s.itemAttempts} item agent attempts · ${s.racesLost} races lost · ${s.resolved} conflicts resolved by ${s.integratorAttempts} integrator attempts · ${s.ms} ms`;
    console.log(`merge-conflicts: ${items} items all appending to one changelog and one log, concurrency ${CONCURRENCY}, worktree mode; medians of ${rounds} round(s)`);
    console.log(line("without integrator", result.without));
    console.log(line("with integrator", result.with));
    console.log(`  item agent attempts with / without ×${round(result.with.itemAttempts / Math.max(1, result.without.itemAttempts), 2)}`);
    console.log(JSON.stringify(result));
  }
  return result;
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { items: { type: "string" }, rounds: { type: "string" } } });
  const opts: MergeConflictsOptions = {};
  if (values.items !== undefined) opts.items = Number(values.items);
  if (values.rounds !== undefined) opts.rounds = Number(values.rounds);
  await main(opts);
}
