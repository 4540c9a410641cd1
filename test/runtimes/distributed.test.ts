// The distributed loop end to end, with every fault at least once: a 40-item plan worked by one
// coordinator and three `viable worker` processes, each in a clone of its own ("machines" sharing a
// bare remote and a throwaway Postgres cluster). 39 items are command agents; one is the real
// Claude Code against the scripted model server. During the run a worker is killed with -9 in the
// middle of an attempt, Postgres is restarted, and the coordinator is killed with -9 and started
// again. Every item is merged exactly once, and no process is left on any machine.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { text, writeFile } from "../support/model-server/script.ts";
import { startLoop, type LoopRun } from "../loop/support.ts";
import { waitFor } from "../support/e2e.ts";
import { restartableDatabase } from "../support/postgres.ts";
import { machines, processesUnder } from "../swarm/support.ts";
import { runtimeWorld } from "./world.ts";

void test("40 items, a coordinator and three workers (command agents and the real claude): a worker and the coordinator killed -9 and Postgres restarted mid-run; each item merged once, nothing left running", { timeout: 600_000 }, async (t) => {
  const { cluster, url } = await restartableDatabase(t);
  const world = await runtimeWorld(t, {
    clis: ["claude"],
    script: [writeFile("by-claude.txt", "from claude\n"), text("Wrote by-claude.txt.")],
    config: { verify: [], store: { url }, loop: { concurrency: 6 } },
  });
  const m = machines(t, world.env);
  const p = world.project;
  const sig = (n: string) => `${m.root}/${n}`;
  // Item `slow` blocks on its first try (the worker running it is the one killed); the rest sleep a little.
  const script = `${sig("agent.sh")}`;
  fs.writeFileSync(script, `if [ "$VIABLE_ITEM_ID" = slow ] && [ ! -e '${sig("slow-once")}' ]; then touch '${sig("slow-once")}'; sleep 1000; fi
sleep 0.2; printf '%s\\n' "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"\n`);
  p.agent("code-writer", `sh '${script}'`);
  const features = [
    ...Array.from({ length: 38 }, (_, i) => ({ id: `i${i + 1}`, name: `Item ${i + 1}`, description: `write i${i + 1}.txt`, agent: "code-writer", ...(i >= 30 ? { dependencies: [`i${i - 29}`] } : {}) })),
    { id: "slow", name: "Slow", description: "write slow.txt", agent: "code-writer" },
    { id: "claude", name: "Claude's item", description: "write by-claude.txt", agent: "generalist-coder" },
  ];
  p.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  p.config({ ...JSON.parse(p.read(".viable/config.json")) as object, loop: { concurrency: 6, remote: m.remote } });
  p.commitAll("plan, agents, distributed config");
  p.git("push", "--quiet", m.remote, "main");
  assert.equal((await world.viable("plan", "import", `${p.dir}/feature_list.json`)).code, 0);

  const workers = [m.worker("m1", "--concurrency", "2"), m.worker("m2", "--concurrency", "2"), m.worker("m3", "--concurrency", "2")];
  const passed = (r: ReturnType<typeof startLoop>) => r.events.filter((e) => e.type === "item_passed").length;
  // The coordinator runs no agent: the scrubbed environment is enough for it.
  const first = startLoop(p.dir);

  // 1. A worker killed with -9 while it runs `slow`.
  await waitFor(() => fs.existsSync(sig("slow-once")) && workers.find((w) => w.lines.some((l) => l.startsWith("▶ slow"))), "the slow item on a worker", 60_000);
  const victim = workers.find((w) => w.lines.some((l) => l.startsWith("▶ slow")))!;
  victim.kill("SIGKILL");
  // 2. Postgres restarted mid-run.
  await waitFor(() => passed(first) >= 10, "ten items merged", 60_000);
  await cluster.restart({ downMs: 1500 });
  // 3. The coordinator killed with -9, then a new one.
  await waitFor(() => passed(first) >= 20, "twenty items merged", 90_000);
  first.child.kill("SIGKILL");
  await first.done.catch(() => undefined);
  const second = startLoop(p.dir);
  const run: LoopRun = await second.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));

  const commits = p.git("log", "--format=%s", "main").split("\n").filter((s) => s.startsWith("session: completed "));
  assert.equal(commits.length, 40, commits.join("\n"));
  assert.equal(new Set(commits.map((c) => c.replace(/ \(.*$/, ""))).size, 40, commits.join("\n"));
  assert.equal(p.git("show", "main:by-claude.txt"), "from claude\n");
  assert.equal(p.git("show", "main:slow.txt"), "slow\n");
  assert.equal(p.git("ls-remote", m.remote, "refs/heads/main").split(/\s/)[0], p.git("rev-parse", "main").trim());

  // The killed worker's agent (a `sleep 1000` in its worktree) was reaped by the next process that
  // reconciled on its machine — here the second coordinator, on separate machines the next worker
  // started there (test/swarm/faults.test.ts).
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.done));
  assert.deepEqual(processesUnder(m.root), [], "nothing left running on any worker machine");
  assert.deepEqual(processesUnder(p.dir), [], "nothing left running on the coordinator's");
});
