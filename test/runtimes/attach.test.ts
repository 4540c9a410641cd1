// Taking over an agent's session, as a person would: the real Claude Code CLI, driven by the
// scripted model server, is denied a command it needs (its own permission rules, not bypassed) and
// stops for input; the loop keeps its worktree and waits (loop.on_needs_input: wait). `viable
// attach` opens claude's own session, resumed, in tmux on Viable's socket; the test reads the pane
// and types into it (text, then Enter), lets the command run, exits — and the loop verifies and
// merges the item. And when `viable attach` is killed with the session open, the loop ends that
// session, waits again, and a person's answer in the dashboard (in Chromium) sends the agent back
// to work.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { mirrorSocket } from "../../src/app/tmux-mirror.ts";
import { call, stdioClient } from "../support/mcp-client.ts";
import { parseRun } from "../loop/support.ts";
import { shell, text } from "../support/model-server/script.ts";
import { tmuxOn, until, viableInTerminal } from "../support/terminal.ts";
import { launchBrowser, newPage, screenshot } from "../server/browser.ts";
import { eventType, serve, sse } from "../server/support.ts";
import { explain, ofType, runtimeWorld, type World } from "./world.ts";

const TIMEOUT = { timeout: 180_000 };

/** A plan of one item whose claude agent is not allowed to run commands on its own. */
async function waitingWorld(t: Parameters<typeof runtimeWorld>[0], script: Parameters<typeof runtimeWorld>[1]["script"], verify = "test -f answer.txt"): Promise<World> {
  const w = await runtimeWorld(t, {
    clis: ["claude"], script,
    config: { runtimes: { claude: { auto_approve: false } }, loop: { on_needs_input: "wait" } },
  });
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: [verify] }];
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  return w;
}

/**
 * What the person's own Claude Code has settled long ago, in the test's scratch HOME: onboarding
 * done, the API key approved. (The item's worktree is new to it: the person trusts it on screen.)
 */
function claudeSetUpForAPerson(w: World): void {
  const file = path.join(w.env.HOME!, ".claude.json");
  const before = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown> : {};
  fs.writeFileSync(file, JSON.stringify({
    ...before, hasCompletedOnboarding: true, customApiKeyResponses: { approved: [w.env.ANTHROPIC_API_KEY], rejected: [] },
  }));
}

/**
 * `viable loop --json` started on the world's project, once item a waits for a person: the loop,
 * its output so far, the `item_waiting` event, and Viable's tmux socket (cleaned up after).
 */
async function loopUntilWaiting(t: Parameters<typeof runtimeWorld>[0], w: World) {
  const socket = mirrorSocket(w.project.dir);
  t.after(() => void tmuxOn(socket, "kill-server"));
  const loop = w.start("loop", "--json");
  t.after(() => loop.child.kill("SIGKILL"));
  let text = "";
  loop.child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  const out = () => text;
  const waiting = await until(() => loopEventsOf(text).find((e) => e.event_type === "item_waiting"), "item a to wait for a person", 90_000, out);
  return { loop, out, waiting, socket };
}

function loopEventsOf(stdout: string): { event_type: string; data: Record<string, unknown> }[] {
  return stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as { event_type: string; data: Record<string, unknown> });
}

