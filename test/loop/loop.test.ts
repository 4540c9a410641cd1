// `viable loop` over worktrees with real command agents: dependencies, per-worktree environment,
// the setup hook, verification and retries, the merge queue (conflicts, red re-verification),
// agents that break their workspace, blocking, the circuit breaker, a dirty main worktree, a second
// loop, and Ctrl-C. Agents are shell scripts steered through files in a signals directory.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pidsCarrying, waitFor } from "../support/e2e.ts";
import { viable } from "../support/cli.ts";
import { loopProject, startLoop } from "./support.ts";

const LIMIT = { timeout: 120_000 };

void test("items run in their own worktrees; dependents start from their dependencies' merged work; each lands as one session commit", LIMIT, async (t) => {
  const p = loopProject(t, [
    { id: "a", verify: ["test -f item-a.txt"] },
    { id: "b", dependencies: ["a"] },
    { id: "c", dependencies: ["a"] },
    { id: "d", dependencies: ["b", "c"] },
  ]);
  p.script(`set -e
echo "$VIABLE_ITEM_ID" > "item-$VIABLE_ITEM_ID.txt"
{ echo "port=$VIABLE_PORT_BASE"; echo "files=$(ls item-*.txt | tr '\\n' ' ')"; echo "cwd=$PWD"; echo "item=$VIABLE_ITEM"; } > '${p.sig("seen-")}'"$VIABLE_ITEM_ID"
echo "wrote item-$VIABLE_ITEM_ID.txt"
`);
  assert.equal((await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir })).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_passed").map((e) => e.item).sort(), ["a", "b", "c", "d"]);
  assert.equal(run.of("loop_finished")[0]?.outcome, "all_passed");

  const seen = (id: string) => Object.fromEntries(fs.readFileSync(p.sig(`seen-${id}`), "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  assert.equal(seen("b").files?.trim(), "item-a.txt item-b.txt");
  assert.equal(seen("d").files?.trim(), "item-a.txt item-b.txt item-c.txt item-d.txt");
  assert.match(seen("a").cwd ?? "", /\.viable\/state\/worktrees\/a$/);
  assert.equal((JSON.parse(seen("c").item ?? "{}") as { id?: string }).id, "c");
  // b and c ran at the same time, each with its own port range.
  assert.notEqual(seen("b").port, seen("c").port);

  const commits = p.sessionCommits();
  assert.deepEqual(commits.map((s) => s.replace("session: completed ", "")).sort(), ["a", "b", "c", "d"]);
  assert.equal(commits[0], "session: completed a");
  assert.equal(commits[3], "session: completed d");
  for (const f of ["a", "b", "c", "d"]) assert.equal(p.read(`item-${f}.txt`), `${f}\n`);
  assert.equal(p.git("worktree", "list").trim().split("\n").length, 1, "every worktree was removed");
  assert.equal(p.git("branch", "--list", "viable/*").trim(), "", "every item branch was deleted");
  assert.equal(p.git("status", "--porcelain").trim(), "", "the main worktree is clean");

  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; status: string; merged_commit: string }[] };
  for (const item of show.items) {
    assert.equal(item.status, "passed");
    assert.equal(p.git("log", "-1", "--format=%s", item.merged_commit).trim(), `session: completed ${item.id}`);
  }
  const again = await p.loop();
  assert.equal(again.code, 0);
  assert.equal(again.of("item_started").length, 0, "a finished plan runs nothing");
});

