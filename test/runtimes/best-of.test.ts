// Best-of-N with the real CLIs: one item, three candidates — claude, codex and gemini — each in its
// own worktree. The scripted server answers each by its working directory: claude writes a one-line
// change, codex a four-line one, gemini one that fails verification. The harness's score chooses
// (or a reviewer agent, through checked JSON); the losers' branches hold their work; first_pass
// stops the others; an item budget that covers two candidates starts two.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Step } from "../support/model-server/script.ts";
import { createStreamHold, text, writeFile } from "../support/model-server/script.ts";
import { parseRun, type Feature, type LoopRun } from "../loop/support.ts";
import { explain, runtimeWorld, TEST_TIMEOUT, type World } from "./world.ts";

const THREE = [{ runtime: "claude" }, { runtime: "codex" }, { runtime: "gemini" }];
const VERIFY = ["test \"$(cat out.txt)\" != broken"];

/** Each agent's turns by the worktree it works in (`a-candidate-2-…`, `b`); the project root's for a reviewer. */
function byWorkspace(turns: Record<string, Step[]>): (turn: { cwd: string | undefined }) => Step {
  const seen = new Map<string, number>();
  return ({ cwd }) => {
    const slug = /\/worktrees\/([^/]+)/.exec(cwd ?? "")?.[1];
    const key = slug === undefined ? "root" : /^a-candidate-(\d+)-/.exec(slug) ? `a${/^a-candidate-(\d+)-/.exec(slug)![1]}` : slug;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const step = turns[key]?.[n];
    if (!step) throw new Error(`no scripted turn ${n + 1} for ${key} (cwd ${cwd ?? "?"})`);
    return step;
  };
}

const CANDIDATE_TURNS: Record<string, Step[]> = {
  a1: [writeFile("out.txt", "one\n"), text("Claude wrote one line.")],
  a2: [writeFile("out.txt", "one\ntwo\nthree\nfour\n"), text("Codex wrote four lines.")],
  a3: [writeFile("out.txt", "broken\n"), text("Gemini wrote something.")],
};

async function plan(w: World, items: Feature[]): Promise<void> {
  const features = items.map((f) => ({ name: `Item ${f.id}`, description: "Write out.txt with a greeting", agent: "generalist-coder", verify: VERIFY, ...f }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
}

const loop = async (w: World): Promise<LoopRun> => parseRun(await w.viable("loop", "--json", "--concurrency", "1"));

void test("best of claude, codex and gemini: gemini fails verification, the score picks claude's smaller change, codex's and gemini's work stay on branches; against a single attempt in the same run", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex", "gemini"],
    // Claude reports its cost; codex and gemini report tokens, priced here as the project would.
    config: { prices: { "gpt-5.5": { input: 1.25, output: 10 }, "gemini-2.5-pro": { input: 1.25, output: 10 } } },
    respond: byWorkspace({ ...CANDIDATE_TURNS, b: [writeFile("b.txt", "single\n"), text("Done alone.")] }),
  });
  await plan(w, [{ id: "a", candidates: THREE }, { id: "b", verify: ["test -f b.txt"] }]);
  const run = await loop(w);
  assert.equal(run.code, 0, explain(run, await w.events()));
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.ok(evaluated, run.stdout);
  assert.deepEqual([evaluated.winner, evaluated.by], [1, "score"]);
  assert.deepEqual(evaluated.results.map((r) => [r.candidate, r.runtime, r.passed, r.diff_lines]), [[1, "claude", true, 1], [2, "codex", true, 4], [3, "gemini", false, 1]], JSON.stringify(evaluated.results));
  assert.equal(w.project.git("show", "main:out.txt"), "one\n");
  assert.equal(w.project.git("show", "viable-kept/a/attempt-1-candidate-2:out.txt"), "one\ntwo\nthree\nfour\n");
  assert.equal(w.project.git("show", "viable-kept/a/attempt-1-candidate-3:out.txt"), "broken\n");
  // What best-of-3 cost against one attempt, in this run (every model priced per million tokens).
  const shown = async (id: string) => (JSON.parse((await w.viable("plan", "show", id, "--json")).stdout) as { item: { cost_usd: number } }).item.cost_usd;
  const elapsed = (id: string) => run.of("item_passed").find((e) => e.item === id)!.elapsed_seconds!;
  const [bestCost, singleCost] = [await shown("a"), await shown("b")];
  assert.ok(bestCost > singleCost && singleCost > 0, `${bestCost} vs ${singleCost}`);
  t.diagnostic(`best-of-3 item: ${elapsed("a")} s, $${bestCost.toFixed(6)} (${evaluated.results.map((r) => `${r.runtime} $${r.cost_usd.toFixed(6)} in ${r.duration_s} s`).join(", ")}); ` +
    `single attempt: ${elapsed("b")} s, $${singleCost.toFixed(6)}; ratio ${(bestCost / singleCost).toFixed(2)}x the cost, ${(elapsed("a") / elapsed("b")).toFixed(2)}x the time`);
  w.server.assertScriptConsumed();
});