void test("viable attach: the person answers in claude's resumed session in tmux, the command runs, they exit, and the loop verifies and merges", TIMEOUT, async (t) => {
  const w = await waitingWorld(t, [
    shell("touch answer.txt"),
    text("I am not allowed to run `touch answer.txt`. May I?"),
    // In the person's session:
    shell("touch answer.txt"),
    text("Created answer.txt."),
  ]);
  claudeSetUpForAPerson(w);
  const { loop, waiting, socket } = await loopUntilWaiting(t, w);
  assert.match(String(waiting.data.question), /May I\? \(permission denied for Bash: touch answer\.txt; rerun with permission to use it\)/);

  const shown = await w.viable("plan", "show");
  assert.match(shown.stdout, /\? a .*waits for a person: I am not allowed to run `touch answer\.txt`\. May I\?.*\(take it over: viable attach a\)/);

  // The person runs `viable attach` at their terminal: claude's session opens right there.
  const term = viableInTerminal(t, ["attach", "a", "-d", w.project.dir], { env: w.env });
  const screen = () => term.screen();
  /**
   * The person at the screen: until `done` shows, presses the key `keyFor` picks for what the
   * screen shows now — at most one a second, as the TUI redraws (and can drop a key) meanwhile.
   */
  const respond = async (what: string, done: (s: string) => boolean, keyFor: (s: string) => string | null) => {
    let last = 0;
    await until(() => {
      const s = screen();
      if (done(s)) return true;
      const key = keyFor(s);
      if (key !== null && Date.now() - last >= 1000) {
        last = Date.now();
        term.key(key);
      }
      return false;
    }, what, 60_000, screen);
  };
  // A new folder to claude: the person trusts the item's worktree.
  await respond("the session, past the trust question", (s) => /\? for shortcuts/.test(s),
    (s) => (/❯ Yes, I trust this folder/.test(s) ? "Enter" : /❯ No, exit/.test(s) ? "Down" : null));
  // The agent's own conversation, resumed: its question is on the screen, waiting for the person.
  await until(() => /May I\?/.test(screen()) && /\? for shortcuts/.test(screen()), "claude's resumed session with the agent's question", 60_000, screen);
  assert.notEqual(tmuxOn(socket, "has-session", "-t", "=item-a"), null, "on Viable's own socket, named after the item");
  term.type("Yes, go ahead.");
  // claude asks the person to allow the command it was denied headless; they allow it.
  await respond("the agent's reply after the command ran", (s) => /Created answer\.txt\./.test(s), (s) => (/Do you want to proceed\?[\s\S]*❯ 1\. Yes/.test(s) ? "Enter" : null));
  term.type("/exit");
  assert.equal(await term.exitCode(), 0, term.screen());
  assert.match(term.screen(), /a handed back after \d+s; the loop verifies and merges it now/);

  const run = parseRun(await loop.done);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["a"]);
  assert.equal(w.project.git("show", "main:answer.txt"), "");
  const [takenOver] = ofType(events, "item_taken_over");
  const [handedBack] = ofType(events, "item_handed_back");
  assert.ok(takenOver && handedBack, "taken over and handed back, both recorded");
  assert.equal(typeof takenOver.data.by, "string");
  assert.equal(takenOver.data.by, handedBack.data.by);
  assert.equal(handedBack.data.status, "ended");
  assert.equal(typeof handedBack.data.seconds, "number");
  assert.equal(tmuxOn(socket, "has-session", "-t", "=item-a"), null, "the session ended with the CLI");
  w.server.assertScriptConsumed();
});