void test("the setup hook runs in each new worktree with the item's environment, and what it creates is never committed", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "s1" }], {
    config: { workspace: { setup: ["cp \"$VIABLE_PROJECT_ROOT/.env.local\" .env.local", "echo \"$VIABLE_ITEM_ID $VIABLE_PORT_BASE\" > setup-ran.txt"], port_base: 31000, port_stride: 5 } },
  });
  p.write(".gitignore", ".env.local\n");
  p.write(".env.local", "TOKEN=not-for-git\n");
  p.commitAll("ignore local env");
  p.script(`set -e
cat .env.local > '${p.sig("env")}'
cat setup-ran.txt > '${p.sig("setup")}'
echo work > work.txt
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(fs.readFileSync(p.sig("env"), "utf8"), "TOKEN=not-for-git\n");
  assert.equal(fs.readFileSync(p.sig("setup"), "utf8"), "s1 31000\n");
  const landed = p.git("show", "--name-only", "--format=", "main").trim().split("\n");
  assert.deepEqual(landed, ["work.txt"]);
});

void test("a failed verification is retried with its output as context; after the last attempt the item is blocked, and so are its dependents", LIMIT, async (t) => {
  const p = loopProject(t, [
    { id: "flaky", verify: ["test \"$(cat out.txt)\" = good || { echo \"out.txt says $(cat out.txt), expected good\"; exit 1; }"] },
    { id: "broken" },
    { id: "after-broken", dependencies: ["broken"] },
    { id: "after-after", dependencies: ["after-broken"] },
  ], { config: { loop: { concurrency: 1, max_attempts: 2, max_consecutive_failures: 10 } } });
  p.script(`case "$VIABLE_ITEM_ID" in
  flaky)
    printf '%s' "$VIABLE_PROMPT" > '${p.sig("prompt-")}'"$VIABLE_ATTEMPT"
    if [ "$VIABLE_ATTEMPT" = 1 ]; then echo bad > out.txt; else echo good > out.txt; fi ;;
  broken) echo "cannot do it" >&2; exit 3 ;;
  *) echo fine > "$VIABLE_ITEM_ID.txt" ;;
esac
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.of("loop_finished")[0]?.outcome, "blocked");

  const flakyFail = run.of("item_failed").find((e) => e.item === "flaky");
  assert.match(flakyFail?.reason ?? "", /verification failed/);
  assert.equal(flakyFail?.will_retry, true);
  assert.match(fs.readFileSync(p.sig("prompt-2"), "utf8"), /out\.txt says bad, expected good/);
  assert.ok(!fs.readFileSync(p.sig("prompt-1"), "utf8").includes("out.txt says bad"));
  assert.ok(run.of("item_passed").some((e) => e.item === "flaky"));

  // The blocked item's event names its dependents; each dependent has its own, saying by whom.
  const blocked = run.of("item_blocked").filter((e) => e.blocked_by === undefined);
  assert.deepEqual(run.of("item_blocked").filter((e) => e.blocked_by === "broken").map((e) => e.item), ["after-broken", "after-after"]);
  assert.equal(blocked.length, 1);
  assert.equal(blocked[0]?.item, "broken");
  assert.match(blocked[0]?.reason ?? "", /failed 2 attempts; last: code-writer failed: exited 3: cannot do it/);
  assert.deepEqual(blocked[0]?.dependents, ["after-broken", "after-after"]);

  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; status: string; blocked_reason: string | null; attempts: number }[] };
  const byId = new Map(show.items.map((i) => [i.id, i]));
  assert.equal(byId.get("broken")?.status, "blocked");
  assert.equal(byId.get("broken")?.attempts, 2);
  assert.equal(byId.get("after-broken")?.blocked_reason, "blocked by broken");
  assert.equal(byId.get("after-after")?.blocked_reason, "blocked by broken");
  assert.deepEqual(p.sessionCommits(), ["session: completed flaky"]);

  const exported = JSON.parse((await viable(["plan", "export", "-d", p.dir])).stdout) as { features: { id: string; passes: boolean; blocked?: boolean }[] };
  assert.deepEqual(exported.features.map((f) => [f.id, f.passes, f.blocked ?? false]), [["flaky", true, false], ["broken", false, true], ["after-broken", false, true], ["after-after", false, true]]);
});

