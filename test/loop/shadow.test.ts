// Shadow runs with command agents: beside each item's agent, its shadow works the same item in a
// worktree of its own and is never merged; `viable shadow report` sums the pairs up; `viable shadow
// off` stops a running shadow at once while the primaries go on.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { launchBrowser, newPage, screenshot } from "../server/browser.ts";
import { serve } from "../server/support.ts";
import { viable } from "../support/cli.ts";
import { waitFor } from "../support/e2e.ts";
import { importPlan, loopProject, startLoop } from "./support.ts";

const FIVE = ["a", "b", "c", "d", "e"].map((id) => ({ id, verify: [`test "$(cat ${id}.txt)" = ok`] }));

void test("a shadow on five items: the report has the right numbers, and nothing of the shadow reaches the integration branch", async (t) => {
  const p = loopProject(t, FIVE);
  // The shadow agent gets d and e wrong; the primary gets everything right.
  const shadowScript = p.sig("shadow.sh");
  fs.writeFileSync(shadowScript, `case "$VIABLE_ITEM_ID" in d|e) echo wrong > "$VIABLE_ITEM_ID.txt" ;; *) echo ok > "$VIABLE_ITEM_ID.txt"; echo extra > shadow-extra.txt ;; esac\n`);
  p.agent("shadow-writer", `sh '${shadowScript}'`);
  p.agent("code-writer", `sh '${p.sig("agent.sh")}'`, { shadow: "shadow-writer" });
  p.commitAll("a shadow for code-writer");
  p.script(`echo ok > "$VIABLE_ITEM_ID.txt"\n`);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const pairs = run.of("item_shadow_compared");
  assert.deepEqual(pairs.map((x) => [x.item, x.primary.passed, x.shadow.passed, x.agree]).sort(), [
    ["a", true, true, true], ["b", true, true, true], ["c", true, true, true], ["d", true, false, false], ["e", true, false, false],
  ]);
  // Never merged, never kept: main has the primaries' files only, and no shadow branch is left.
  assert.equal(p.git("ls-tree", "--name-only", "main").split("\n").filter((f) => f.endsWith(".txt")).sort().join(","), "a.txt,b.txt,c.txt,d.txt,e.txt");
  assert.equal(p.git("show", "main:d.txt"), "ok\n");
  assert.deepEqual(p.git("branch", "--list", "*shadow*").trim(), "");

  const r = await viable(["shadow", "report", "--json", "-d", p.dir]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { pairs: number; stopped: number; groups: { primary: string; shadow: string; pairs: number; agreement_rate: number; primary_pass_rate: number; shadow_pass_rate: number; same_files_rate: number }[] };
  assert.equal(report.pairs, 5);
  assert.equal(report.stopped, 0);
  assert.deepEqual(report.groups.map((g) => [g.primary, g.shadow, g.pairs, g.agreement_rate, g.primary_pass_rate, g.shadow_pass_rate, g.same_files_rate]), [
    ["code-writer on command", "shadow-writer on command", 5, 0.6, 1, 0.6, 0.4],
  ]);
  const text = await viable(["shadow", "report", "-d", p.dir]);
  assert.match(text.stdout, /code-writer on command {2}vs shadow {2}shadow-writer on command: 5 pairs\n {2}agreement 60% · passed: primary 100%, shadow 60% · same files 40%/);

  // Side by side on the dashboard's item page (Chromium).
  const s = await serve(t, [p.dir]);
  const browser = await launchBrowser(t);
  const problems: string[] = [];
  const page = await newPage(browser, problems);
  await page.goto(s.loginUrl);
  await page.goto(`${s.url}#/p/${s.projects[0]!.id}/items/d?tab=shadow`);
  const pair = page.getByTestId("shadow-0");
  await pair.waitFor({ timeout: 30_000 });
  const text2 = await pair.innerText();
  assert.match(text2, /they disagree/);
  assert.match(text2, /primary\s+code-writer\s+command[\s\S]*Passed[\s\S]*shadow\s+shadow-writer\s+command[\s\S]*Failed/);
  await screenshot(page, "item-shadow");
  assert.deepEqual(problems, []);
});

void test("viable shadow off stops a running shadow at once; the primary's item is merged, and the stopped pair is left out of the report", async (t) => {
  const p = loopProject(t, [{ id: "a", verify: ["test -f a.txt"] }]);
  const never = p.sig("never");
  const shadowScript = p.sig("shadow.sh");
  fs.writeFileSync(shadowScript, `echo started > '${p.sig("shadow-started")}'; while [ ! -f '${never}' ]; do sleep 0.05; done\n`);
  p.agent("shadow-writer", `sh '${shadowScript}'`);
  p.write(".viable/config.json", JSON.stringify({ ...JSON.parse(p.read(".viable/config.json")) as object, shadow: { agent: "shadow-writer" } }));
  p.commitAll("a shadow for every agent");
  p.script(`echo ok > a.txt\n`);
  assert.equal((await importPlan(p)).code, 0);
  const loop = startLoop(p.dir);
  await waitFor(() => loop.events.some((e) => e.type === "item_passed") && fs.existsSync(p.sig("shadow-started")), "the primary merged while its shadow works", 30_000);
  const off = await viable(["shadow", "off", "-d", p.dir]);
  assert.equal(off.code, 0, off.stderr);
  const run = await loop.done;
  assert.equal(run.code, 0, run.stderr);
  const [pair] = run.of("item_shadow_compared");
  assert.equal(pair?.complete, false);
  assert.equal(pair.shadow.stopped, true);
  assert.match(pair.shadow.reason ?? "", /^shadows turned off/);
  assert.ok(run.of("loop_note").some((n) => /shadows turned off/.test(n.message)));
  const report = JSON.parse((await viable(["shadow", "report", "--json", "-d", p.dir])).stdout) as { pairs: number; stopped: number; groups: unknown[]; shadows_off: unknown };
  assert.deepEqual([report.pairs, report.stopped, report.groups.length, report.shadows_off !== null], [1, 1, 0, true]);
});

void test("a shadow naming an agent the project does not have is a note, not a crash: the item is worked as usual", async (t) => {
  const p = loopProject(t, [{ id: "a", verify: ["test -f a.txt"] }], { config: { shadow: { agent: "ghost" } } });
  p.script(`echo ok > a.txt\n`);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.of("loop_note").some((n) => /no shadow: it names the agent "ghost", which the project does not have/.test(n.message)));
  assert.deepEqual(run.of("item_shadow_compared"), []);
});