void test("kill -9 of viable attach with the session open: the loop ends that session, waits again, and an answer from the dashboard retries the agent with it", TIMEOUT, async (t) => {
  const w = await waitingWorld(t, [
    shell("touch guess.txt"),
    text("Which file name should I use?"),
    // Its next attempt, told the person's answer:
    text("Understood: answer.txt it is."),
  ], "true");
  claudeSetUpForAPerson(w);
  const socket = mirrorSocket(w.project.dir);
  t.after(() => void tmuxOn(socket, "kill-server"));
  const s = await serve(t, [w.project.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const loop = w.start("loop", "--json");
  t.after(() => loop.child.kill("SIGKILL"));
  await stream.waitFor((e) => eventType(e) === "item_waiting", "item a waiting", 90_000);

  const attach = w.start("attach", "a");
  await stream.waitFor((e) => eventType(e) === "item_taken_over", "the take-over seen by the loop", 30_000);
  // The take-over is recorded before its session opens: the session comes a moment later.
  await until(() => tmuxOn(socket, "has-session", "-t", "=item-a") !== null, "the take-over's tmux session");
  attach.child.kill("SIGKILL");
  await attach.done;
  await stream.waitFor((e) => eventType(e) === "item_handed_back", "the abandoned take-over", 30_000);
  assert.equal(tmuxOn(socket, "has-session", "-t", "=item-a"), null, "the loop ended the orphaned session");

  // The question is asked again: the take-over had closed the first one.
  await stream.waitFor((e, all) => all.filter((x) => eventType(x) === "approval_requested").indexOf(e) === 1, "a new question after the abandoned take-over", 30_000);
  // In the dashboard: the item shows the agent's question; the person answers it in the inbox.
  const browser = await launchBrowser(t);
  const problems: string[] = [];
  const page = await newPage(browser, problems);
  await page.goto(s.loginUrl);
  await page.goto(`${s.url}#/p/${id}/items/a`);
  const notice = page.getByTestId("item-question");
  await notice.waitFor({ timeout: 30_000 });
  assert.match(await notice.innerText(), /Which file name should I use\?[\s\S]*viable attach a/);
  await screenshot(page, "item-waiting");
  await page.goto(`${s.url}#/p/${id}/approvals`);
  const row = page.locator('[data-testid^="approval-"][data-status="pending"]').first();
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), /a: Which file name should I use\? \(permission denied for Bash: touch guess\.txt;/);
  const approvalId = (await row.getAttribute("data-testid"))!.replace("approval-", "");
  await page.getByTestId(`comment-${approvalId}`).fill("Call it answer.txt");
  assert.equal(await page.getByTestId(`approve-${approvalId}`).innerText(), "Answer & retry");
  await screenshot(page, "approval-question");
  await page.getByTestId(`approve-${approvalId}`).click();

  const run = parseRun(await loop.done);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(ofType(events, "item_handed_back").map((e) => e.data.status), ["abandoned"]);
  assert.deepEqual(ofType(events, "item_answered").map((e) => [e.data.decision, e.data.answer, e.data.by]), [["retry", "Call it answer.txt", "dashboard"]]);
  const prompts = ofType(events, "agent_invoked").map((e) => String(e.data.prompt));
  // Nothing of the first attempt's was worth keeping (its one command was denied): no branch to name.
  assert.match(prompts.at(-1)!, /Your previous attempt stopped and asked: Which file name should I use\? \(permission denied for Bash: touch guess\.txt; rerun with permission to use it\)\nA person answered: Call it answer\.txt\nGo on with the task accordingly\./);
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["a"]);
  assert.deepEqual(problems, []);
  w.server.assertScriptConsumed();
});

void test("loop.on_needs_input block: an agent that stops for input blocks its item at once, with its question as the reason", TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch answer.txt"), text("I may not run touch. Should I?")],
    config: { runtimes: { claude: { auto_approve: false } }, loop: { on_needs_input: "block", max_attempts: 3 } },
  });
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: ["test -f answer.txt"] }];
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const run = parseRun(await w.viable("loop", "--json"));
  assert.equal(run.code, 1, explain(run));
  assert.deepEqual(run.of("item_blocked").map((e) => [e.item, e.reason]),
    [["a", "the agent stopped for a person (loop.on_needs_input: block): I may not run touch. Should I? (permission denied for Bash: touch answer.txt; rerun with permission to use it)"]]);
  assert.equal(run.of("item_started").length, 1, "not retried");
  w.server.assertScriptConsumed();
});

