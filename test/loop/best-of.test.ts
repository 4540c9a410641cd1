// Best-of-N with command agents: three candidates of one item, each in its own worktree; the
// harness's evaluator — verification first, then the configured score — picks the one merged, and
// every other candidate's work stays on a branch of its own. `first_pass` merges the first that
// passes and stops the others. The candidates side by side in `viable plan show ITEM`.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { launchBrowser, newPage, screenshot } from "../server/browser.ts";
import { serve } from "../server/support.ts";
import { viable } from "../support/cli.ts";
import { call, stdioClient } from "../support/mcp-client.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { itemBranch, itemWorktreeDir } from "../../src/workspace/worktrees.ts";
import { waitFor } from "../support/e2e.ts";
import { importPlan, loopProject, startLoop } from "./support.ts";

// Candidate 1: a one-line change; 2: four lines and a file the item does not name; 3: fails verification.
const THREE = `case "$VIABLE_CANDIDATE" in
  1) printf 'one\\n' > src/out.txt ;;
  2) printf 'one\\ntwo\\nthree\\nfour\\n' > src/out.txt; printf 'x\\n' > notes.txt ;;
  3) printf 'broken\\n' > src/out.txt ;;
esac
`;
const VERIFY = ["test \"$(cat src/out.txt)\" != broken"];
const ITEM = { id: "a", description: "Write src/out.txt with the greeting", verify: VERIFY, best_of: 3 };

/** The loop over one item with the three candidates above; its evaluation. */
async function bestOfThree(t: TestContext, config?: Record<string, unknown>) {
  const p = loopProject(t, [ITEM], config ? { config } : {});
  p.write("src/.keep", "");
  p.commitAll("src");
  p.script(THREE);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.ok(evaluated, run.stdout);
  return { p, run, evaluated };
}

void test("best of 3: the failing candidate is out, the smaller diff inside the item's scope wins, the others' work is kept on branches", async (t) => {
  const { p, run, evaluated } = await bestOfThree(t);
  assert.equal(evaluated.winner, 1);
  assert.equal(evaluated.by, "score");
  // The default score: -0.01 a line, -1 a file outside what the item names (src/out.txt).
  assert.deepEqual(evaluated.results.map((r) => [r.candidate, r.passed, r.diff_lines, r.files, r.outside_scope, r.score]), [
    [1, true, 1, ["src/out.txt"], [], -0.01],
    [2, true, 5, ["notes.txt", "src/out.txt"], ["notes.txt"], -1.05],
    [3, false, 1, ["src/out.txt"], [], null],
  ]);
  assert.match(evaluated.results[2]!.reason ?? "", /verification failed/);
  assert.equal(p.git("show", "main:src/out.txt"), "one\n");
  // The losers' work, each on its own branch; no candidate worktree is left.
  assert.equal(p.git("show", "viable-kept/a/attempt-1-candidate-2:src/out.txt"), "one\ntwo\nthree\nfour\n");
  assert.equal(p.git("show", "viable-kept/a/attempt-1-candidate-3:src/out.txt"), "broken\n");
  assert.deepEqual(p.git("worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree ")).length, 1);
  assert.deepEqual(run.of("item_candidate_finished").map((e) => e.candidate).sort(), [1, 2, 3]);

  const shown = await viable(["plan", "show", "a", "-d", p.dir]);
  assert.equal(shown.code, 0, shown.stderr);
  t.diagnostic(shown.stdout);
  assert.match(shown.stdout, /candidates of attempt 1 \(best\): candidate 1 chosen by score — candidate 1 has the best score, -0\.01/);
  assert.match(shown.stdout, /1\*\s+code-writer\s+command\s+-\s+yes\s+-0\.01\s+0\/0\s+1\s+1\s+0\s+\$0\.0000\s+\S+s\s+merged/);
  assert.match(shown.stdout, /2\s+code-writer\s+command\s+-\s+yes\s+-1\.05\s+0\/0\s+5\s+2\s+1\s+\$0\.0000\s+\S+s\s+viable-kept\/a\/attempt-1-candidate-2/);
  assert.match(shown.stdout, /3: verification failed/);

  // The same through MCP's item tool.
  const client = await stdioClient(t, p.dir);
  const viaMcp = (await call(client, "item", { id: "a" })).value as { candidates: { winner: number; by: string; results: { candidate: number; passed: boolean; branch: string | null }[] }[] };
  assert.deepEqual([viaMcp.candidates[0]?.winner, viaMcp.candidates[0]?.by], [1, "score"]);
  // The winner's own branch (merged), the others' kept branches.
  assert.deepEqual(viaMcp.candidates[0]!.results.map((r) => [r.candidate, r.passed, r.branch?.replace(/-[0-9a-f]{6}$/, "")]), [[1, true, "viable/a-candidate-1"], [2, true, "viable-kept/a/attempt-1-candidate-2"], [3, false, "viable-kept/a/attempt-1-candidate-3"]]);

  // The same, side by side in the dashboard's item page (Chromium).
  const s = await serve(t, [p.dir]);
  const browser = await launchBrowser(t);
  const problems: string[] = [];
  const page = await newPage(browser, problems);
  await page.goto(s.loginUrl);
  await page.goto(`${s.url}#/p/${s.projects[0]!.id}/items/a?tab=candidates`);
  const winner = page.getByTestId("candidate-1-1");
  await winner.waitFor({ timeout: 30_000 });
  assert.match(await winner.innerText(), /1 ★\s+code-writer\s+command\s+-\s+✓\s+Passed\s+-0\.01\s+0\/0\s+1\s+1\s+0\s+\$0\S*\s+\S+\s+merged/);
  assert.match(await page.getByTestId("candidate-1-3").innerText(), /Failed[\s\S]*viable-kept\/a\/attempt-1-candidate-3/);
  assert.match(await page.getByTestId("candidates-1").innerText(), /candidate 1 chosen by score/);
  await screenshot(page, "item-candidates");
  assert.deepEqual(problems, []);
});

