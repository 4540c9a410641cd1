import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { projectPaths } from "../../src/workspace/paths.ts";
import {
  addWorktree, branchExists, commitAll, completedSessions, itemBranch, itemSlug, itemWorktreeDir, keepWork, listWorktrees, recordSetupPaths,
  removeMergedWorkspace, revParse,
} from "../../src/workspace/worktrees.ts";
import { makeProject, type TestProject } from "../support/project.ts";

const IDENTITY = { GIT_AUTHOR_NAME: "Viable Test", GIT_AUTHOR_EMAIL: "test@viable.invalid", GIT_COMMITTER_NAME: "Viable Test", GIT_COMMITTER_EMAIL: "test@viable.invalid" };
for (const [k, v] of Object.entries(IDENTITY)) process.env[k] = v;

async function worktree(p: TestProject, id: string) {
  const paths = projectPaths(p.dir);
  const dir = itemWorktreeDir(paths, id);
  const base = p.git("rev-parse", "HEAD").trim();
  await addWorktree(p.dir, dir, itemBranch(id), base);
  return { dir, base, paths };
}

void test("item ids become branch and directory names git accepts, distinct for distinct ids", () => {
  assert.equal(itemSlug("feature-001"), "feature-001");
  assert.equal(itemSlug("5.2"), "5.2");
  const odd = ["Add login", "a..b", "x.lock", "..", "a/b", "a b"];
  const slugs = odd.map(itemSlug);
  for (const s of slugs) assert.match(s, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  assert.equal(new Set(slugs).size, slugs.length);
  assert.notEqual(itemSlug("a b"), itemSlug("a-b"));
});

void test("keepWork commits uncommitted changes and keeps unmerged commits on a viable-kept branch before removing the worktree", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const { dir } = await worktree(p, "f1");
  fs.writeFileSync(path.join(dir, "committed.txt"), "one\n");
  await commitAll(dir, "agent commit");
  fs.writeFileSync(path.join(dir, "uncommitted.txt"), "two\n");

  const kept = await keepWork(p.dir, "f1", dir, "main", "attempt-1");
  assert.equal(kept.removed, true);
  assert.equal(kept.keptBranch, "viable-kept/f1/attempt-1");
  assert.ok(kept.committed, "the uncommitted file was committed");
  assert.equal(fs.existsSync(dir), false);
  const files = p.git("ls-tree", "-r", "--name-only", "viable-kept/f1/attempt-1").split("\n");
  assert.ok(files.includes("committed.txt") && files.includes("uncommitted.txt"), files.join(","));

  // Nothing new to keep the second time: no second kept branch.
  await addWorktree(p.dir, dir, itemBranch("f1"), p.git("rev-parse", "HEAD").trim());
  const again = await keepWork(p.dir, "f1", dir, "main", "attempt-2");
  assert.equal(again.keptBranch, null);
});

void test("the setup hook's files are never committed as the agents' work", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const { dir } = await worktree(p, "f1");
  fs.writeFileSync(path.join(dir, ".env"), "SECRET=1\n");
  await recordSetupPaths(dir, [".env"]);
  fs.writeFileSync(path.join(dir, "work.txt"), "done\n");
  const commit = await commitAll(dir, "work");
  assert.ok(commit);
  assert.deepEqual(p.git("show", "--name-only", "--format=", commit).trim().split("\n"), ["work.txt"]);
});

void test("Viable's state is never committed, even when an agent staged it with git add -f", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const { dir } = await worktree(p, "f1");
  fs.mkdirSync(path.join(dir, ".viable", "state"), { recursive: true });
  fs.writeFileSync(path.join(dir, ".viable", "state", "viable.db"), "not work");
  execFileSync("git", ["add", "-f", ".viable/state/viable.db"], { cwd: dir });
  assert.equal(await commitAll(dir, "only state"), null, "staged state alone is nothing to commit");
  fs.writeFileSync(path.join(dir, "work.txt"), "done\n");
  const commit = await commitAll(dir, "work");
  assert.ok(commit);
  assert.deepEqual(p.git("show", "--name-only", "--format=", commit).trim().split("\n"), ["work.txt"]);
});

void test("commitAll refuses a directory that is no longer a worktree of its own (its .git was deleted)", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const { dir } = await worktree(p, "f1");
  fs.rmSync(path.join(dir, ".git"));
  fs.writeFileSync(path.join(dir, "x.txt"), "x");
  await assert.rejects(commitAll(dir, "must not land in the main repository"), /not the top of a git worktree/);
  assert.equal(p.git("log", "--format=%s").trim(), "initial");
});

void test("removeMergedWorkspace removes only what is merged: unmerged commits and uncommitted changes stay", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const { dir } = await worktree(p, "f1");
  fs.writeFileSync(path.join(dir, "a.txt"), "a\n");
  const commit = await commitAll(dir, "work");
  assert.ok(commit);

  let left = await removeMergedWorkspace(p.dir, "f1", dir, "main");
  assert.equal(left.length, 1);
  assert.match(left[0]!, /commits not in main/);
  assert.ok(fs.existsSync(dir));

  p.git("merge", "--ff-only", "-q", commit);
  fs.writeFileSync(path.join(dir, "late.txt"), "late\n");
  left = await removeMergedWorkspace(p.dir, "f1", dir, "main");
  assert.match(left[0] ?? "", /uncommitted changes in late.txt/);
  assert.ok(await branchExists(p.dir, itemBranch("f1")));

  fs.rmSync(path.join(dir, "late.txt"));
  left = await removeMergedWorkspace(p.dir, "f1", dir, "main");
  assert.deepEqual(left, []);
  assert.equal(fs.existsSync(dir), false);
  assert.equal(await branchExists(p.dir, itemBranch("f1")), false);
  assert.equal((await listWorktrees(p.dir)).length, 1);
});

void test("git history sync reads seed 004's `session: completed <id>` subjects, newest first", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  p.git("commit", "-q", "--allow-empty", "-m", "session: completed f1");
  p.git("commit", "-q", "--allow-empty", "-m", "session: completed f10: with a note");
  p.git("commit", "-q", "--allow-empty", "-m", "unrelated: session: completed f2");
  p.git("commit", "-q", "--allow-empty", "-m", "session: completed f1");
  const found = await completedSessions(p.dir, "main");
  assert.deepEqual([...found.keys()].sort(), ["f1", "f10"]);
  assert.deepEqual(found.get("f1")?.map((c) => c.commit), [await revParse(p.dir, "HEAD"), await revParse(p.dir, "HEAD~3")], "newest first");
  assert.equal(found.get("f10")?.[0]?.message.trim(), "session: completed f10: with a note");
  assert.ok((found.get("f1")?.[0]?.time ?? 0) > 1_700_000_000);
});
