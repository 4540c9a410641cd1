// What the claude warm pool saves on short tasks: per-task latency, from the request to the runtime
// to its `finished` event, with `runtimes.claude.warm_pool` (a process started ahead of need takes
// the task) against cold spawns (`claude -p` per task), through the runtime API both ways.
//
// The model is the scripted server on 127.0.0.1 answering every task with one short text, so what
// is measured is the CLI's start-up and Viable's handling, not a model. Warm and cold tasks
// alternate within each round (the order swaps every round, so drift in machine load hits both
// alike), and each task is followed by a pause standing for the verification a real loop runs
// before it dispatches the next task: the pool uses it to start its next process.
//
//   node_modules/.bin/node bench/warm-pool.ts [--rounds N] [--gap-ms MS]

import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { type AttemptOutcome, type RunRequest, type Runtime } from "../src/index.ts";
import { RuntimeResolver } from "../src/agents/runtimes.ts";
import { configSchema } from "../src/config/config.ts";
import { TEST_MODELS } from "../test/support/agent-clis/environments.ts";
import { installAgentCli } from "../test/support/agent-clis/install.ts";
import { createScratch } from "../test/support/agent-clis/scratch.ts";
import { startModelServer } from "../test/support/model-server/server.ts";
import { text } from "../test/support/model-server/script.ts";
import { fmtRatio, fmtStats, ratio, stats, type Ratio, type Stats } from "./support.ts";

export interface WarmPoolOptions {
  /** Measured rounds (one warm and one cold task each), after warm-up. Default 15. */
  rounds?: number;
  /** Pause after each task, standing for verification before the next dispatch. Default 2000 ms. */
  gapMs?: number;
  print?: boolean;
}

export interface WarmPoolResult {
  bench: "warm-pool";
  claudeVersion: string;
  rounds: number;
  gapMs: number;
  warmMs: Stats;
  coldMs: Stats;
  /** warm / cold; the target is ≤ 0.4. */
  ratio: Ratio;
  /** Warm-pool tasks that found a pre-started process (the rest started one on demand). */
  warmHits: number;
}

const WARMUP_ROUNDS = 2;
const TIMEOUT_MS = 60_000;

export async function main(options: WarmPoolOptions = {}): Promise<WarmPoolResult> {
  const rounds = options.rounds ?? 15;
  const gapMs = options.gapMs ?? 2000;
  const print = options.print ?? true;
  const say = (line: string) => print && console.log(line);

  const claude = await installAgentCli("claude");
  const scratch = await createScratch("bench-warm-pool");
  const server = await startModelServer({ cwd: scratch.repo });
  // The runtime builds the CLI's environment from Viable's own through its allowlist: this process
  // is the benchmark's alone (bench/run.ts runs each in a child), so its environment is set here.
  for (const name of Object.keys(process.env)) if (/^(ANTHROPIC_|CLAUDE_)|PROXY/i.test(name)) delete process.env[name];
  Object.assign(process.env, {
    HOME: scratch.home, TMPDIR: scratch.tmp, ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: "sk-ant-bench", CLAUDE_CODE_MAX_RETRIES: "0",
  });
  const claudeSettings = { bin: claude.bin, model: TEST_MODELS.claude };
  const warmRuntimes = new RuntimeResolver(configSchema.parse({ runtimes: { claude: { ...claudeSettings, warm_pool: { size: 1, max_tasks: 1 } } } }), { projectRoot: scratch.repo });
  const coldRuntimes = new RuntimeResolver(configSchema.parse({ runtimes: { claude: claudeSettings } }), { projectRoot: scratch.repo });
  const warm = (name: "claude") => warmRuntimes.get(name);
  const cold = (name: "claude") => coldRuntimes.get(name);
  try {
    say(`warm-pool: claude ${claude.version}, one-turn text tasks, ${gapMs} ms between tasks (verification stand-in)`);
    let n = 0;
    const task = async (runtime: Runtime) => {
      server.enqueue(text("ok"));
      const r = await runTask(runtime, scratch.repo, scratch.tmp, `bench-${++n}`);
      await sleep(gapMs);
      return r;
    };
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      await task(warm("claude"));
      await task(cold("claude"));
    }
    const warmMs: number[] = [];
    const coldMs: number[] = [];
    let warmHits = 0;
    for (let i = 0; i < rounds; i++) {
      const measureWarm = async () => {
        const r = await task(warm("claude"));
        warmMs.push(r.ms);
        if (r.command.includes("warm pool, warm")) warmHits++;
      };
      const measureCold = async () => void coldMs.push((await task(cold("claude"))).ms);
      if (i % 2 === 0) {
        await measureWarm();
        await measureCold();
      } else {
        await measureCold();
        await measureWarm();
      }
    }
    server.assertScriptConsumed();
    const result: WarmPoolResult = {
      bench: "warm-pool", claudeVersion: claude.version, rounds, gapMs,
      warmMs: stats(warmMs), coldMs: stats(coldMs), ratio: ratio(warmMs, coldMs), warmHits,
    };
    say(`  warm pool      ${fmtStats(result.warmMs)}; ${warmHits}/${rounds} on a pre-started process`);
    say(`  cold spawn     ${fmtStats(result.coldMs)}`);
    say(`  warm / cold    ${fmtRatio(result.ratio)} (target ≤ 0.4)`);
    return result;
  } finally {
    await Promise.all([warmRuntimes.close(), coldRuntimes.close()]);
    await server.close();
    await scratch.remove();
  }
}

/** One task, from the request to `finished`; throws unless it succeeded with the scripted answer. */
async function runTask(runtime: Runtime, cwd: string, tmp: string, attemptId: string): Promise<{ ms: number; command: string }> {
  const req: RunRequest = {
    attemptId, prompt: "Reply with ok.", cwd, env: {}, signal: AbortSignal.timeout(TIMEOUT_MS),
    limits: { timeoutMs: TIMEOUT_MS, maxOutputBytes: 1024 * 1024, killGraceMs: 500 },
    transcriptPath: path.join(tmp, `${attemptId}.log`),
  };
  const start = performance.now();
  let outcome: AttemptOutcome | undefined;
  let command = "";
  for await (const ev of runtime.run(req)) {
    if (ev.type === "started") command = ev.command;
    if (ev.type === "finished") outcome = ev.outcome;
  }
  const ms = performance.now() - start;
  fs.rmSync(req.transcriptPath, { force: true });
  if (outcome?.status !== "succeeded" || outcome.summary !== "ok") throw new Error(`task ${attemptId} did not succeed: ${JSON.stringify(outcome)}`);
  return { ms, command };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: "string" }, "gap-ms": { type: "string" } } });
  await main({
    ...(values.rounds !== undefined ? { rounds: Number(values.rounds) } : {}),
    ...(values["gap-ms"] !== undefined ? { gapMs: Number(values["gap-ms"]) } : {}),
  });
}