void test("the score is the user's: weights that favour more lines and a scoring check choose the bigger change", async (t) => {
  const { p, evaluated } = await bestOfThree(t, { loop: { concurrency: 2, best_of: { checks: ["test -f notes.txt"], score: { diff_lines: 0.01, outside_scope: 0 } } } });
  assert.equal(evaluated.winner, 2, JSON.stringify(evaluated));
  assert.deepEqual(evaluated.results.slice(0, 2).map((r) => [r.checks_passed, r.checks_total, r.score]), [[0, 1, 0.01], [1, 1, 10.05]]);
  assert.equal(p.git("show", "main:notes.txt"), "x\n");
});

void test("first_pass: the first candidate to pass is merged and the others are stopped, their work kept", async (t) => {
  const p = loopProject(t, [{ ...ITEM, best_of: 2 }], { config: { loop: { concurrency: 2, best_of: { policy: "first_pass" } } } });
  p.write("src/.keep", "");
  p.commitAll("src");
  const never = p.sig("never");
  // Candidate 1 starts its change, then works until it is stopped; candidate 2 passes at once.
  p.script(`case "$VIABLE_CANDIDATE" in
  1) printf 'slow\\n' > src/out.txt; while [ ! -f '${never}' ]; do sleep 0.05; done ;;
  2) printf 'fast\\n' > src/out.txt ;;
esac
`);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const [evaluated] = run.of("item_candidates_evaluated");
  assert.equal(evaluated?.winner, 2);
  assert.equal(evaluated.by, "first_pass");
  assert.deepEqual([evaluated.results[0]!.stopped, evaluated.results[0]!.reason], [true, "candidate 2 passed first (first_pass)"]);
  assert.equal(p.git("show", "main:src/out.txt"), "fast\n");
  assert.equal(p.git("show", "viable-kept/a/attempt-1-candidate-1:src/out.txt"), "slow\n");
});

