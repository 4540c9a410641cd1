// `viable run --best-of N` with a command agent: the agent step runs as N candidates, each in a
// worktree of its own from the branch checked out; the project's checks and the score choose; the
// winner's change is applied to the working tree and audited there; the others stay on branches.
// A tree the candidates could not start from is refused before anything runs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { json } from "../support/cli.ts";
import { e2eProject, eventsOf, ofType, type CycleJson } from "../support/e2e.ts";

const WRITER = `case "$VIABLE_CANDIDATE" in 1) printf 'one\\ntwo\\n' > out.txt ;; 2) printf 'one\\n' > out.txt ;; *) printf 'broken\\n' > out.txt ;; esac; echo wrote out.txt`;

void test("run --best-of 3: the failing candidate is out, the smaller change is applied and audited, the others' work is kept", async (t) => {
  const p = e2eProject({ config: { verify: ["test \"$(cat out.txt)\" != broken"] } });
  t.after(() => p.cleanup());
  p.agent("code-writer", WRITER);
  p.commitAll("agents");
  const r = await p.viable("run", "Write out.txt", "--best-of", "3", "--json");
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const result = json<CycleJson>(r);
  assert.equal(result.success, true);
  assert.equal(result.audit_passed, true);
  assert.match(result.s1_results[0]!.output, /candidate 2 of 3 chosen/);
  // Applied to the working tree, uncommitted, as any run's agent leaves its work.
  assert.equal(p.read("out.txt"), "one\n");
  assert.match(p.git("status", "--porcelain"), /\?\? out\.txt/);
  const [evaluated] = ofType(await eventsOf(p.dir), "item_candidates_evaluated");
  assert.equal(evaluated?.data.winner, 2);
  const branches = p.git("branch", "--list", "viable-kept/run-*").split("\n").map((b) => b.trim()).filter(Boolean).sort();
  assert.deepEqual(branches.map((b) => b.replace(/run-[0-9a-f]+/, "run-T")), ["viable-kept/run-T/attempt-1-candidate-1", "viable-kept/run-T/attempt-1-candidate-3"]);
  assert.equal(p.git("show", `${branches[0]}:out.txt`), "one\ntwo\n");
  assert.equal(p.git("worktree", "list").split("\n").filter(Boolean).length, 1, p.git("worktree", "list"));
});

void test("run --best-of with uncommitted changes is refused before anything runs, naming them and the fix", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", WRITER);
  p.commitAll("agents");
  p.write("notes.txt", "mine\n");
  const r = await p.viable("run", "Write out.txt", "--best-of", "2");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--best-of: the working tree has uncommitted changes \(notes\.txt\)[\s\S]*commit or stash them/);
  assert.deepEqual(ofType(await eventsOf(p.dir), "task_started"), []);
  const bad = await p.viable("run", "Write out.txt", "--best-of", "many");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--best-of[\s\S]*whole number from 1 to 16/);
});