void test("a reviewer agent chooses among the finalists with reasons; an answer that is not the JSON asked for is sent back", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex", "gemini"],
    agents: { "generalist-coder": {}, judge: { fields: { description: "reads diffs and chooses" } } },
    config: { loop: { best_of: { reviewer: "judge" } } },
    respond: byWorkspace({
      ...CANDIDATE_TURNS,
      root: [text("I would take the second one."), text('```json\n{"choice": 2, "reasons": "Four lines say more than one."}\n```')],
    }),
  });
  await plan(w, [{ id: "a", candidates: THREE }]);
  const run = await loop(w);
  assert.equal(run.code, 0, explain(run, await w.events()));
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.deepEqual([evaluated?.winner, evaluated?.by, evaluated?.reasons], [2, "reviewer", "Four lines say more than one."]);
  assert.equal(w.project.git("show", "main:out.txt"), "one\ntwo\nthree\nfour\n");
  assert.equal(w.project.git("show", "viable-kept/a/attempt-1-candidate-1:out.txt"), "one\n");
  const reviewerTurns = w.server.turns().map((x) => JSON.stringify(x.body)).filter((b) => b.includes("Choose the one whose change should be merged"));
  assert.equal(reviewerTurns.length, 2, "the reviewer answered twice");
  assert.match(reviewerTurns[1]!, /Your previous answer was refused: /);
});

void test("first_pass: codex passes first and is merged, claude is stopped mid-answer, gemini never finishes either", TEST_TIMEOUT, async (t) => {
  const hold = createStreamHold();
  t.after(() => hold.release());
  const holdGemini = createStreamHold();
  t.after(() => holdGemini.release());
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex", "gemini"],
    config: { loop: { best_of: { policy: "first_pass" } } },
    respond: byWorkspace({
      a1: [{ reply: { text: "Thinking about it", hold } }],
      a2: CANDIDATE_TURNS.a2!,
      a3: [{ reply: { text: "Thinking too", hold: holdGemini } }],
    }),
  });
  await plan(w, [{ id: "a", candidates: THREE }]);
  const run = await loop(w);
  assert.equal(run.code, 0, explain(run, await w.events()));
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.deepEqual([evaluated?.winner, evaluated?.by], [2, "first_pass"]);
  assert.deepEqual(evaluated!.results.map((r) => [r.candidate, r.passed, r.stopped, r.reason]), [[1, false, true, "candidate 2 passed first (first_pass)"], [2, true, false, null], [3, false, true, "candidate 2 passed first (first_pass)"]]);
  assert.equal(w.project.git("show", "main:out.txt"), "one\ntwo\nthree\nfour\n");
});

void test("an item budget that covers two candidates starts only two: the third is skipped with the reason", TEST_TIMEOUT, async (t) => {
  // Each scripted claude attempt costs $0.00021: after the first, what is left covers one more.
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { budgets: { item: { usd: 0.0005 } } },
    respond: byWorkspace({ a1: CANDIDATE_TURNS.a1!, a2: [writeFile("out.txt", "two\n"), text("Done.")] }),
  });
  await plan(w, [{ id: "a", best_of: 3 }]);
  const run = await loop(w);
  assert.equal(run.code, 0, explain(run, await w.events()));
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.deepEqual(evaluated!.results.map((r) => [r.candidate, r.skipped === null]), [[1, true], [2, true], [3, false]]);
  assert.match(evaluated!.results[2]!.skipped ?? "", /the item's budget cannot cover another candidate: \$0\.0002 spent of \$0\.0005, about \$0\.0002 each/);
  assert.equal(run.of("item_candidate_finished").length, 2);
});
