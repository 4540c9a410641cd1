// The permission broker with the real Claude Code CLI (scripted model server): the project's rules
// in Claude Code's syntax, applied to a claude agent instead of bypassing every prompt. An allowed
// command runs; a denied one is refused by the CLI and the agent told; an `ask` waits for a person
// and runs once the dashboard approves it; an ask nobody answers is denied when its time is up, with
// a reason that reaches the model. Each decision Viable made is in the journal.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { shell, text, writeFile } from "../support/model-server/script.ts";
import { parseRun } from "../loop/support.ts";
import { eventType, serve, sse } from "../server/support.ts";
import { viableInTerminal } from "../support/terminal.ts";
import { explain, ofType, processesMarked, runtimeWorld, TEST_TIMEOUT } from "./world.ts";

void test("claude under the broker: allow runs, deny is refused, ask is answered in the dashboard, an unanswered ask times out to deny", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      shell("touch allowed.txt"),
      shell("rm -f keep.txt"),
      shell("touch asked.txt"),
      shell("touch unanswered.txt"),
      text("Done what I was allowed to."),
    ],
    config: { permissions: { allow: ["Bash(touch allowed.txt)"], deny: ["Bash(rm:*)"], ask: ["Bash(touch asked.txt)", "Bash(touch unanswered.txt)"], ask_timeout: 10 } },
  });
  // ask_timeout also bounds the ask the test answers: the answer goes through the journal, the
  // server's tail of it, the stream and the broker's poll, which a loaded machine takes seconds for.
  w.project.write("keep.txt", "keep me\n");
  w.project.commitAll("a file the agent must not remove");
  // A dashboard watches the project; the test acts as the person in it.
  const s = await serve(t, [w.project.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const running = w.start("run", "Tidy the files", "--simple", "--json");
  t.after(() => running.child.kill("SIGKILL"));

  const first = await stream.waitFor((e) => eventType(e) === "approval_requested", "the first ask", 60_000);
  const request = (JSON.parse(first.data) as { data: { approval_id: string; question: string; subject: string } }).data;
  assert.equal(request.subject, "tool_use");
  assert.match(request.question, /asks to use Bash: touch asked\.txt/);
  const approved = await s.api("POST", `/api/projects/${id}/approvals/${request.approval_id}`, { decision: "approve" });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));

  const result = await running.done;
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  const dir = w.project.dir;
  assert.equal(fs.existsSync(path.join(dir, "allowed.txt")), true, "allowed by a rule");
  assert.equal(fs.readFileSync(path.join(dir, "keep.txt"), "utf8"), "keep me\n", "denied by a rule");
  assert.equal(fs.existsSync(path.join(dir, "asked.txt")), true, "approved in the dashboard");
  assert.equal(fs.existsSync(path.join(dir, "unanswered.txt")), false, "nobody answered");

  const decided = ofType(events, "permission_decided").map((e) => [e.data["request"], e.data["decision"], e.data["by"]]);
  assert.deepEqual(decided, [["Bash: touch asked.txt", "allow", "dashboard"], ["Bash: touch unanswered.txt", "deny", "timeout"]]);
  // The model was told why, in the tool's result.
  const told = w.server.turns().map((r) => JSON.stringify((r.body as { messages?: unknown[] }).messages?.at(-1) ?? ""));
  assert.ok(told.some((m) => /nobody answered within 10s \(permissions\.ask_timeout\)/.test(m)), told.join("\n"));
  assert.ok(told.some((m) => /rm -f keep\.txt has been denied/.test(m)), "the CLI's own denial reached it too");
  w.server.assertScriptConsumed();
});

void test("loop, claude under the broker: an ask nobody can answer is denied at once, the agent goes on, the item verifies and merges", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch pushed.txt"), writeFile("a.txt", "a\n"), text("Wrote a.txt; pushing was not allowed.")],
    config: { permissions: { allow: ["Write", "Edit"], ask: ["Bash(touch pushed.txt)"] } },
  });
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: ["test -f a.txt"] }];
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const run = parseRun(await w.viable("loop", "--json", "--concurrency", "1"));
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["a"]);
  assert.equal(w.project.git("show", "main:a.txt"), "a\n");
  assert.deepEqual(ofType(events, "permission_decided").map((e) => [e.data["request"], e.data["decision"], e.data["by"]]), [["Bash: touch pushed.txt", "deny", "nobody watching"]]);
  const told = w.server.turns().map((r) => JSON.stringify((r.body as { messages?: unknown[] }).messages?.at(-1) ?? ""));
  assert.ok(told.some((m) => /nobody is watching the project/.test(m)), told.join("\n"));
  w.server.assertScriptConsumed();
});