void test("with no loop running: the loop stopped while the item waited; the person takes it over and edits; the next loop verifies and merges it", TIMEOUT, async (t) => {
  const w = await waitingWorld(t, [shell("touch answer.txt"), text("I may not run touch. Should I?")]);
  claudeSetUpForAPerson(w);
  const { loop, socket } = await loopUntilWaiting(t, w);
  loop.child.kill("SIGINT");
  assert.equal((await loop.done).code, 130);
  assert.match((await w.viable("plan", "show")).stdout, /\? a .*waits for a person: I may not run touch\. Should I\?/);

  const attach = w.start("attach", "a");
  t.after(() => attach.child.kill("SIGKILL"));
  const screen = () => tmuxOn(socket, "capture-pane", "-p", "-t", "=item-a:") ?? "";
  await until(() => /trust this folder|\? for shortcuts/.test(screen()), "claude's session", 60_000, screen);
  // The person makes the change in the item's worktree (an editor beside the session), then exits.
  fs.writeFileSync(path.join(w.project.dir, ".viable", "state", "worktrees", "a", "answer.txt"), "");
  tmuxOn(socket, "kill-session", "-t", "=item-a");
  const attached = await attach.done;
  assert.equal(attached.code, 0, attached.stderr);
  assert.match(attached.stderr, /a handed back after \d+s; run `viable loop` to verify and merge it/);

  const run = parseRun(await w.viable("loop", "--json"));
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["a"]);
  assert.equal(run.of("item_started").filter((e) => e.resumed === true).length, 1, "taken on at verification, no agent ran again");
  assert.equal(w.project.git("show", "main:answer.txt"), "");
});

void test("the loop stops (its session limit) while an item waits for a person: it ends at once, and the item waits for the next run", TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch answer.txt"), text("I may not run touch. Should I?"), text("Item b needs nothing.")],
    config: { runtimes: { claude: { auto_approve: false } }, loop: { on_needs_input: "wait", concurrency: 1 } },
  });
  // a stops for a person; b runs meanwhile (the second and last session); c is left for the next run.
  const features = [["a", "test -f answer.txt"], ["b", "true"], ["c", "true"]].map(([id, verify]) => ({
    id, name: `Item ${id}`, description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: [verify],
  }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const run = parseRun(await w.viable("loop", "--json", "--max-sessions", "2"));
  const events = await w.events();
  assert.equal(run.code, 1, explain(run, events));
  assert.equal(run.of("loop_finished")[0]?.outcome, "max_sessions");
  assert.deepEqual(run.of("item_waiting").map((e) => e.item), ["a"]);
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["b"]);
  const shown = await w.viable("plan", "show", "--json");
  const a = (JSON.parse(shown.stdout) as { items: { id: string; phase: string | null }[] }).items.find((i) => i.id === "a");
  assert.equal(a?.phase, "needs_input", "still waiting, its worktree kept");
  assert.deepEqual(ofType(events, "approval_answered").map((e) => [e.data.status, e.data.by]), [["expired", "stopped"]], "its question closed with the run");
  w.server.assertScriptConsumed();
});

void test("an agent's question through MCP: the item tool shows it, and `answer` rejecting it blocks the item", TIMEOUT, async (t) => {
  const w = await waitingWorld(t, [shell("touch answer.txt"), text("I may not run touch. Should I?")]);
  const client = await stdioClient(t, w.project.dir);
  const mcp = async (name: string, args: Record<string, unknown> = {}) => (await call(client, name, args)).value;
  const loop = w.start("loop", "--json");
  t.after(() => loop.child.kill("SIGKILL"));
  let pending: { id: string; question: string } | undefined;
  for (const deadline = Date.now() + 90_000; pending === undefined; await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the question in MCP's status");
    pending = ((await mcp("status")).pending_approvals as { id: string; question: string }[])[0];
  }
  assert.match(pending.question, /^a: I may not run touch\. Should I\?/);
  const item = await mcp("item", { id: "a" });
  assert.equal(item.phase, "needs_input");
  assert.deepEqual(item.waits_for_person, { take_over: "viable attach a" });
  assert.match(String(item.last_error), /^The agent asked: I may not run touch\. Should I\?/);
  assert.deepEqual(await mcp("answer", { approval_id: pending.id, decision: "reject", comment: "not this one" }), { approval: { id: pending.id, status: "rejected", answered_by: "mcp" } });
  const run = parseRun(await loop.done);
  assert.equal(run.code, 1, explain(run));
  assert.deepEqual(run.of("item_blocked").map((e) => [e.item, e.reason]), [["a", "blocked by mcp (not this one) when the agent asked: I may not run touch. Should I? (permission denied for Bash: touch answer.txt; rerun with permission to use it)"]]);
});

