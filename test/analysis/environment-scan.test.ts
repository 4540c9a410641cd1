import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { makeProject, type Project } from "./fixture.ts";
import { scanEnvironment, type EnvironmentScan } from "../../src/analysis/environment-scan.ts";
import { UserError } from "../../src/domain/errors.ts";

const projects: Project[] = [];
after(() => projects.forEach((p) => p.remove()));

function project(files: Record<string, string>, opts: Parameters<typeof makeProject>[1] = {}): Project {
  const p = makeProject(files, opts);
  projects.push(p);
  return p;
}

const TS_PROJECT = {
  "package.json": JSON.stringify({ name: "x", scripts: { test: "node --test", lint: "eslint .", build: "tsc" } }),
  "package-lock.json": "{}",
  "README.md": "# x\n",
  "src/a.ts": "export const a = 1;\n",
  "src/b.ts": "export const b = 1;\n",
  "src/c.ts": "export const c = 1;\n",
  "node_modules/dep/index.js": "module.exports = 1;\n",
  "dist/a.js": "export const a = 1;\n",
};

function risk(scan: EnvironmentScan, id: string) {
  return scan.risks.find((r) => r.risk === id);
}

void describe("scanEnvironment: project facts", () => {
  void it("reports languages, package manager, commands and a clean git state", async () => {
    const p = project(TS_PROJECT);
    const scan = await scanEnvironment(p.dir, "Fix typo in README.md");
    assert.deepEqual(scan.languages, ["TypeScript"]); // node_modules and dist are not the project's
    assert.equal(scan.file_count, 6);
    assert.equal(scan.package_manager, "npm");
    assert.deepEqual(scan.commands, { test: "npm run test", lint: "npm run lint", build: "npm run build" });
    assert.equal(scan.command_sources.test, "package.json scripts.test");
    assert.deepEqual(scan.git, { is_repo: true, branch: "main", detached: false, has_commits: true, dirty: false, changed_files: [] });
    assert.deepEqual(scan.risks, []);
    assert.deepEqual(scan.named_paths, ["README.md"]);
    assert.deepEqual(scan.existing_named_paths, ["README.md"]);
    assert.equal(scan.assessed_complexity, "simple");
    assert.ok(scan.opportunities.includes("Verify with `npm run test` (test, from package.json scripts.test)."));
    assert.match(scan.analysis, /^A project of 6 files in TypeScript managed with npm, on branch main, clean; tests run with `npm run test`\./);
    assert.match(scan.recommended_approach, /^One agent makes the change directly starting from README\.md\. Verify with `npm run test` and `npm run lint`\.$/);
  });

  void it("is deterministic", async () => {
    const p = project(TS_PROJECT);
    assert.deepEqual(await scanEnvironment(p.dir, "Refactor src/a.ts"), await scanEnvironment(p.dir, "Refactor src/a.ts"));
  });

  void it("picks the package manager from packageManager, then lockfiles, and runs scripts with it", async () => {
    const pnpm = project({ "package.json": JSON.stringify({ scripts: { test: "vitest" } }), "pnpm-lock.yaml": "" });
    assert.equal((await scanEnvironment(pnpm.dir, "x")).commands.test, "pnpm run test");
    const yarn = project({ "package.json": JSON.stringify({ scripts: { lint: "eslint" } }), "yarn.lock": "" });
    const y = await scanEnvironment(yarn.dir, "x");
    assert.equal(y.package_manager, "yarn");
    assert.equal(y.commands.lint, "yarn run lint");
    const declared = project({ "package.json": JSON.stringify({ packageManager: "bun@1.2.0", scripts: { build: "b" } }), "package-lock.json": "{}" });
    assert.equal((await scanEnvironment(declared.dir, "x")).commands.build, "bun run build");
  });

  void it("does not take npm init's failing test script for a test command", async () => {
    const p = project({ "package.json": JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }), "index.js": "" });
    const scan = await scanEnvironment(p.dir, "x");
    assert.equal(scan.commands.test, undefined);
    assert.equal(risk(scan, "no_test_command")?.severity, "medium");
  });

  void it("reads Makefile targets, Cargo, go and pytest configuration", async () => {
    const make = project({ Makefile: "VAR := 1\ncheck:\n\ttrue\nlint: deps\n\ttrue\n", "main.c": "" });
    assert.deepEqual((await scanEnvironment(make.dir, "x")).commands, { test: "make check", lint: "make lint" });
    const cargo = project({ "Cargo.toml": "[package]\nname='x'\n", "src/main.rs": "fn main(){}" });
    const c = await scanEnvironment(cargo.dir, "x");
    assert.equal(c.package_manager, "cargo");
    assert.deepEqual(c.commands, { test: "cargo test", lint: "cargo clippy", build: "cargo build" });
    const go = project({ "go.mod": "module x\n", "main.go": "package main" });
    assert.equal((await scanEnvironment(go.dir, "x")).commands.test, "go test ./...");
    const py = project({ "pyproject.toml": "[tool.pytest.ini_options]\n[tool.ruff]\n", "uv.lock": "", "app.py": "" });
    const s = await scanEnvironment(py.dir, "x");
    assert.equal(s.package_manager, "uv");
    assert.deepEqual(s.commands, { test: "uv run pytest", lint: "uv run ruff check ." });
    assert.deepEqual(s.languages, ["Python"]);
  });
});