void test("agents that delete their worktree, rewrite history or leave their branch fail the attempt; their work is kept and the retry passes", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "deleter" }, { id: "rewriter" }, { id: "orphan" }], { config: { loop: { concurrency: 1, max_consecutive_failures: 10 } } });
  p.script(`set -e
if [ "$VIABLE_ATTEMPT" = 1 ]; then
  case "$VIABLE_ITEM_ID" in
    deleter) echo lost > lost.txt; git add lost.txt; git commit -qm "work before deleting"; rm -rf "$PWD" ;;
    rewriter) git reset -q --hard HEAD~1 ;;
    orphan) git checkout -q --orphan elsewhere; git rm -rfq . ; echo x > x.txt; git add x.txt; git commit -qm orphan ;;
  esac
  exit 0
fi
echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  const reasons = Object.fromEntries(run.of("item_failed").map((e) => [e.item, e.reason]));
  assert.match(reasons.deleter ?? "", /deleted its worktree/);
  assert.match(reasons.rewriter ?? "", /rewrote history/);
  assert.match(reasons.orphan ?? "", /left the item's branch viable\/orphan \(HEAD is now elsewhere\)/);
  assert.deepEqual(p.sessionCommits().sort(), ["session: completed deleter", "session: completed orphan", "session: completed rewriter"]);
  // The deleted worktree's commit was kept, not thrown away.
  assert.equal(p.git("show", "viable-kept/deleter/attempt-1:lost.txt"), "lost\n");
  assert.ok(!p.exists("x.txt") && !p.exists("lost.txt"), "nothing of the failed attempts was merged");
});

void test("conflicting work is retried on a fresh base with the conflict as context; work that is red only once combined is re-verified and retried", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "p1" }, { id: "p2" }, { id: "q1" }, { id: "q2" }], {
    config: { verify: ["if [ -f q1.txt ] && [ -f q2.txt ] && [ ! -f both.txt ]; then echo 'q1 and q2 need both.txt'; exit 1; fi"], loop: { concurrency: 2, max_consecutive_failures: 10 } },
  });
  p.features([
    { id: "p1" }, { id: "p2" },
    { id: "q1", dependencies: ["p1", "p2"] }, { id: "q2", dependencies: ["p1", "p2"] },
  ]);
  p.commitAll("plan");
  // Both items of a pair start from the same base: each waits until its partner has started.
  p.script(`set -e
touch '${p.sig("started-")}'"$VIABLE_ITEM_ID-$VIABLE_ATTEMPT"
printf '%s' "$VIABLE_PROMPT" > '${p.sig("prompt-")}'"$VIABLE_ITEM_ID-$VIABLE_ATTEMPT"
if [ "$VIABLE_ATTEMPT" = 1 ]; then
  partner=$(case "$VIABLE_ITEM_ID" in p1) echo p2;; p2) echo p1;; q1) echo q2;; q2) echo q1;; esac)
  n=0; while [ ! -f '${p.sig("started-")}'"$partner-1" ]; do n=$((n+1)); [ $n -lt 400 ] || exit 9; sleep 0.025; done
fi
case "$VIABLE_ITEM_ID" in
  p*) echo "$VIABLE_ITEM_ID" > shared.txt ;;
  q*) echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"; if [ -f q1.txt ] && [ -f q2.txt ]; then echo yes > both.txt; fi ;;
