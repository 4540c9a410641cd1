// The path people use: `viable loop` in worktree mode with a real claude agent against the scripted
// model server on 127.0.0.1 — 20 items at concurrency 2 — against a plain shell script doing the
// same steps per item (`git worktree add`, `claude -p`, the verify command, a commit, `git merge`)
// with `xargs -P 2`, measured in the same rounds. Each item's agent writes one file and answers;
// the model server answers at once, so what is measured is everything around the model.
//
// Reported: each side's makespan, and the per-item time beyond the model's own (makespan ×
// concurrency / items − the server's time per item); the ratio of those, Viable / script, has a
// target of ≤ 1.2. Rounds alternate which side goes first.
//
//   node_modules/.bin/node bench/loop-claude.ts [--items N] [--rounds N]

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { TEST_MODELS } from "../test/support/agent-clis/environments.ts";
import { installAgentCli } from "../test/support/agent-clis/install.ts";
import { createScratch } from "../test/support/agent-clis/scratch.ts";
import { startModelServer, type ModelServer } from "../test/support/model-server/server.ts";
import { text, writeFile } from "../test/support/model-server/script.ts";
import { fmtRatio, fmtStats, NODE, ratio, round, stats, VIABLE_BIN, type Ratio, type Stats } from "./support.ts";

export interface LoopClaudeOptions {
  items?: number;
  /** Measured rounds (one loop and one script run each), after one warm-up round. Default 2. */
  rounds?: number;
  print?: boolean;
}

export interface LoopClaudeResult {
  bench: "loop-claude";
  claudeVersion: string;
  items: number;
  concurrency: number;
  rounds: number;
  loopMs: Stats;
  scriptMs: Stats;
  /** Per item, beyond the model's own time. */
  loopBeyondModelMs: Stats;
  scriptBeyondModelMs: Stats;
  /** The server's time per item (both sides alike). */
  modelMsPerItem: number;
  /** loop / script, per item beyond the model; the target is ≤ 1.2. */
  ratio: Ratio;
}

const CONCURRENCY = 2;