void test("kill -9 while the candidates work: the next loop keeps what they had done on branches and runs them again; no worktree is left", async (t) => {
  const p = loopProject(t, [{ ...ITEM, best_of: 2 }]);
  p.write("src/.keep", "");
  p.commitAll("src");
  const second = p.sig("second-run");
  // First run: each candidate writes a draft, says so, then works until killed. Second run: done at once.
  p.script(`if [ -f '${second}' ]; then printf 'final %s\\n' "$VIABLE_CANDIDATE" > src/out.txt; exit 0; fi
printf 'draft %s\\n' "$VIABLE_CANDIDATE" > src/out.txt; touch '${p.sig("drafted-")}'"$VIABLE_CANDIDATE"; while :; do sleep 0.05; done
`);
  assert.equal((await importPlan(p)).code, 0);
  const first = startLoop(p.dir);
  await waitFor(() => fs.existsSync(p.sig("drafted-1")) && fs.existsSync(p.sig("drafted-2")), "both candidates drafted", 30_000);
  first.child.kill("SIGKILL");
  await first.done;
  fs.writeFileSync(second, "");
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.equal(run.of("item_candidates_evaluated")[0]?.winner, 1);
  assert.equal(p.git("show", "main:src/out.txt"), "final 1\n");
  // The killed run's drafts, kept; the second run's loser too; nothing else left behind.
  const kept = p.git("branch", "--list", "viable-kept/*").split("\n").map((b) => b.trim()).filter(Boolean);
  const drafts = kept.map((b) => p.git("show", `${b}:src/out.txt`)).sort();
  assert.deepEqual(drafts, ["draft 1\n", "draft 2\n", "final 2\n"], kept.join(", "));
  assert.equal(p.git("worktree", "list").split("\n").filter(Boolean).length, 1, p.git("worktree", "list"));
});

void test("a passed item's leftover candidate and shadow worktrees (a run stopped after its merge) are cleared by the next loop: the candidate's work kept, the shadow's dropped", async (t) => {
  const p = loopProject(t, [{ id: "a", description: "Write src/out.txt with the greeting", verify: VERIFY }]);
  p.write("src/.keep", "");
  p.commitAll("src");
  p.script(`printf 'one\\n' > src/out.txt\n`);
  assert.equal((await importPlan(p)).code, 0);
  assert.equal((await p.loop()).code, 0);
  // What a run killed right after the merge would leave: a candidate's and a shadow's worktree with work.
  const paths = projectPaths(p.dir);
  for (const [id, text] of [["a@candidate-2", "candidate\n"], ["a@shadow-1", "shadow\n"]] as const) {
    const dir = itemWorktreeDir(paths, id);
    p.git("worktree", "add", "-q", "-b", itemBranch(id), dir, "main");
    fs.writeFileSync(path.join(dir, "src", "out.txt"), text);
  }
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.of("loop_reconciled")[0]?.notes.some((n) => /a passed; an interrupted candidate's work is kept on viable-kept\/a\/candidate-2-interrupted/.test(n)), JSON.stringify(run.of("loop_reconciled")));
  assert.equal(p.git("show", "viable-kept/a/candidate-2-interrupted:src/out.txt"), "candidate\n");
  assert.equal(p.git("worktree", "list").split("\n").filter(Boolean).length, 1, p.git("worktree", "list"));
  assert.equal(p.git("branch", "--list", "viable/*").trim(), "");
});

void test("a candidate or reviewer naming an agent the project does not have fails the attempt before any candidate starts, with the fix", async (t) => {
  const p = loopProject(t, [{ id: "a", description: "Write src/out.txt", verify: VERIFY, candidates: [{}, { agent: "ghost" }] }], { config: { loop: { max_attempts: 1 } } });
  p.script(`touch '${p.sig("ran")}'; printf 'one\\n' > src/out.txt\n`);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.of("item_failed")[0]?.reason ?? "", /a candidate's agent names the agent "ghost", which the project does not have \(its agents: [^)]*code-writer[^)]*\); fix \.viable\/config\.json or the plan/);
  assert.equal(fs.existsSync(p.sig("ran")), false, "no candidate started");
});