void describe("scanEnvironment: git state and risks", () => {
  void it("lists uncommitted and untracked files and flags the dirty tree", async () => {
    const p = project(TS_PROJECT);
    p.write("src/a.ts", "export const a = 2;\n");
    p.write("src/new.ts", "");
    const scan = await scanEnvironment(p.dir, "Implement the export");
    assert.equal(scan.git.dirty, true);
    assert.deepEqual(scan.git.changed_files, ["src/a.ts", "src/new.ts"]);
    assert.equal(risk(scan, "dirty_tree")?.severity, "medium");
    assert.match(scan.recommended_approach, /^Commit or stash the uncommitted changes first/);
  });

  void it("raises the risk to high when the task names a file with uncommitted changes", async () => {
    const p = project(TS_PROJECT);
    p.write("src/a.ts", "export const a = 2;\n");
    const scan = await scanEnvironment(p.dir, "Fix the bug in src/a.ts");
    assert.equal(risk(scan, "task_files_uncommitted")?.severity, "high");
    assert.equal(risk(scan, "dirty_tree"), undefined);
    assert.equal(scan.risks[0]?.risk, "task_files_uncommitted"); // highest severity first
  });

  void it("flags a directory outside git", async () => {
    const p = project({ "a.py": "" }, { git: "none" });
    const scan = await scanEnvironment(p.dir, "x");
    assert.deepEqual(scan.git, { is_repo: false, branch: null, detached: false, has_commits: false, dirty: false, changed_files: [] });
    assert.equal(risk(scan, "not_a_git_repository")?.severity, "high");
    assert.match(scan.analysis, /not under git/);
  });

  void it("flags a repository with no commits, still naming its branch", async () => {
    const p = project({ "a.py": "" }, { git: "empty" });
    const scan = await scanEnvironment(p.dir, "x");
    assert.equal(scan.git.branch, "main");
    assert.equal(scan.git.has_commits, false);
    assert.deepEqual(scan.git.changed_files, ["a.py"]);
    assert.equal(risk(scan, "no_commits")?.severity, "high");
  });

  void it("flags a detached HEAD", async () => {
    const p = project(TS_PROJECT);
    p.git("checkout", "-q", "--detach");
    const scan = await scanEnvironment(p.dir, "x");
    assert.equal(scan.git.branch, null);
    assert.equal(scan.git.detached, true);
    assert.equal(risk(scan, "detached_head")?.severity, "medium");
  });

  void it("flags a repository larger than the walk's limit", async () => {
    const p = project(TS_PROJECT);
    const scan = await scanEnvironment(p.dir, "x", undefined, { walk: { maxFiles: 3, maxDepth: 16 } });
    assert.equal(scan.walk_truncated, true);
    assert.equal(scan.file_count, 3);
    assert.match(risk(scan, "large_repository")?.detail ?? "", /^More than 3 files/);
  });

  void it("flags security-sensitive tasks and paths that do not exist", async () => {
    const p = project(TS_PROJECT);
    const scan = await scanEnvironment(p.dir, "Add user authentication with OAuth2 in src/auth.ts");
    assert.equal(risk(scan, "security_sensitive")?.severity, "high");
    assert.match(risk(scan, "named_paths_missing")?.detail ?? "", /src\/auth\.ts/);
  });

  void it("refuses a directory that does not exist", async () => {
    await assert.rejects(
      scanEnvironment(path.join(project({}).dir, "missing"), "x"),
      (e: unknown) => e instanceof UserError && e.reason === "bad_directory",
    );
  });

  void it("stops when its signal is aborted", async () => {
    const p = project(TS_PROJECT);
    await assert.rejects(scanEnvironment(p.dir, "x", AbortSignal.abort()), { name: "AbortError" });
  });
});

void describe("scanEnvironment: S4's own complexity estimate", () => {
  void it("rates security work medium on its own, complex across files", async () => {
    const p = project(TS_PROJECT);
    assert.equal((await scanEnvironment(p.dir, "Add user authentication with OAuth2")).assessed_complexity, "medium");
    assert.equal((await scanEnvironment(p.dir, "Add a login token check to src/a.ts and src/b.ts")).assessed_complexity, "complex");
  });

  void it("rates a task naming four files, or three areas, complex", async () => {
    const p = project(TS_PROJECT);
    const four = await scanEnvironment(p.dir, "Update src/a.ts, src/b.ts, src/c.ts and src/d.ts");
    assert.equal(four.assessed_complexity, "complex");
    assert.match(four.assessment_basis, /names 4 paths/);
    assert.equal((await scanEnvironment(p.dir, "Change src/a.ts, docs/x.md and README.md")).assessed_complexity, "complex");
  });

  void it("rates sweeping work by the repository's size and languages", async () => {
    const small = project(TS_PROJECT);
    assert.equal((await scanEnvironment(small.dir, "Refactor the logging")).assessed_complexity, "medium");
    const poly = project({ ...TS_PROJECT, "py/a.py": "", "py/b.py": "", "py/c.py": "" });
    const scan = await scanEnvironment(poly.dir, "Refactor the logging");
    assert.equal(scan.assessed_complexity, "complex");
    assert.equal(risk(scan, "multi_language")?.severity, "low");
  });

  void it("rates a change naming files in two languages complex", async () => {
    const p = project(TS_PROJECT);
    assert.equal((await scanEnvironment(p.dir, "Port the helper from src/a.ts to tools/a.py")).assessed_complexity, "complex");
  });
});