esac
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);

  const conflict = run.of("item_failed").find((e) => e.item.startsWith("p"));
  assert.ok(conflict, JSON.stringify(run.of("item_failed")));
  assert.match(conflict.reason, /conflict with main in shared\.txt/);
  assert.match(fs.readFileSync(p.sig(`prompt-${conflict.item}-2`), "utf8"), /conflicted with work merged into main meanwhile, in: shared\.txt/);
  assert.equal(p.read("shared.txt"), `${conflict.item}\n`, "the retried item's work landed on top");

  const red = run.of("item_failed").find((e) => e.item.startsWith("q"));
  assert.ok(red, JSON.stringify(run.of("item_failed")));
  assert.match(red.reason, /verification failed after rebasing onto main: `if \[ -f q1.txt \]/);
  assert.match(fs.readFileSync(p.sig(`prompt-${red.item}-2`), "utf8"), /q1 and q2 need both\.txt/);
  assert.ok(p.exists("both.txt"));
  assert.deepEqual(p.sessionCommits().map((s) => s.slice("session: completed ".length)).sort(), ["p1", "p2", "q1", "q2"]);
});

/**
 * `b` always loses its first merge race to `a` (it writes the same file only once `a` has merged);
 * `c` and `d` wait for `a`, are ranked above `b`, and `c` holds its slot until `b` starts again.
 */
function losingRace(t: { after: (fn: () => void) => void }, loop: Record<string, unknown>) {
  const p = loopProject(t, [], { config: { loop: { concurrency: 2, max_attempts: 1, ...loop } } });
  p.features([
    { id: "a", priority: 0 }, { id: "b", priority: 5 },
    { id: "c", priority: 1, dependencies: ["a"] }, { id: "d", priority: 1, dependencies: ["a"] },
  ]);
  p.commitAll("plan");
  p.script(`set -e
touch '${p.sig("started-")}'"$VIABLE_ITEM_ID-$VIABLE_ATTEMPT"
wait_for() { n=0; while ! eval "$1"; do n=$((n+1)); [ $n -lt 800 ] || exit 9; sleep 0.025; done; }
case "$VIABLE_ITEM_ID-$VIABLE_ATTEMPT" in
  a-1) echo a > shared.txt ;;
  b-1) wait_for "git log --format=%s main | grep -qx 'session: completed a'"; echo b > shared.txt ;;
  b-*) echo "a and b" > shared.txt ;;
  c-1) wait_for "[ -f '${p.sig("started-b-2")}' ] || [ -f '${p.sig("b-blocked")}' ]"; echo c > c.txt ;;
  *) echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt" ;;
esac
`);
  return p;
}

void test("an item that loses a merge race goes first next time, and the race does not use up its attempts", LIMIT, async (t) => {
  const p = losingRace(t, {});
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.of("loop_finished")[0]?.outcome, "all_passed");
  const lost = run.of("item_failed");
  assert.deepEqual(lost.map((e) => [e.item, e.conflict, e.conflicts, e.will_retry]), [["b", ["shared.txt"], 1, true]]);
  // With max_attempts 1 it is still retried, and before d, which is ranked above it and was ready.
  const starts = run.of("item_started").map((e) => `${e.item}-${e.attempt}`);
  assert.ok(starts.indexOf("b-2") < starts.indexOf("d-1"), starts.join(" "));
  assert.equal(p.read("shared.txt"), "a and b\n");
  assert.deepEqual(p.sessionCommits().map((s) => s.slice("session: completed ".length)).sort(), ["a", "b", "c", "d"]);
  // Recorded as one attempt: a later run counts the race no more than this one did.
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; attempts: number }[] };
  assert.equal(show.items.find((i) => i.id === "b")?.attempts, 1);
});

void test("loop.max_conflicts bounds the races an item may lose in a run: then it is blocked, saying so", LIMIT, async (t) => {
  const p = losingRace(t, { max_conflicts: 1 });
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  // c must not wait for a second attempt of b that will never come.
  fs.writeFileSync(p.sig("b-blocked"), "");
  const run = await p.loop();
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(run.of("item_blocked").map((e) => [e.item, e.reason]), [["b", "lost 1 merge races in this run (loop.max_conflicts), last in shared.txt"]]);
  assert.deepEqual(p.sessionCommits().map((s) => s.slice("session: completed ".length)).sort(), ["a", "c", "d"]);
});

void test("files whose merge driver says union (.gitattributes) merge first time: parallel items appending to one log all land", LIMIT, async (t) => {
  const p = loopProject(t, [], { config: { loop: { concurrency: 3, max_attempts: 1 } } });
  p.features([{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }, { id: "e" }, { id: "f" }]);
  p.write("CHANGELOG.md", "# Changes\n");
  p.write(".gitattributes", "CHANGELOG.md merge=union\n");
  p.commitAll("plan, a changelog merged by union");
  // Threes start from the same base (each waits for the next to start), and all append to the changelog.
  p.script(`set -e
