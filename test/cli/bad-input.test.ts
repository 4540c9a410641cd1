// Bad input is exit 2 with a message naming what is wrong and the fix, and nothing is attempted:
// project directories that are missing, files, unreadable or not git; malformed agent files and
// malformed `.viable/config.json`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { testEnv, viable, VIABLE_BIN, type CliResult } from "../support/cli.ts";
import { e2eProject, eventsOf } from "../support/e2e.ts";
import { makeProject } from "../support/project.ts";

void test("a directory that does not exist, or a file, is refused with exit 2 and the fix", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const missing = path.join(p.dir, "no", "such", "dir");
  for (const command of [["run", "Add a greeting function"], ["state"], ["log"], ["stop"]]) {
    const r = await viable([...command, "-d", missing]);
    assert.equal(r.code, 2, command[0]);
    assert.equal(r.stderr, `viable: -d/--dir: directory ${missing} does not exist\n  fix: pass an existing project directory with -d DIR\n`, command[0]);
  }
  assert.equal(fs.existsSync(missing), false, "nothing was created");

  const file = path.join(p.dir, "README.md");
  const r = await viable(["run", "Add a greeting function", "-d", file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file} is not a directory\\n {2}fix: pass the project's directory, not a file`));
});

void test("a directory outside any git repository is refused and told to git init", async (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-nogit-")));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = await viable(["run", "Add a greeting function", "-d", dir], { env: { GIT_CEILING_DIRECTORIES: path.dirname(dir) } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${dir} is not inside a git repository\\n {2}fix: run \`git init\` in ${dir}`));
  assert.equal(fs.existsSync(path.join(dir, ".viable")), false, "nothing was written into it");
});

/** Runs the CLI as an unprivileged user (nobody), for checks that root's capabilities bypass. */
function viableAsNobody(args: string[]): Promise<CliResult> {
  const child = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, VIABLE_BIN, ...args],
    { cwd: "/", env: testEnv({ HOME: "/" }), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

void test("an unreadable directory is refused with exit 2 and the chmod that fixes it", async (t) => {
  const p = makeProject();
  t.after(() => {
    fs.chmodSync(locked, 0o755);
    p.cleanup();
  });
  const locked = path.join(p.dir, "locked");
  fs.mkdirSync(locked);
  fs.chmodSync(locked, 0o000);
  const expected = new RegExp(`directory ${locked} is not readable\\n {2}fix: fix its permissions \\(e\\.g\\. chmod u\\+rx ${locked}\\)`);

  if (process.getuid?.() !== 0) {
    const r = await viable(["run", "Add a greeting function", "-d", locked]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, expected);
    return;
  }
  // As root, mode 000 does not stop anyone (CAP_DAC_OVERRIDE): what root sees is a readable
  // directory, inside the project's git work tree, so Viable rightly accepts it...
  const asRoot = await viable(["log", "--json", "-d", locked]);
  assert.equal(asRoot.code, 0, asRoot.stderr);
  assert.equal(asRoot.stdout.trim(), "[]");
  // ...and the refusal is checked as the user it is for: an unprivileged one.
  fs.chmodSync(p.dir, 0o755); // mkdtemp made it 0700: nobody could not even reach `locked`
  const r = await viableAsNobody(["run", "Add a greeting function", "-d", locked]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, expected);
});

void test("a malformed agent file is exit 2 naming the file and the field; nothing is attempted", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo should never run > ran.txt");
  const file = path.join(p.dir, ".viable", "agents", "tester.md");
  const cases: [string, RegExp][] = [
    ["---\nname: tester\nruntime: command\ncommand: echo hi\ntimeout: soon\n---\nYou test.\n", /\(timeout\): Invalid input: expected number, received string/],
    ["You test, but there is no front matter.\n", /\(front matter\): has no front matter/],
    ["---\nname: tester\n- a list item in a mapping\n---\n", /\(front matter line 3\): is not valid YAML/],
    ["---\nname: tester\nruntime: robot\n---\n", /\(runtime\): unknown runtime "robot"\n {2}fix: use one of: command, claude/],
    ["---\nname: tester\nruntime: command\n---\n", /\(command\): the command runtime needs a `command`/],
  ];
  // One broken file no longer disables the others: `viable agents` reports it, and only what
  // needs that agent fails.
  for (const [text, message] of cases) {
    fs.writeFileSync(file, text);
    const r = await p.viable("agents");
    assert.equal(r.code, 2, text);
    assert.match(r.stderr, /^viable: \S*\.viable\/agents\/tester\.md \(/m, text);
    assert.match(r.stderr, message, text);
    assert.match(r.stderr, /\n {2}fix: /, text);
  }
  assert.equal(p.exists("ran.txt"), false);
  assert.deepEqual(await eventsOf(p.dir), [], "no task was started");
});

void test("a broken agent file fails only the run that needs that agent, saying why; others run with a warning", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo done");
  p.write(".viable/agents/tester.md", "---\nname: tester\nruntime: robot\n---\n");
  p.commitAll("agents");
  const ok = await p.viable("run", "Add a greeting function", "--simple");
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /warning: agent tester is not available: \S*tester\.md \(runtime\): unknown runtime "robot"/);
  assert.equal(ok.stderr.split("\n").filter((l) => l.includes("tester")).length, 1, `one line for one broken file:\n${ok.stderr}`);

  // Now the agent a simple task needs is the broken one: no stand-in runs in its place.
  p.write(".viable/agents/generalist-coder.md", "---\nname: generalist-coder\nruntime: robot\ncommand: echo ran > ran.txt\n---\n");
  const needed = await p.viable("run", "Add a farewell function", "--simple");
  assert.equal(needed.code, 2, needed.stderr);
  assert.match(needed.stderr, /^viable: \S*generalist-coder\.md \(runtime\): this task needs the agent generalist-coder, whose file is broken: unknown runtime "robot"/m);
  assert.match(needed.stderr, /\n {2}fix: /);
  assert.ok(!needed.stderr.includes("internal error"), needed.stderr);
  assert.equal(p.exists("ran.txt"), false);
  const failed = (await eventsOf(p.dir)).filter((e) => e.event_type === "task_failed");
  assert.equal(failed.length, 1, "the task is recorded as failed, with the reason");
  assert.match(String((failed[0]?.data as { reason?: string }).reason), /whose file is broken/);
});