void test("claude under the broker at a terminal: the person there answers each ask (yes, then no), and the answers are recorded as theirs", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch asked.txt"), shell("touch refused.txt"), text("Did what I was let do.")],
    config: { permissions: { ask: ["Bash(touch:*)"], ask_timeout: 60 } },
  });
  const term = viableInTerminal(t, ["run", "Touch the files", "--simple", "-d", w.project.dir], { env: w.env });
  await term.waitFor(/asks to use Bash: touch asked\.txt\. Allow it\?/, "the first ask at the terminal");
  term.type("y");
  await term.waitFor(/asks to use Bash: touch refused\.txt\. Allow it\?/, "the second ask at the terminal");
  term.type("n");
  const code = await term.exitCode();
  const events = await w.events();
  assert.equal(code, 0, `${term.screen()}\n${events.map((e) => e.event_type).join(" ")}`);
  assert.equal(fs.existsSync(path.join(w.project.dir, "asked.txt")), true, "allowed at the terminal");
  assert.equal(fs.existsSync(path.join(w.project.dir, "refused.txt")), false, "refused at the terminal");
  assert.deepEqual(ofType(events, "permission_decided").map((e) => [e.data["request"], e.data["decision"], e.data["by"]]),
    [["Bash: touch asked.txt", "allow", "terminal"], ["Bash: touch refused.txt", "deny", "terminal"]]);
  const told = w.server.turns().map((r) => JSON.stringify((r.body as { messages?: unknown[] }).messages?.at(-1) ?? ""));
  assert.ok(told.some((m) => /Denied by a person \(terminal\) through Viable/.test(m)), told.join("\n"));
  w.server.assertScriptConsumed();
});

void test("loop at a terminal, claude under the broker: the ask comes up over the live status line and the person's yes lets the item merge", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch a.txt"), text("Made a.txt.")],
    config: { permissions: { ask: ["Bash(touch:*)"], ask_timeout: 60 } },
  });
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: ["test -f a.txt"] }];
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const term = viableInTerminal(t, ["loop", "--concurrency", "1", "-d", w.project.dir], { env: w.env });
  await term.waitFor(/asks to use Bash: touch a\.txt\. Allow it\?/, "the ask at the loop's terminal");
  term.type("y");
  const code = await term.exitCode();
  const events = await w.events();
  assert.equal(code, 0, `${term.screen()}\n${events.map((e) => e.event_type).join(" ")}`);
  assert.equal(w.project.git("show", "main:a.txt"), "");
  assert.deepEqual(ofType(events, "permission_decided").map((e) => [e.data["request"], e.data["decision"], e.data["by"]]), [["Bash: touch a.txt", "allow", "terminal"]]);
});

void test("Ctrl-C at the terminal's permission prompt stops the run like Ctrl-C anywhere: exit 130, the agent gone, nothing allowed", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch asked.txt"), text("Never reached.")],
    config: { permissions: { ask: ["Bash(touch:*)"], ask_timeout: 60 } },
  });
  const term = viableInTerminal(t, ["run", "Touch the file", "--simple", "-d", w.project.dir], { env: w.env });
  await term.waitFor(/asks to use Bash: touch asked\.txt\. Allow it\?/, "the ask at the terminal");
  term.key("C-c");
  assert.equal(await term.exitCode(), 130, term.screen());
  assert.equal(fs.existsSync(path.join(w.project.dir, "asked.txt")), false);
  const events = await w.events();
  assert.equal(ofType(events, "task_failed").length, 1, events.map((e) => e.event_type).join(" "));
  assert.deepEqual(processesMarked(ofType(events, "task_started")[0]!.task_id!), [], "no process of the run is left");
});
