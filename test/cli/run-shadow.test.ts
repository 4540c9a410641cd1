// A shadow beside `viable run`: the task's agent works the project's tree as usual; its shadow
// works the same task in a worktree from the branch checked out, verified with the same checks,
// never applied; `viable shadow report` counts the pairs. A dirty tree runs without the shadow and
// says why.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { e2eProject, eventsOf, ofType } from "../support/e2e.ts";

void test("viable run with a shadow: the pair is recorded for each task, the shadow's change never reaches the tree, and the report counts them", async (t) => {
  const p = e2eProject({ config: { verify: ["test \"$(cat out.txt)\" = ok"] } });
  t.after(() => p.cleanup());
  const shadowScript = p.sig("shadow.sh");
  // The shadow gets the second task wrong.
  fs.writeFileSync(shadowScript, `if [ -f '${p.sig("second")}' ]; then echo wrong > out.txt; else echo ok > out.txt; fi; echo shadow > shadow-only.txt\n`);
  p.agent("shadow-writer", `sh '${shadowScript}'`);
  p.agent("code-writer", "echo ok > out.txt; echo wrote out.txt", { shadow: "shadow-writer" });
  p.commitAll("agents");

  for (const task of ["Write out.txt", "Write out.txt again"]) {
    const r = await p.viable("run", task, "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(fs.existsSync(`${p.dir}/shadow-only.txt`), false, "the shadow's change is never applied");
    p.commitAll(task);
    fs.writeFileSync(p.sig("second"), "");
  }
  const pairs = ofType(await eventsOf(p.dir), "item_shadow_compared").map((e) => e.data as { primary: { passed: boolean; files: string[] }; shadow: { passed: boolean; files: string[] }; agree: boolean; complete: boolean });
  assert.deepEqual(pairs.map((x) => [x.primary.passed, x.shadow.passed, x.agree, x.complete]), [[true, true, true, true], [true, false, false, true]]);
  assert.deepEqual(pairs[0]!.primary.files, ["out.txt"]);
  assert.deepEqual(pairs[0]!.shadow.files.sort(), ["out.txt", "shadow-only.txt"]);
  const report = JSON.parse((await p.viable("shadow", "report", "--json")).stdout) as { pairs: number; groups: { agreement_rate: number; shadow_pass_rate: number }[] };
  assert.equal(report.pairs, 2);
  assert.deepEqual(report.groups.map((g) => [g.agreement_rate, g.shadow_pass_rate]), [[0.5, 0.5]]);
  assert.equal(p.git("worktree", "list").split("\n").filter(Boolean).length, 1, p.git("worktree", "list"));
});

void test("viable run with uncommitted changes runs without its shadow and records why", async (t) => {
  const p = e2eProject({ config: { verify: [] } });
  t.after(() => p.cleanup());
  p.agent("shadow-writer", "echo shadow > out.txt");
  p.agent("code-writer", "echo ok > out.txt", { shadow: "shadow-writer" });
  p.commitAll("agents");
  p.write("notes.txt", "mine\n");
  const r = await p.viable("run", "Write out.txt", "--json");
  assert.equal(r.code, 0, r.stderr);
  const events = await eventsOf(p.dir);
  assert.deepEqual(ofType(events, "item_shadow_compared"), []);
  assert.ok(ofType(events, "policy_decision").some((e) => e.data.decision === "no_shadow" && /uncommitted changes \(notes\.txt\)/.test(String(e.data.reason))));
});