touch '${p.sig("started-")}'"$VIABLE_ITEM_ID"
partner=$(case "$VIABLE_ITEM_ID" in a) echo b;; b) echo c;; c) echo a;; d) echo e;; e) echo f;; f) echo d;; esac)
n=0; while [ ! -f '${p.sig("started-")}'"$partner" ]; do n=$((n+1)); [ $n -lt 400 ] || exit 9; sleep 0.025; done
echo "- $VIABLE_ITEM_ID" >> CHANGELOG.md
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_failed"), [], "no conflict sent an item back");
  assert.deepEqual(p.read("CHANGELOG.md").split("\n").filter((l) => l.startsWith("- ")).sort(), ["- a", "- b", "- c", "- d", "- e", "- f"]);
});

/** `b` writes the file `a` wrote, only once `a` has merged: its merge conflicts every time. */
function conflictingPair(t: { after: (fn: () => void) => void }, integratorCommand: (sig: (name: string) => string) => string) {
  const p = loopProject(t, [], { config: { loop: { concurrency: 2, integrator: "integrator" } } });
  p.features([{ id: "a", description: "Write a line to shared.txt for item a, one of two parallel items." }, { id: "b" }]);
  p.agent("integrator", integratorCommand((name) => p.sig(name)));
  p.commitAll("plan and integrator");
  p.script(`set -e
case "$VIABLE_ITEM_ID-$VIABLE_ATTEMPT" in
  a-1) echo a > shared.txt ;;
  b-1) n=0; while ! git log --format=%s main | grep -qx 'session: completed a'; do n=$((n+1)); [ $n -lt 800 ] || exit 9; sleep 0.025; done; echo b > shared.txt ;;
  *) echo "a and b" > shared.txt ;;
esac
`);
  return p;
}

void test("an integrator agent resolves a conflicted merge in the queue: the item is not redone, the result is verified and merged once", LIMIT, async (t) => {
  // Keeps both sides: drops the conflict markers of every conflicted file it is given.
  const p = conflictingPair(t, (sig) => `printf '%s\\n' "$VIABLE_CONFLICT_FILES" > '${sig("files")}'; for f in $VIABLE_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' "$f"; done; head -c 2000 > '${sig("prompt")}'`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_failed"), [], "nothing was sent back");
  assert.deepEqual(run.of("item_conflict_resolved").map((e) => [e.item, e.attempt, e.files, e.agent, typeof e.attempt_id]), [["b", 1, ["shared.txt"], "integrator", "string"]]);
  assert.deepEqual(run.of("item_started").map((e) => `${e.item}-${e.attempt}`).sort(), ["a-1", "b-1"]);
  assert.equal(p.read("shared.txt"), "a\nb\n", "both sides kept");
  assert.deepEqual(p.sessionCommits(), ["session: completed a", "session: completed b"]);
  // It was told what the item is and where the conflicts are.
  assert.equal(fs.readFileSync(p.sig("files"), "utf8"), "shared.txt\n");
  assert.match(fs.readFileSync(p.sig("prompt"), "utf8"), /Plan item b: Item b[\s\S]*conflicts are marked in: shared\.txt/);
  assert.ok(!fs.existsSync(path.join(p.dir, ".viable", "state", "resolving", "b")), "the scratch worktree is gone");
  assert.equal(p.git("worktree", "list").trim().split("\n").length, 1, p.git("worktree", "list"));
  const show = await viable(["plan", "show", "-d", p.dir]);
  assert.match(show.stdout, /conflicts resolved in the merge queue \(1\):\n {2}b attempt 1: shared\.txt by integrator/);
});

void test("kill -9 while the integrator resolves: the next loop resolves again from a fresh scratch worktree and merges the item once", LIMIT, async (t) => {
  // The first time it signals and hangs (Viable is killed meanwhile); after that it resolves.
  const p = conflictingPair(t, (sig) => `if [ -f '${sig("resolving")}' ]; then for f in $VIABLE_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' "$f"; done; else touch '${sig("resolving")}'; sleep 60; fi`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const first = startLoop(p.dir);
  try {
    await waitFor(() => fs.existsSync(p.sig("resolving")), "the integrator to start", 30_000);
  } finally {
    first.child.kill("SIGKILL");
  }
  assert.equal((await first.done).signal, "SIGKILL");
  assert.deepEqual(p.sessionCommits(), ["session: completed a"], "b is not merged yet");

  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_conflict_resolved").map((e) => e.item), ["b"]);
  assert.deepEqual(p.sessionCommits(), ["session: completed a", "session: completed b"], "each merged exactly once");
  assert.equal(p.read("shared.txt"), "a\nb\n");
  assert.ok(!p.git("worktree", "list").includes("resolving"), p.git("worktree", "list"));
  // The hung integrator of the killed run (its environment names the project) was stopped.
  const left = fs.readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`VIABLE_PROJECT_ROOT=${p.dir}`);
    } catch {
      return false;
    }
  });
  assert.deepEqual(left, [], "nothing of the killed run is left");
});

