// Kept branches (`viable-kept/...`) through the real CLI: `viable prune` deletes exactly those whose
// work is on the integration branch — merged, or made again by later work — or whose item has
// passed since (an earlier attempt, superseded), and never one of an unfinished item, which holds
// work found nowhere else; `plan show` lists the ones that stay and why; a loop prunes on its
// own once they are older than loop.prune_kept_after_days.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { viable } from "../support/cli.ts";
import { loopProject, type LoopProject } from "./support.ts";

const LIMIT = { timeout: 60_000 };

/** A branch from main with one commit writing `file`, committed at `date` (default now). */
function branchWith(p: LoopProject, branch: string, file: string, text: string, date?: string): string {
  p.git("checkout", "-q", "-b", branch, "main");
  p.write(file, text);
  p.git("add", file);
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@viable.invalid", "commit", "-qm", `work on ${file}`], {
    cwd: p.dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) },
  });
  const tip = p.git("rev-parse", "HEAD").trim();
  p.git("checkout", "-q", "main");
  return tip;
}

function onMain(p: LoopProject, file: string, text: string): void {
  p.write(file, text);
  p.commitAll(`main: ${file}`);
}

const branches = (p: LoopProject) => p.git("for-each-ref", "--format=%(refname:short)", "refs/heads/").split("\n").filter((b) => b !== "").sort();

void test("viable prune deletes kept branches whose work is on main and keeps every one holding work found nowhere else", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "done", passes: true }, { id: "reused", passes: true }, { id: "unique" }, { id: "clash" }]);
  // Kept by an older plan that used the id "reused" for other work, which never passed.
  const older = branchWith(p, "viable-kept/reused/attempt-1", "older-plan.txt", "an older plan's unfinished work\n", "2020-01-01T00:00:00Z");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  p.git("branch", "viable-kept/merged/interrupted", "main");
  branchWith(p, "viable-kept/done/attempt-1", "done.txt", "a first try, different from what passed\n");
  branchWith(p, "viable-kept/redone/attempt-1", "redone.txt", "same\n");
  onMain(p, "redone.txt", "same\n"); // a later attempt made the same change
  onMain(p, "more.txt", "and more\n");
  const unique = branchWith(p, "viable-kept/unique/attempt-1", "unique.txt", "only here\n");
  branchWith(p, "viable-kept/clash/attempt-2", "clash.txt", "mine\n");
  onMain(p, "clash.txt", "theirs\n");
  branchWith(p, "feature/mine", "mine.txt", "not Viable's\n");
  const before = branches(p);

  const dry = await viable(["prune", "--dry-run", "--json", "-d", p.dir]);
  assert.equal(dry.code, 0, dry.stderr);
  const report = JSON.parse(dry.stdout) as { integration_branch: string; deleted: { name: string; why: string }[]; kept: { name: string; why: string; files: string[] }[] };
  assert.equal(report.integration_branch, "main");
  assert.deepEqual(report.deleted.map((b) => [b.name, b.why]).sort(), [
    ["viable-kept/done/attempt-1", "its item has passed since: this is an earlier attempt's work, superseded by what was merged"],
    ["viable-kept/merged/interrupted", "its commits are on main"],
    ["viable-kept/redone/attempt-1", "its changes are already on main (later work made them)"],
  ]);
  assert.deepEqual(report.kept.map((b) => [b.name, b.files]).sort(), [
    ["viable-kept/clash/attempt-2", ["clash.txt"]],
    ["viable-kept/reused/attempt-1", ["older-plan.txt"]],
    ["viable-kept/unique/attempt-1", ["unique.txt"]],
  ]);
  assert.deepEqual(branches(p), before, "a dry run deletes nothing");

  const show = await viable(["plan", "show", "-d", p.dir]);
  assert.match(show.stdout, /\nkept branches with work found nowhere else \(3\):\n/);
  assert.match(show.stdout, /\n {2}viable-kept\/unique\/attempt-1 — holds changes main lacks: unique\.txt\n/);
  assert.match(show.stdout, /\n {2}viable-kept\/clash\/attempt-2 — its changes conflict with main \(work found nowhere else\): clash\.txt\n/);
  const shown = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { kept_branches: { name: string }[] };
  assert.deepEqual(shown.kept_branches.map((b) => b.name).sort(), ["viable-kept/clash/attempt-2", "viable-kept/reused/attempt-1", "viable-kept/unique/attempt-1"]);

  const pruned = await viable(["prune", "-d", p.dir]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /3 kept branch\(es\) deleted, 3 kept \(compared with main\)/);
  assert.deepEqual(branches(p), before.filter((b) => !["viable-kept/merged/interrupted", "viable-kept/redone/attempt-1", "viable-kept/done/attempt-1"].includes(b)));
  assert.equal(p.git("rev-parse", "viable-kept/unique/attempt-1").trim(), unique, "unique work is where it was");
  assert.equal(p.git("rev-parse", "viable-kept/reused/attempt-1").trim(), older, "an older plan's work under a reused id too");

  // A kept branch someone has checked out is left alone, whatever it holds.
  p.git("worktree", "add", "-q", p.sig("looking"), "viable-kept/clash/attempt-2");
  const looked = JSON.parse((await viable(["prune", "--dry-run", "--json", "-d", p.dir])).stdout) as { kept: { name: string; why: string }[] };
  assert.match(looked.kept.find((b) => b.name === "viable-kept/clash/attempt-2")?.why ?? "", /^it is checked out in /);
});

void test("a loop prunes kept branches whose work has landed once they are older than loop.prune_kept_after_days", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }]);
  p.script(`echo a > a.txt`);
  p.git("branch", "viable-kept/fresh/interrupted", "main");
  branchWith(p, "viable-kept/old/attempt-1", "old.txt", "old\n", "2020-01-01T00:00:00Z");
  onMain(p, "old.txt", "old\n");
  branchWith(p, "viable-kept/old-unique/attempt-1", "gem.txt", "only here\n", "2020-01-01T00:00:00Z");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });

  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  // Seven days by default: the old branch whose work landed goes; the fresh one and the old one
  // with work found nowhere else stay.
  assert.deepEqual(branches(p).filter((b) => b.startsWith("viable-kept/")), ["viable-kept/fresh/interrupted", "viable-kept/old-unique/attempt-1"]);
  assert.ok(run.of("loop_note").some((n) => n.message === "pruned 1 kept branch(es) whose work is on main: viable-kept/old/attempt-1"), JSON.stringify(run.of("loop_note")));

  // With no grace period, the fresh one goes at the end of the next run too.
  p.write(".viable/config.json", JSON.stringify({ ...JSON.parse(p.read(".viable/config.json")) as object, loop: { concurrency: 2, prune_kept_after_days: 0 } }));
  p.commitAll("no grace");
  const again = await p.loop();
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(branches(p).filter((b) => b.startsWith("viable-kept/")), ["viable-kept/old-unique/attempt-1"]);
});
