// The plan loop survives being killed. A 30-item plan with dependencies is worked by real command
// agents that edit files in their worktrees, with verification (each item checks that its
// dependencies' work is there) and merges; Viable is killed with SIGKILL at several points — after
// merges, while an agent works, right after a verification, right after an agent finished — and
// resumed each time. In the end every item has passed and landed exactly once on the integration
// branch, no worktree or item branch is left, and no agent process outlived the loop.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import type { LoopEvent, StreamEvent } from "./support.ts";
import { viable } from "../support/cli.ts";
import { pidsCarrying, waitFor } from "../support/e2e.ts";
import { loopProject, startLoop, type Feature } from "./support.ts";

const N = 30;
const id = (k: number) => `i${String(k).padStart(2, "0")}`;

function features(): Feature[] {
  const list: Feature[] = [];
  for (let k = 0; k < N; k++) {
    const deps = k < 3 ? [] : k % 4 === 0 ? [id(k - 3), id(k - 1)] : [id(k - 3)];
    list.push({
      id: id(k),
      dependencies: deps,
      priority: k % 5,
      // The item's own work, and every dependency's, must be in the worktree it is verified in.
      verify: [id(k), ...deps].map((d) => `test -f items/${d}.txt`),
    });
  }
  return list;
}

async function killAfter(dir: string, until: (events: LoopEvent[], stream: StreamEvent[]) => boolean, what: string) {
  const run = startLoop(dir);
  try {
    await waitFor(() => until(run.events, run.stream) || (run.child.exitCode !== null && run.child.exitCode !== undefined ? "exited" : false), what, 60_000);
  } finally {
    run.child.kill("SIGKILL");
  }
  const r = await run.done;
  return { ...r, events: run.events };
}

void test("a 30-item plan survives SIGKILL at several points and ends with every item merged exactly once", { timeout: 300_000 }, async (t) => {
  const p = loopProject(t, features(), { config: { loop: { concurrency: 3, max_attempts: 3, max_consecutive_failures: 10 } } });
  const gate = p.sig("gate");
  // i20's agent waits at a gate on its first attempt and tells the test where it is (its marker).
  p.script(`set -e
mkdir -p items
if [ "$VIABLE_ITEM_ID" = i20 ] && [ ! -f '${gate}' ]; then
  echo "$VIABLE_ATTEMPT_ID" > '${p.sig("i20-waiting")}'
  while [ ! -f '${gate}' ]; do sleep 0.05; done
fi
echo "$VIABLE_ITEM_ID attempt $VIABLE_ATTEMPT" > "items/$VIABLE_ITEM_ID.txt"
echo "wrote items/$VIABLE_ITEM_ID.txt"
`);
  assert.equal((await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir })).code, 0);
  const passedIn = (events: LoopEvent[]) => events.filter((e) => e.type === "item_passed").length;

  // 1. After a few merges.
  const r1 = await killAfter(p.dir, (ev) => passedIn(ev) >= 4, "4 items to pass");
  assert.equal(r1.signal, "SIGKILL");

  // 2. While an agent works: i20 blocks at its gate; its process outlives the killed Viable.
  const r2 = await killAfter(p.dir, () => fs.existsSync(p.sig("i20-waiting")), "i20's agent to start");
  assert.equal(r2.signal, "SIGKILL");
  const orphanMarker = fs.readFileSync(p.sig("i20-waiting"), "utf8").trim();
  assert.notDeepEqual(pidsCarrying(orphanMarker), [], "the agent outlived the killed loop");

  // 3. Right after an item was verified (it waits for the merge queue). The next start reaps i20's orphan.
  const r3 = await killAfter(p.dir, (ev) => ev.some((e) => e.type === "item_verified"), "an item to be verified");
  assert.equal(r3.signal, "SIGKILL");
  assert.deepEqual(pidsCarrying(orphanMarker), [], "the orphaned agent was reaped when the loop started again");
  assert.ok(r3.events.some((e) => e.type === "loop_reconciled" && e.reaped > 0), JSON.stringify(r3.events.find((e) => e.type === "loop_reconciled")));

  // 4. Right after an agent finished, before its work was verified or merged.
  const r4 = await killAfter(p.dir, (_ev, stream) => stream.some((e) => e.event_type === "agent_completed" && e.data["status"] === "succeeded"), "an agent to finish");
  assert.equal(r4.signal, "SIGKILL");

  // 5. To the end.
  fs.writeFileSync(gate, "");
  const last = startLoop(p.dir);
  const done = await last.done;
  assert.equal(done.code, 0, `${done.stderr}\n${done.stdout.slice(-3000)}`);
  assert.equal(done.of("loop_finished")[0]?.outcome, "all_passed");

  const landed = p.sessionCommits().map((s) => s.slice("session: completed ".length));
  assert.equal(landed.length, N, landed.join(" "));
  assert.equal(new Set(landed).size, N, "no item landed twice");
  assert.deepEqual([...landed].sort(), Array.from({ length: N }, (_, k) => id(k)));
  // Dependencies landed before their dependents.
  for (const f of features()) for (const d of f.dependencies ?? []) assert.ok(landed.indexOf(d) < landed.indexOf(f.id), `${d} before ${f.id}`);
  for (let k = 0; k < N; k++) assert.match(p.read(`items/${id(k)}.txt`), new RegExp(`^${id(k)} attempt \\d\\n$`));

  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { counts: Record<string, number>; items: { id: string; status: string; merged_commit: string | null }[] };
  assert.equal(show.counts.passed, N);
  for (const item of show.items) assert.ok(item.merged_commit && landed.includes(item.id), item.id);
  assert.equal(p.git("worktree", "list").trim().split("\n").length, 1, "no worktree is left");
  assert.equal(p.git("branch", "--list", "viable/*").trim(), "", "no item branch is left");
  assert.equal(p.git("status", "--porcelain").trim(), "", "the main worktree is clean");
  // Every item passed, so every kept branch is an earlier attempt's superseded work: prune lists
  // exactly those (none of them is pruned by the loop itself within the grace period), then deletes them.
  const kept = p.git("for-each-ref", "--format=%(refname:short)", "refs/heads/viable-kept/").split("\n").filter((b) => b !== "").sort();
  const dry = JSON.parse((await viable(["prune", "--dry-run", "--json", "-d", p.dir])).stdout) as { deleted: { name: string }[]; kept: unknown[] };
  assert.deepEqual(dry.deleted.map((b) => b.name).sort(), kept);
  assert.deepEqual(dry.kept, []);
  assert.equal((await viable(["prune", "-d", p.dir])).code, 0);
  assert.equal(p.git("for-each-ref", "refs/heads/viable-kept/").trim(), "");
  const runs = [r1, r2, r3, r4, done].flatMap((r) => r.events.filter((e) => e.type === "loop_started").map((e) => e.run_id));
  assert.equal(runs.length, 5);
  for (const run of runs) assert.deepEqual(pidsWithMarkerPrefix(`${run}-`), [], `no process of ${run} is left`);
});

/** Processes whose attempt marker starts with `prefix` (every attempt of a loop run starts with its id). */
function pidsWithMarkerPrefix(prefix: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`, "utf8").split("\0").some((e) => e.startsWith(`VIABLE_ATTEMPT_ID=${prefix}`))) pids.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}