void test("an integrator's result that drops the item's work, or changes files outside the conflict, is refused: the item goes back", LIMIT, async (t) => {
  const cases: [string, RegExp][] = [
    ["git checkout --ours -- shared.txt", /integrator dropped the item's work \(the result is main as it was\)/],
    [`for f in $VIABLE_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' "$f"; done; echo extra > unrelated.txt`, /integrator changed files outside the conflict: unrelated\.txt/],
  ];
  for (const [command, reason] of cases) {
    const p = conflictingPair(t, () => command);
    await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
    const run = await p.loop();
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.of("item_conflict_resolved"), [], command);
    const failed = run.of("item_failed");
    assert.equal(failed.length, 1, command);
    assert.match(failed[0]!.reason, reason);
    assert.equal(p.read("shared.txt"), "a and b\n", "the second attempt, on a fresh base, landed");
    assert.ok(!p.exists("unrelated.txt"));
  }
});

void test("a resolution that fails verification sends the item back, its own work kept as it was, not the resolution", LIMIT, async (t) => {
  const p = conflictingPair(t, () => `for f in $VIABLE_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' "$f"; done`);
  // Either line alone is fine; both together (what the integrator makes) fail.
  p.write(".viable/config.json", JSON.stringify({ ...JSON.parse(p.read(".viable/config.json")) as object, verify: ["! { grep -qx a shared.txt && grep -qx b shared.txt; }"] }));
  p.commitAll("verify");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_conflict_resolved").map((e) => e.item), ["b"]);
  const failed = run.of("item_failed");
  assert.deepEqual(failed.map((e) => e.item), ["b"]);
  assert.match(failed[0]!.reason, /^verification failed after rebasing onto main/);
  assert.equal(failed[0]!.kept_branch, null);
  // The next attempt kept b's first attempt as b made it: its own commit, "b" alone.
  const kept = p.git("for-each-ref", "--format=%(refname:short)", "refs/heads/viable-kept/b/").trim();
  assert.equal(kept, "viable-kept/b/attempt-1");
  assert.equal(p.git("show", `${kept}:shared.txt`), "b\n");
  assert.equal(p.read("shared.txt"), "a and b\n", "the second attempt landed");
});

void test("loop.integrator naming no agent is refused before anything runs, with the file, the field and the agents there are", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }], { config: { loop: { integrator: "nobody" } } });
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await viable(["loop", "-d", p.dir]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^viable: \S*\.viable\/config\.json \(loop\.integrator\): names an agent that cannot run: no agent named "nobody"\n {2}fix: use one of: .*code-writer/);
  assert.deepEqual(p.sessionCommits(), [], "nothing ran");
});