export async function main(options: LoopClaudeOptions = {}): Promise<LoopClaudeResult> {
  const items = options.items ?? 20;
  const rounds = options.rounds ?? 2;
  const print = options.print ?? true;
  const say = (line: string) => print && console.log(line);

  const claude = await installAgentCli("claude");
  const scratch = await createScratch("bench-loop-claude");
  // Each turn is answered from the request: a first call writes the item's file (named after the
  // worktree the CLI announces), the call after the tool's result ends the turn.
  const server = await startModelServer({
    respond: ({ body, cwd }) => JSON.stringify(body).includes('"tool_result"')
      ? text("done")
      : writeFile(`items/${path.basename(cwd ?? "unknown")}.txt`, `${path.basename(cwd ?? "unknown")}\n`),
  });
  const env = {
    PATH: `${path.dirname(NODE)}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: scratch.home, TMPDIR: scratch.tmp, LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: "sk-ant-bench", CLAUDE_CODE_MAX_RETRIES: "0", IS_SANDBOX: "1",
    DISABLE_TELEMETRY: "1", DISABLE_AUTOUPDATER: "1", DISABLE_ERROR_REPORTING: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@viable.invalid", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@viable.invalid", GIT_CONFIG_NOSYSTEM: "1",
  };
  const repo = scratch.repo;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env, encoding: "utf8" });
  fs.mkdirSync(path.join(repo, ".viable", "agents"), { recursive: true });
  fs.writeFileSync(path.join(repo, ".viable", "config.json"), JSON.stringify({
    verify: ["true"],
    defaults: { runtime: "claude", timeout: 120, kill_grace_ms: 500 },
    retries: { max: 0 },
    runtimes: { claude: { bin: claude.bin, model: TEST_MODELS.claude } },
    loop: { concurrency: CONCURRENCY, max_attempts: 1 },
  }, null, 2));
  fs.writeFileSync(path.join(repo, ".viable", "agents", "generalist-coder.md"), "---\nname: generalist-coder\ndescription: writes the item's file\nruntime: claude\n---\nYou do plan items.\n");
  const ids = Array.from({ length: items }, (_, i) => `item${String(i).padStart(2, "0")}`);
  fs.writeFileSync(path.join(repo, "feature_list.json"), JSON.stringify({
    features: ids.map((id) => ({ id, name: `Item ${id}`, description: "write the item's file", agent: "generalist-coder" })),
  }, null, 2));
  // The reference: what one would write by hand for the same steps.
  const itemScript = path.join(scratch.root, "item.sh");
  fs.writeFileSync(itemScript, `set -e
id=$1; dir=${scratch.root}/wt/$id
git -C ${repo} worktree add -q -b ref/$id "$dir" main
cd "$dir"
${claude.bin} -p --output-format stream-json --verbose --model ${TEST_MODELS.claude} --permission-mode bypassPermissions -- "Plan item $id: write the item's file" > /dev/null
true
git add -A && git commit -qm "item $id"
flock ${scratch.root}/merge.lock git -C ${repo} merge -q --no-edit ref/$id
`);
  git("add", "-A");
  git("commit", "-qm", "bench project");
  const base = git("rev-parse", "HEAD").trim();
  const reset = () => {
    fs.rmSync(path.join(repo, ".viable", "state"), { recursive: true, force: true });
    fs.rmSync(path.join(scratch.root, "wt"), { recursive: true, force: true });
    git("worktree", "prune");
    git("reset", "-q", "--hard", base);
    for (const b of git("branch", "--format=%(refname:short)").split("\n").filter((b) => b !== "" && b !== "main")) git("branch", "-q", "-D", b);
    git("clean", "-qfdx", "-e", ".viable");
  };

  const run = async (file: string, args: string[]): Promise<number> => {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, { cwd: repo, env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
      child.once("error", reject);
      child.once("close", (c) => (c === 0 ? resolve() : reject(new Error(`${path.basename(file)} ${args.join(" ")} exited ${c}: ${stderr}`))));
    });
    return performance.now() - start;
  };
  const modelMs = (s: ModelServer, from: number) => s.requests.slice(from).reduce((sum, r) => sum + (r.kind === "turn" ? (r.durationMs ?? 0) : 0), 0);
  /** Items whose file is on main: every one merged. */
  const merged = () => git("ls-tree", "--name-only", "main", "items/").split("\n").filter((l) => l.endsWith(".txt")).length;

  const loopRound = async () => {
    reset();
    execFileSync(NODE, [VIABLE_BIN, "plan", "import", "feature_list.json"], { cwd: repo, env, stdio: "ignore" });
    const from = server.requests.length;
    const ms = await run(NODE, [VIABLE_BIN, "loop", "--concurrency", String(CONCURRENCY)]);
    if (merged() !== items) throw new Error(`viable loop merged ${merged()} of ${items} items`);
    return { ms, model: modelMs(server, from) };
  };
  const scriptRound = async () => {
    reset();
    const from = server.requests.length;
    const ms = await run("sh", ["-c", `printf '%s\\n' ${ids.join(" ")} | xargs -P ${CONCURRENCY} -n 1 sh ${itemScript}`]);
    if (merged() !== items) throw new Error(`the script merged ${merged()} of ${items} items`);
    return { ms, model: modelMs(server, from) };
  };

  try {
    say(`loop-claude: claude ${claude.version}, ${items} items at concurrency ${CONCURRENCY}, worktree mode, scripted model on 127.0.0.1`);
    await loopRound();
    await scriptRound();
    const loopMs: number[] = [];
    const scriptMs: number[] = [];
    const loopBeyond: number[] = [];
    const scriptBeyond: number[] = [];
    const models: number[] = [];
    const perItem = (r: { ms: number; model: number }) => (r.ms * CONCURRENCY) / items - r.model / items;
    for (let i = 0; i < rounds; i++) {
      let l: { ms: number; model: number };
      let s: { ms: number; model: number };
      if (i % 2 === 0) {
        l = await loopRound();
        s = await scriptRound();
      } else {
        s = await scriptRound();
        l = await loopRound();
      }
      loopMs.push(l.ms);
      scriptMs.push(s.ms);
      loopBeyond.push(perItem(l));
      scriptBeyond.push(perItem(s));
      models.push(l.model / items, s.model / items);
    }
    const result: LoopClaudeResult = {
      bench: "loop-claude", claudeVersion: claude.version, items, concurrency: CONCURRENCY, rounds,
      loopMs: stats(loopMs), scriptMs: stats(scriptMs), loopBeyondModelMs: stats(loopBeyond), scriptBeyondModelMs: stats(scriptBeyond),
      modelMsPerItem: round(stats(models).median), ratio: ratio(loopBeyond, scriptBeyond),
    };
    say(`  viable loop    makespan ${fmtStats(result.loopMs)}; per item beyond the model ${fmtStats(result.loopBeyondModelMs)}`);
    say(`  shell script   makespan ${fmtStats(result.scriptMs)}; per item beyond the model ${fmtStats(result.scriptBeyondModelMs)}`);
    say(`  model          ${result.modelMsPerItem} ms per item (the server's own time, both sides)`);
    say(`  loop / script  ${fmtRatio(result.ratio)} per item beyond the model (target ≤ 1.2)`);
    return result;
  } finally {
    await server.close();
    await scratch.remove();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { items: { type: "string" }, rounds: { type: "string" } } });
  await main({
    ...(values.items === undefined ? {} : { items: Number(values.items) }),
    ...(values.rounds === undefined ? {} : { rounds: Number(values.rounds) }),
  });
}