void test("a malformed .viable/config.json is exit 2 naming the field for commands that act, before anything is written; readers warn", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const config = path.join(p.dir, ".viable", "config.json");
  const cases: [string, RegExp][] = [
    ['{"verify": ["npm test"],}', /config\.json: is not valid JSON: .*\n {2}fix: fix the JSON syntax/],
    ['{"verfy": ["npm test"]}', /config\.json \(verfy\): Unrecognized key: "verfy"\n {2}fix: remove the unknown key/],
    ['{"defaults": {"timout": 30}}', /config\.json \(defaults\.timout\): Unrecognized key: "timout"\n {2}fix: remove the unknown key/],
    ['{"defaults": {"timeout": "ten"}}', /config\.json \(defaults\.timeout\): Invalid input: expected number, received string\n {2}fix: correct the value/],
    ['{"verify": "npm test"}', /config\.json \(verify\): Invalid input: expected array, received string/],
    ['{"approval": "maybe"}', /config\.json \(approval\): Invalid option: expected one of "ask"\|"approve"\|"reject"/],
  ];
  for (const [text, message] of cases) {
    p.write(".viable/config.json", text);
    const r = await viable(["run", "Add a greeting function", "-d", p.dir]);
    assert.equal(r.code, 2, `run with ${text}`);
    assert.ok(r.stderr.startsWith(`viable: ${config}`), r.stderr);
    assert.match(r.stderr, message, text);
    // A reader goes on (on the defaults, or without the unknown key) and says why.
    const state = await viable(["state", "-d", p.dir]);
    assert.equal(state.code, 0, `state with ${text}: ${state.stderr}`);
    assert.ok(state.stderr.startsWith(`viable: warning: ${config}`), state.stderr);
  }
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "state")), false, "no state was created");
});

void test("an older Node.js gets one line naming the Node needed and how to get it, exit 2, before anything loads", async () => {
  const old = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // This Node, told it is 20.11: the check reads process.versions like any Node would.
    const child = spawn(process.execPath, ["--import", 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.0"})', VIABLE_BIN, "state"], { env: testEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(old.code, 2);
  assert.equal(old.stdout, "");
  assert.match(old.stderr, /^viable: needs Node\.js 22\.13 or newer, this is v\d+\.\d+\.\d+\n {2}fix: install a current Node\.js/);
  assert.ok(!old.stderr.includes(" at "), old.stderr);
});