void test("an integrator that leaves conflict markers sends the item back for a new attempt, with the conflict as context", LIMIT, async (t) => {
  const p = conflictingPair(t, () => "true");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("item_conflict_resolved"), []);
  const failed = run.of("item_failed");
  assert.deepEqual(failed.map((e) => [e.item, e.conflict, e.will_retry]), [["b", ["shared.txt"], true]]);
  assert.match(failed[0]!.reason, /conflict with main in shared\.txt; the integrator could not resolve it: integrator left conflict markers in shared\.txt/);
  assert.equal(p.read("shared.txt"), "a and b\n", "the second attempt, on a fresh base, landed");
});

void test("loop.avoid_overlap: items naming the same file never run at once (no conflict), others run alongside", LIMIT, async (t) => {
  const p = loopProject(t, [], { config: { loop: { concurrency: 3, avoid_overlap: true, max_attempts: 1 } } });
  p.features([
    { id: "a", description: "Append item a's line to shared.txt, the file both a and b change." },
    { id: "b", description: "Append item b's line to shared.txt, the file both a and b change." },
    { id: "c", description: "Write other.txt for item c; nothing else." },
  ]);
  p.commitAll("plan");
  p.script(`set -e
touch '${p.sig("running-")}'"$VIABLE_ITEM_ID"
case "$VIABLE_ITEM_ID" in
  a|b) for other in a b; do [ "$other" = "$VIABLE_ITEM_ID" ] || [ ! -f '${p.sig("running-")}'"$other" ] || touch '${p.sig("overlapped")}'; done
       # c must be running alongside a, or c would wait for a forever: c checks.
       sleep 0.3; echo "$VIABLE_ITEM_ID" >> shared.txt ;;
  c) n=0; while [ ! -f '${p.sig("running-a")}' ] && [ ! -f '${p.sig("running-b")}' ]; do n=$((n+1)); [ $n -lt 400 ] || exit 9; sleep 0.025; done; echo c > other.txt ;;
esac
rm -f '${p.sig("running-")}'"$VIABLE_ITEM_ID"
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!fs.existsSync(p.sig("overlapped")), "a and b never ran at the same time");
  assert.deepEqual(run.of("item_failed"), [], "so their merges did not conflict");
  assert.deepEqual(p.read("shared.txt").split("\n").filter((l) => l !== "").sort(), ["a", "b"]);
  assert.equal(p.read("other.txt"), "c\n");
});

void test("a dirty main worktree is refused unless --allow-dirty; then the loop leaves the changes alone", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "x" }]);
  p.script(`echo x > x.txt`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  p.write("notes.md", "my own unfinished notes\n");
  const refused = await p.loop();
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /the main worktree has uncommitted changes \(notes\.md\)/);
  assert.match(refused.stderr, /--allow-dirty/);
  assert.deepEqual(p.sessionCommits(), []);

  const run = await p.loop("--allow-dirty");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(p.sessionCommits(), ["session: completed x"]);
  assert.equal(p.read("notes.md"), "my own unfinished notes\n");
  assert.equal(p.read("x.txt"), "x\n");
});

void test("a second `viable loop` on the same project is refused while the first runs; Ctrl-C stops the first, and the next loop resumes", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "slow" }, { id: "next", dependencies: ["slow"] }]);
  const gate = p.sig("gate");
  p.script(`echo "$VIABLE_ATTEMPT_ID" > '${p.sig("running-")}'"$VIABLE_ITEM_ID"
if [ "$VIABLE_ITEM_ID" = slow ]; then while [ ! -f '${gate}' ]; do sleep 0.05; done; fi
echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"
`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const first = startLoop(p.dir);
  t.after(() => first.child.kill("SIGKILL"));
  const marker = await waitFor(() => fs.existsSync(p.sig("running-slow")) && fs.readFileSync(p.sig("running-slow"), "utf8").trim(), "the slow agent to start");

  const second = await p.loop();
  assert.equal(second.code, 2);
  assert.match(second.stderr, /another Viable process \(pid \d+, `viable loop`/);

  first.child.kill("SIGINT");
  const stopped = await first.done;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.equal(stopped.of("loop_finished")[0]?.outcome, "interrupted");
  assert.deepEqual(pidsCarrying(marker), [], "the interrupted agent's processes are gone");

  fs.writeFileSync(gate, "");
  const resumed = await p.loop();
  assert.equal(resumed.code, 0, resumed.stderr);
  // Interrupted while its agent worked: it runs again (the interrupted session is in the log).
  assert.deepEqual(resumed.of("loop_reconciled")[0]?.reset, ["slow"]);
  assert.deepEqual(p.sessionCommits(), ["session: completed slow", "session: completed next"]);
  const sessions = JSON.parse((await viable(["plan", "sessions", "--json", "-d", p.dir])).stdout) as { feature: string; success: boolean; error: string | null }[];
  assert.deepEqual(sessions.map((s) => [s.feature, s.success]), [["slow", false], ["slow", true], ["next", true]]);
  assert.match(sessions[0]?.error ?? "", /interrupted/);
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; attempts: number }[] };
  assert.equal(show.items.find((i) => i.id === "slow")?.attempts, 1, "the interrupted attempt does not count");
});

void test("consecutive failures open the circuit breaker: without a terminal the loop stops", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "f1" }, { id: "f2" }, { id: "f3" }, { id: "f4" }], { config: { loop: { concurrency: 1, max_attempts: 5 } } });
  p.script(`exit 1`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 1);
  assert.equal(run.of("loop_finished")[0]?.outcome, "failure_streak");
  assert.equal(run.of("item_started").length, 3);
  assert.equal(run.of("failure_streak")[0]?.consecutive_failures, 3);
  assert.match(run.of("loop_finished")[0]?.message ?? "", /3 attempts failed in a row/);
});

void test("`viable loop` without an imported plan says what to do", LIMIT, async (t) => {
  const p = loopProject(t, []);
  const run = await p.loop();
  assert.equal(run.code, 2);
  assert.match(run.stderr, /no plan has been imported.*\n.*viable plan import FILE/);
});

void test("the loop merges into the branch checked out; one that differs from the plan's earlier runs is the user's choice (--branch)", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b" }]);
  p.script(`echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const first = await p.loop("--max-sessions", "1", "--concurrency", "1");
  assert.equal(first.of("item_passed").length, 1, first.stderr);

  // A branch from before that merge lacks the passed item's work: its dependents would miss it.
  p.git("branch", "before", "main~1");
  const lacking = await viable(["loop", "--branch", "before", "-d", p.dir]);
  assert.equal(lacking.code, 2, lacking.stderr);
  assert.match(lacking.stderr, /before lacks the merged work of 1 passed item\(s\) \([ab]\), merged into main by earlier runs/);
  assert.match(lacking.stderr, /fix: merge main into before first/);

  p.git("checkout", "-q", "-b", "feature");
  const refused = await viable(["loop", "-d", p.dir]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /this plan's earlier runs merged into main, but feature is checked out now/);
  assert.match(refused.stderr, /fix: check out main to go on there, or run `viable loop --branch feature`/);

  const chosen = await p.loop("--branch", "feature");
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.equal(chosen.of("loop_started")[0]?.integration_branch, "feature");
  assert.equal(p.git("log", "--format=%s", "-1", "feature").trim(), `session: completed ${chosen.of("item_passed")[0]?.item}`);
  assert.equal(p.git("log", "--format=%s", "main").split("\n").filter((s) => s.startsWith("session:")).length, 1, "main keeps only the first run's merge");
  // From now on the checked-out branch is the plan's: no question asked.
  assert.equal((await p.loop()).code, 0);
});