void test("a CLI that cannot resume: its message stays until the person presses Enter, nothing is handed back, and the loop asks again", TIMEOUT, async (t) => {
  const w = await waitingWorld(t, [shell("touch answer.txt"), text("I may not run touch. Should I?")]);
  const { out, socket } = await loopUntilWaiting(t, w);
  // The person's claude is broken now (a CLI that cannot resume the session).
  const broken = path.join(w.scratch.root, "broken-claude");
  fs.writeFileSync(broken, "#!/bin/sh\necho 'No conversation found with that session ID'\nexit 1\n", { mode: 0o755 });
  const config = JSON.parse(w.project.read(".viable/config.json")) as { runtimes: { claude: Record<string, unknown> } };
  config.runtimes.claude.bin = broken;
  w.project.write(".viable/config.json", JSON.stringify(config));
  const attach = w.start("attach", "a");
  t.after(() => attach.child.kill("SIGKILL"));
  const screen = () => tmuxOn(socket, "capture-pane", "-p", "-t", "=item-a:") ?? "";
  await until(() => /No conversation found[\s\S]*exited with status 1: the item is not handed back\. Press Enter to close\./.test(screen()), "the CLI's failure on screen", 30_000, screen);
  tmuxOn(socket, "send-keys", "-t", "=item-a:", "Enter");
  const attached = await attach.done;
  assert.equal(attached.code, 1, attached.stderr);
  assert.match(attached.stderr, /a not handed back \(the CLI failed, or the take-over was given up\); it waits for a person again/);
  // The loop records the take-over given up and asks again: two waits, two questions.
  await until(() => loopEventsOf(out()).filter((e) => e.event_type === "item_handed_back").length === 1, "the abandoned take-over in the loop", 30_000, out);
  const handedBack = loopEventsOf(out()).find((e) => e.event_type === "item_handed_back")!;
  assert.equal(handedBack.data.status, "abandoned");
  await until(() => loopEventsOf(out()).filter((e) => e.event_type === "approval_requested").length === 2, "the question asked again", 30_000, out);
  assert.equal(loopEventsOf(out()).filter((e) => e.event_type === "item_passed").length, 0);
});

void test("at the loop's terminal: the agent's question comes up there, the person answers it, and the agent's next attempt is told the answer", TIMEOUT, async (t) => {
  // No loop.on_needs_input: at a terminal the item waits (the default there).
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [shell("touch guess.txt"), text("Which port should the server use?"), text("Using port 8080 as told.")],
    config: { runtimes: { claude: { auto_approve: false } } },
  });
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: ["true"] }];
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const term = viableInTerminal(t, ["loop", "-d", w.project.dir], { env: w.env });
  await term.waitFor(/a waits for you — the agent asked: Which port should the server use\?[\s\S]*❯ Answer it here/, "the question at the terminal");
  term.key("Enter");
  await term.waitFor(/Your answer/, "the answer prompt");
  term.type("Use port 8080");
  assert.equal(await term.exitCode(), 0, term.screen());
  assert.match(term.screen(), /⇆ a answered by terminal: retry — "Use port 8080"/);
  const events = await w.events();
  assert.deepEqual(ofType(events, "item_answered").map((e) => [e.data.decision, e.data.answer, e.data.by]), [["retry", "Use port 8080", "terminal"]]);
  assert.match(String(ofType(events, "agent_invoked").at(-1)?.data.prompt), /A person answered: Use port 8080/);
  w.server.assertScriptConsumed();
});
