// A shadow pair with the real CLIs: claude works five items, codex shadows it (front matter
// `shadow: codex`). The scripted server answers each by its worktree; codex gets two items wrong.
// `viable shadow report` gives the numbers the pairs hold, and nothing of codex's reaches main.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Step } from "../support/model-server/script.ts";
import { text, writeFile } from "../support/model-server/script.ts";
import { parseRun } from "../loop/support.ts";
import { explain, runtimeWorld, TEST_TIMEOUT } from "./world.ts";

const IDS = ["a", "b", "c", "d", "e"];

/** Each agent's turns by its worktree: the item's own (`a`) or its shadow's (`a-shadow-…`). */
function byWorkspace(): (turn: { cwd: string | undefined }) => Step {
  const seen = new Map<string, number>();
  return ({ cwd }) => {
    const slug = /\/worktrees\/([^/]+)/.exec(cwd ?? "")?.[1] ?? "";
    const id = slug.split("-")[0]!;
    const shadow = /-shadow-/.test(slug);
    const key = `${id}${shadow ? "-shadow" : ""}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    // Codex writes the wrong answer for d and e.
    const content = shadow && (id === "d" || id === "e") ? "wrong\n" : "ok\n";
    return n === 0 ? writeFile(`${id}.txt`, content) : text(`${key} done.`);
  };
}

void test("claude shadowed by codex on five items: the report's agreement, pass rates and cost and time ratios are the pairs' own; main holds claude's work only", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": { fields: { shadow: "codex" } } },
    config: { prices: { "gpt-5.5": { input: 1.25, output: 10 } } },
    respond: byWorkspace(),
  });
  const features = IDS.map((id) => ({ id, name: `Item ${id}`, description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: [`test "$(cat ${id}.txt)" = ok`] }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const run = parseRun(await w.viable("loop", "--json", "--concurrency", "2"));
  assert.equal(run.code, 0, explain(run, await w.events()));
  const pairs = run.of("item_shadow_compared");
  assert.deepEqual(pairs.map((x) => [x.item, x.primary.runtime, x.primary.passed, x.shadow.runtime, x.shadow.passed]).sort(), IDS.map((id) => [id, "claude", true, "codex", id !== "d" && id !== "e"]));
  for (const id of IDS) assert.equal(w.project.git("show", `main:${id}.txt`), "ok\n");

  const report = JSON.parse((await w.viable("shadow", "report", "--json")).stdout) as {
    pairs: number; groups: { primary: string; shadow: string; agreement_rate: number; primary_pass_rate: number; shadow_pass_rate: number; cost_usd: { primary: number; shadow: number; ratio: number }; seconds: { primary: number; shadow: number; ratio: number } }[];
  };
  assert.equal(report.pairs, 5);
  const [g] = report.groups;
  assert.deepEqual([g?.primary, g?.shadow, g?.agreement_rate, g?.primary_pass_rate, g?.shadow_pass_rate], ["generalist-coder on claude (claude-sonnet-4-5)", "generalist-coder on codex (gpt-5.5)", 0.6, 1, 0.6]);
  // The ratios are the sums of the pairs' own measures.
  const sum = (f: (x: (typeof pairs)[number]) => number) => pairs.reduce((s, x) => s + f(x), 0);
  assert.ok(Math.abs(g!.cost_usd.primary - sum((x) => x.primary.cost_usd)) < 1e-6 && g!.cost_usd.primary > 0);
  assert.ok(Math.abs(g!.cost_usd.ratio - sum((x) => x.shadow.cost_usd) / sum((x) => x.primary.cost_usd)) < 0.001);
  assert.ok(Math.abs(g!.seconds.ratio - sum((x) => x.shadow.duration_s) / sum((x) => x.primary.duration_s)) < 0.01);
  t.diagnostic((await w.viable("shadow", "report")).stdout);
});
