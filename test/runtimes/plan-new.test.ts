// `viable plan new` with the real Claude Code CLI against the scripted model server, whose script
// answers each step by writing the step's file: research, requirements as fenced JSON (unwrapped),
// a plan, a phase, and items — first cut off, then with an item depending on a later one (each
// refused and sent back with the problem), then right. The items are imported, ready for the loop.
// Without a terminal and without --auto-approve the run stops after a step for review, and
// `--resume` goes on from the next step without redoing any.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { launchBrowser, newPage, screenshot } from "../server/browser.ts";
import { serve } from "../server/support.ts";
import { call, stdioClient } from "../support/mcp-client.ts";
import { parseRun } from "../loop/support.ts";
import { createStreamHold, text, writeFile, type Step } from "../support/model-server/script.ts";
import { viableInTerminal } from "../support/terminal.ts";
import { startViable } from "../support/cli.ts";
import { explain, fakeCli, ofType, processesMarked, runtimeWorld } from "./world.ts";

const REQUEST = "Add a health endpoint";
const dirOf = () => `.viable/plans/${new Date().toISOString().slice(0, 10)}-add-a-health-endpoint`;

const requirements = { requirements: [{ id: "R1", text: "GET /health answers 200", acceptance: ["curl /health returns 200"], source: "a health endpoint" }] };
const item = (id: string, dependencies: string[] = []) => ({
  id, name: `Item ${id}`, description: `do ${id}`, dependencies, priority: 1, tests: [`${id} works`], verify: ["true"],
  complexity: { score: 3, reasoning: "small" }, requirements: ["R1"],
});

/** The scripted answers of the named steps, in order: each writes its file, then says so. */
function answers(d: string, steps: readonly string[], items: object[] = [item("route")]): Step[] {
  const files: Record<string, [string, string]> = {
    research: [`${d}/research.md`, "# Research\nThe server is src/server.js.\n"],
    requirements: [`${d}/requirements.json`, JSON.stringify(requirements)],
    plan: [`${d}/plan.md`, "# Plan\n"],
    phases: [`${d}/phases/01-route.md`, "# Phase 1\n"],
    items: [`${d}/items.json`, JSON.stringify({ items })],
  };
  return steps.flatMap((step) => [writeFile(...files[step]!), text(`${step} written.`)]);
}
const ALL = ["research", "requirements", "plan", "phases", "items"];

void test("plan new: every step by the real claude, fenced JSON unwrapped, a cut-off and a badly ordered answer sent back, the items imported", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      writeFile(`${d}/research.md`, "# Research\nThe server is in src/server.js; there is no health route.\n"), text("Research written."),
      writeFile(`${d}/requirements.json`, `Here are the requirements:\n\`\`\`json\n${JSON.stringify(requirements)}\n\`\`\`\n`), text("Requirements written."),
      writeFile(`${d}/plan.md`, "# Plan\nAdd a route in src/server.js.\n"), text("Plan written."),
      writeFile(`${d}/phases/01-route.md`, "# Phase 1\nThe route exists and answers.\n"), text("Phases written."),
      writeFile(`${d}/items.json`, '{"items": [{"id": "route", "name": "Route"'), text("Items written."),
      writeFile(`${d}/items.json`, JSON.stringify({ items: [item("route", ["test"]), item("test")] })), text("Items written again."),
      writeFile(`${d}/items.json`, JSON.stringify({ items: [item("route"), item("test", ["route"])] })), text("Items fixed."),
    ],
  });
  const r = await w.viable("plan", "new", REQUEST, "--auto-approve");
  const events = await w.events();
  assert.equal(r.code, 0, explain(r, events));
  assert.match(r.stdout, /✓ planned in \.viable\/plans\/\S+: 2 items in feature_list\.json imported; run `viable loop` to work them/);
  const dir = path.join(w.project.dir, d);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "requirements.json"), "utf8")), requirements, "the fence and the sentence unwrapped");
  assert.deepEqual(ofType(events, "planning_step_done").map((e) => e.data.step), ["research", "requirements", "plan", "phases", "items"]);
  // The refused answers reached the model with their problems.
  const told = w.server.turns().map((x) => JSON.stringify((x.body as { messages?: unknown[] }).messages?.[0] ?? ""));
  assert.ok(told.some((m) => /items\.json: the JSON is cut off/.test(m)), told.join("\n"));
  assert.ok(told.some((m) => /\\"route\\" depends on \\"test\\", which comes later/.test(m)), told.join("\n"));
  const shown = JSON.parse((await w.viable("plan", "show", "--json")).stdout) as { items: { id: string; dependencies: string[] }[] };
  assert.deepEqual(shown.items.map((i) => [i.id, i.dependencies]), [["route", []], ["test", ["route"]]]);
  // The generated plan directory, for people reading the test report.
  t.diagnostic(listing(dir));
  w.server.assertScriptConsumed();
});

function listing(dir: string, prefix = ""): string {
  return fs.readdirSync(dir).sort().map((f) => {
    const file = path.join(dir, f);
    return fs.statSync(file).isDirectory() ? `${prefix}${f}/\n${listing(file, `${prefix}  `)}` : `${prefix}${f} (${fs.statSync(file).size} bytes)\n`;
  }).join("");
}

void test("plan new without a terminal stops after a step for review; --resume goes on from the next step, nothing done twice", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: answers(d, ALL),
  });
  const first = await w.viable("plan", "new", REQUEST);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /research done; review it in \.viable\/plans\/\S+, then continue: viable plan new --resume \S+ \(or pass --auto-approve\)/);
  // The person edits the research before going on: the edit is what the next steps read.
  const research = path.join(w.project.dir, d, "research.md");
  fs.appendFileSync(research, "Also: the route must not need a login.\n");
  const resumed = await w.viable("plan", "new", "--resume", "--auto-approve");
  const events = await w.events();
  assert.equal(resumed.code, 0, explain(resumed, events));
  assert.match(fs.readFileSync(research, "utf8"), /must not need a login/, "the research was not redone");
  assert.deepEqual(ofType(events, "planning_step_done").map((e) => e.data.step), ["research", "requirements", "plan", "phases", "items"]);
  assert.equal(ofType(events, "agent_invoked").length, 5, "one attempt per step");
  w.server.assertScriptConsumed();
});

// A partial output of each step, as an agent cut off while writing it would leave it.
const PARTIAL: Record<string, [string, string]> = {
  research: ["research.md", "# Research\nsrc/ser"],
  requirements: ["requirements.json", '{"requirements": ['],
  plan: ["plan.md", "# Plan\nFirst"],
  phases: ["phases/01-half.md", "# Phase"],
  items: ["items.json", '{"items": [{"id": "ro'],
};

for (const step of ALL) {
  void test(`kill -9 of plan new during ${step}: --resume moves its partial output aside, redoes that step only, and no agent of the killed run is left`, { timeout: 180_000 }, async (t) => {
    const d = dirOf();
    const hold = createStreamHold();
    t.after(() => hold.release());
    const [file, partial] = PARTIAL[step]!;
    const before = ALL.slice(0, ALL.indexOf(step));
    const w = await runtimeWorld(t, {
      clis: ["claude"],
      script: [
        ...answers(d, before),
        // The step writes part of its file, then its model answer hangs: viable is killed.
        writeFile(`${d}/${file}`, partial), { reply: { text: "Still thinking", hold } },
        ...answers(d, ALL.slice(ALL.indexOf(step))),
      ],
    });
    const first = w.start("plan", "new", REQUEST, "--auto-approve");
    await hold.reached;
    first.child.kill("SIGKILL");
    await first.done;
    const resumed = await w.viable("plan", "new", "--resume", "--auto-approve");
    const events = await w.events();
    assert.equal(resumed.code, 0, explain(resumed, events));
    assert.deepEqual(ofType(events, "planning_step_done").map((e) => e.data.step), ALL, "each step once");
    const dir = path.join(w.project.dir, d);
    const output = file.split("/")[0]!;
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith(`${output}.partial-`));
    assert.equal(aside.length, 1, fs.readdirSync(dir).join(", "));
    const keptFile = path.join(dir, aside[0]!, ...file.split("/").slice(1));
    assert.equal(fs.readFileSync(keptFile, "utf8"), partial, "the interrupted step's output, kept aside");
    if (step === "phases") assert.deepEqual(fs.readdirSync(path.join(dir, "phases")), ["01-route.md"], "the half phase is not mixed in");
    const killed = ofType(events, "task_started")[0]!.task_id!;
    assert.deepEqual(processesMarked(`${killed}-`), [], "the killed run's agent was reaped");
    assert.ok(ofType(events, "task_failed").some((e) => e.task_id === killed), "the killed run recorded as interrupted");
    assert.ok(fs.existsSync(path.join(dir, "feature_list.json")), "the plan was written and imported");
    w.server.assertScriptConsumed();
  });
}

void test("a budget that runs out mid-pipeline stops it with the fix; --resume with a new budget goes on", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    // Each scripted attempt costs $0.00021: once two have run, the task budget refuses a third.
    config: { budgets: { task: { usd: 0.0003 } } },
    script: answers(d, ALL),
  });
  const r = await w.viable("plan", "new", REQUEST, "--auto-approve");
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /task budget exceeded: \$0\.0004 spent of \$0\.0003 during plan; raise it in \.viable\/config\.json \(budgets\); continue with: viable plan new --resume \S+/);
  assert.deepEqual(ofType(await w.events(), "planning_step_done").map((e) => e.data.step), ["research", "requirements"]);
  // A bigger budget, and on from where it stopped.
  const config = JSON.parse(w.project.read(".viable/config.json")) as Record<string, unknown>;
  w.project.write(".viable/config.json", JSON.stringify({ ...config, budgets: { task: { usd: 1 } } }));
  const resumed = await w.viable("plan", "new", "--resume", "--auto-approve");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(ofType(await w.events(), "planning_step_done").map((e) => e.data.step), ["research", "requirements", "plan", "phases", "items"]);
  w.server.assertScriptConsumed();
});

void test("between steps at a terminal: redo the research with a comment (the agent is told it), then stop, resumable", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      writeFile(`${d}/research.md`, "# Research\nsrc/server.js\n"), text("Research written."),
      writeFile(`${d}/research.md`, "# Research\nsrc/server.js and src/auth.js\n"), text("Research redone."),
    ],
  });
  const term = viableInTerminal(t, ["plan", "new", REQUEST, "-d", w.project.dir], { env: w.env });
  await term.waitFor(/research\.md: 2 lines; headings:\s+# Research[\s\S]*research is done: \.viable\/plans\/\S+\/research\.md[\s\S]*❯ Continue/, "the first review, with what the research holds");
  term.key("Down");
  await term.waitFor(/❯ Redo it with a comment/, "the redo choice");
  term.key("Enter");
  await term.waitFor(/What should change\?/, "the comment prompt");
  term.type("Look at the auth module too");
  await term.waitFor(/research is done[\s\S]*research is done[\s\S]*❯ Continue/, "the review of the redone research");
  term.key("Down");
  term.key("Down");
  await term.waitFor(/❯ Stop here/, "the stop choice");
  term.key("Enter");
  assert.equal(await term.exitCode(), 0, term.screen());
  assert.match(term.screen(), /stopped after research at your request; continue with: viable plan new --resume \.viable\/plans\//);
  const prompts = ofType(await w.events(), "agent_invoked").map((e) => String(e.data.prompt));
  assert.equal(prompts.length, 2);
  assert.match(prompts[1]!, /A person reviewed your previous version and asks: Look at the auth module too/);
  assert.match(fs.readFileSync(path.join(w.project.dir, d, "research.md"), "utf8"), /src\/auth\.js/);
  w.server.assertScriptConsumed();
});

void test("between steps without a terminal, an MCP client watching approves each step; a rejection with a comment has it redone", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    // Requirements twice: the second after the person's rejection with a comment.
    script: answers(d, ["research", "requirements", "requirements", "plan", "phases", "items"]),
  });
  const client = await stdioClient(t, w.project.dir);
  const mcp = async (name: string, args: Record<string, unknown> = {}) => (await call(client, name, args)).value;
  const run = w.start("plan", "new", REQUEST);
  t.after(() => run.child.kill("SIGKILL"));
  const answered: string[] = [];
  const done = run.done;
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const pending = ((await mcp("status")).pending_approvals as { id: string; question: string }[]).find((a) => !answered.includes(a.id));
    if (pending) {
      answered.push(pending.id);
      // The second question (requirements) is sent back once with a comment; the rest approved.
      const redo = answered.length === 2;
      await mcp("answer", { approval_id: pending.id, decision: redo ? "reject" : "approve", ...(redo ? { comment: "Add an acceptance test for a 503" } : {}) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await done;
  const events = await w.events();
  assert.equal(r.code, 0, explain(r, events));
  assert.equal(answered.length, 6, "research, requirements twice, plan, phases, items");
  assert.match(ofType(events, "agent_invoked").map((e) => String(e.data.prompt))[2]!, /asks: Add an acceptance test for a 503/);
  w.server.assertScriptConsumed();
});

void test("re-planning a project whose plan has results: the passed item stays passed, the dropped one is reported, and a loop with command agents works the rest to the end", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const worker = (id: string, dependencies: string[] = []) => ({ ...item(id, dependencies), agent: "worker" });
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: answers(d, ALL, [worker("route"), worker("test", ["route"])]),
  });
  w.project.write(".viable/agents/worker.md", '---\nname: worker\ndescription: "writes a file per item"\nruntime: command\ncommand: "echo done > \\"$VIABLE_ITEM_ID.txt\\""\n---\nWork.\n');
  // The plan as an earlier planning made it: route, and an item the new plan drops.
  const earlier = [worker("route"), worker("old")].map((i) => ({
    id: i.id, name: i.name, description: i.description, priority: i.priority, dependencies: i.dependencies, tests: i.tests, verify: i.verify, complexity: "simple", passes: false, agent: "worker",
  }));
  w.project.write("feature_list.json", `${JSON.stringify({ features: earlier }, null, 2)}\n`);
  w.project.commitAll("an earlier plan and a command agent");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const first = await w.viable("loop");
  assert.equal(first.code, 0, first.stderr + first.stdout);

  const r = await w.viable("plan", "new", REQUEST, "--auto-approve");
  assert.equal(r.code, 0, explain(r, await w.events()));
  assert.match(r.stdout, /2 items in feature_list\.json imported \(1 passed before, kept: route\)/);
  assert.match(r.stdout, /no longer in the plan: old \(their results stay in the log\)/);
  w.project.commitAll("the new plan");
  const loop = parseRun(await w.viable("loop", "--json"));
  assert.equal(loop.code, 0, explain(loop));
  assert.deepEqual(loop.of("item_started").map((e) => e.item), ["test"], "route is not redone");
  assert.equal(w.project.git("show", "main:test.txt"), "done\n");
  w.server.assertScriptConsumed();
});

void test("--research and --plan: the person's documents are used instead of those steps; no agent runs for them", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: answers(d, ["requirements", "phases", "items"]),
  });
  w.project.write("docs/research.md", "# Our research\nThe server is src/server.js.\n");
  w.project.write("docs/plan.md", "# Our plan\nOne route.\n");
  const r = await w.viable("plan", "new", REQUEST, "--research", `${w.project.dir}/docs/research.md`, "--plan", `${w.project.dir}/docs/plan.md`, "--format", "taskmaster", "--auto-approve");
  const events = await w.events();
  assert.equal(r.code, 0, explain(r, events));
  // As Task Master's own files: tasks numbered, and its complexity report beside them.
  assert.match(r.stdout, /1 items in tasks\.json imported/);
  const tasks = JSON.parse(fs.readFileSync(path.join(w.project.dir, d, "tasks.json"), "utf8")) as { master: { tasks: { id: number; title: string; verify: string[] }[] } };
  assert.deepEqual(tasks.master.tasks.map((x) => [x.id, x.title, x.verify]), [[1, "Item route", ["true"]]]);
  assert.ok(fs.existsSync(path.join(w.project.dir, d, "task-complexity-report.json")));
  const shown = JSON.parse((await w.viable("plan", "show", "--json")).stdout) as { format: string; items: { id: string; verify: string[] }[] };
  assert.deepEqual([shown.format, shown.items.map((i) => [i.id, i.verify])], ["taskmaster", [["1", ["true"]]]]);
  assert.equal(fs.readFileSync(path.join(w.project.dir, d, "plan.md"), "utf8"), "# Our plan\nOne route.\n");
  assert.deepEqual(ofType(events, "planning_step_done").map((e) => [e.data.step, e.data.provided !== null]),
    [["research", true], ["requirements", false], ["plan", true], ["phases", false], ["items", false]]);
  assert.equal(ofType(events, "agent_invoked").length, 3);
  w.server.assertScriptConsumed();
});

void test("--resume-step plan redoes plan, phases and items (their files kept aside), not research or requirements; an item naming an unknown agent is sent back", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const five = (tag: string) => [
    writeFile(`${d}/plan.md`, `# Plan ${tag}\n`), text("Plan written."),
    writeFile(`${d}/phases/01-route.md`, `# Phase 1 ${tag}\n`), text("Phases written."),
  ];
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      writeFile(`${d}/research.md`, "# Research\n"), text("Research written."),
      writeFile(`${d}/requirements.json`, JSON.stringify(requirements)), text("Requirements written."),
      ...five("one"),
      writeFile(`${d}/items.json`, JSON.stringify({ items: [item("route")] })), text("Items written."),
      ...five("two"),
      writeFile(`${d}/items.json`, JSON.stringify({ items: [{ ...item("route"), agent: "ghost" }] })), text("Items written."),
      writeFile(`${d}/items.json`, JSON.stringify({ items: [{ ...item("route"), agent: "generalist-coder" }] })), text("Items fixed."),
    ],
  });
  const refused = await w.viable("plan", "new", "--resume-step", "plan");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--resume-step[\s\S]*add --resume/);
  assert.equal((await w.viable("plan", "new", REQUEST, "--auto-approve")).code, 0);
  const redo = await w.viable("plan", "new", "--resume", "--resume-step", "plan", "--auto-approve");
  const events = await w.events();
  assert.equal(redo.code, 0, explain(redo, events));
  assert.deepEqual(ofType(events, "planning_step_done").map((e) => e.data.step), ["research", "requirements", "plan", "phases", "items", "plan", "phases", "items"]);
  const dir = path.join(w.project.dir, d);
  assert.equal(fs.readFileSync(path.join(dir, "plan.md"), "utf8"), "# Plan two\n");
  const aside = fs.readdirSync(dir).filter((f) => /^(plan\.md|phases|items\.json)\.redone-/.test(f)).map((f) => f.split(".redone-")[0]).sort();
  assert.deepEqual(aside, ["items.json", "phases", "plan.md"]);
  const told = w.server.turns().map((x) => JSON.stringify((x.body as { messages?: unknown[] }).messages?.[0] ?? ""));
  assert.ok(told.some((m) => /names the agent \\"ghost\\", which the project does not have/.test(m)), told.join("\n"));
  w.server.assertScriptConsumed();
});

void test("Ctrl-C at the terminal's review of a step: exit 130, the step kept, and --resume goes on from the next one", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: answers(d, ALL),
  });
  const term = viableInTerminal(t, ["plan", "new", REQUEST, "-d", w.project.dir], { env: w.env });
  await term.waitFor(/research is done[\s\S]*❯ Continue/, "the review of research");
  term.key("C-c");
  assert.equal(await term.exitCode(), 130, term.screen());
  assert.match(term.screen(), /interrupted during research; continue with: viable plan new --resume/);
  const resumed = await w.viable("plan", "new", "--resume", "--auto-approve");
  const events = await w.events();
  assert.equal(resumed.code, 0, explain(resumed, events));
  assert.deepEqual(ofType(events, "planning_step_done").map((e) => e.data.step), ["research", "requirements", "plan", "phases", "items"]);
  w.server.assertScriptConsumed();
});

void test("a planning step reviewed in the dashboard (Chromium): its approval reads Continue / Stop here, and stopping there ends the run for review", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, { clis: ["claude"], script: answers(d, ["research"]) });
  const s = await serve(t, [w.project.dir]);
  const id = s.projects[0]!.id;
  const browser = await launchBrowser(t);
  const problems: string[] = [];
  const page = await newPage(browser, problems);
  await page.goto(s.loginUrl);
  await page.goto(`${s.url}#/p/${id}/approvals`);
  const run = w.start("plan", "new", REQUEST);
  t.after(() => run.child.kill("SIGKILL"));
  const row = page.locator('[data-testid^="approval-"][data-status="pending"]').first();
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.innerText(), /the research step is done — review \.viable\/plans\/\S+\/research\.md\.\nresearch\.md: 2 lines; headings:\n\s*# Research\n/);
  const approvalId = (await row.getAttribute("data-testid"))!.replace("approval-", "");
  assert.equal(await page.getByTestId(`approve-${approvalId}`).innerText(), "Continue");
  assert.equal(await page.getByTestId(`reject-${approvalId}`).innerText(), "Stop here");
  await screenshot(page, "approval-planning");
  await page.getByTestId(`reject-${approvalId}`).click();
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /research done; review it in \S+, then continue: viable plan new --resume/);
  assert.deepEqual(problems, []);
  w.server.assertScriptConsumed();
});

void test("--format beads, the items step redone by codex: a beads export, created in beads with its own CLI, and imported with agents and checks", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": {}, "codex-planner": { fields: { runtime: "codex" } } },
    // Every step by claude; then the items once more, by codex.
    script: [...answers(d, ALL), ...answers(d, ["items"], [{ ...item("route"), agent: "generalist-coder" }, item("test", ["route"])])],
  });
  // beads' own CLI, as a stand-in that records how it was called (bd itself is a Go binary).
  const calls = path.join(w.project.dir, "..", `bd-calls-${process.pid}`);
  const bin = fakeCli(t, `echo "$PWD $*" >> ${JSON.stringify(calls)}; cp "$3" ${JSON.stringify(`${calls}.jsonl`)}; echo "Import complete: 2 created, 0 updated"`);
  fs.renameSync(bin, path.join(path.dirname(bin), "bd"));
  const env = { ...w.env, PATH: `${path.dirname(bin)}:${path.dirname(process.execPath)}:${process.env.PATH ?? ""}` };
  t.after(() => fs.rmSync(calls, { force: true }));
  const first = await startViable(["plan", "new", REQUEST, "--format", "beads", "--auto-approve", "-d", w.project.dir], { env }).done;
  assert.equal(first.code, 0, explain(first, await w.events()));
  // The format is remembered: the resume writes beads again without being told.
  const redo = await startViable(["plan", "new", "--resume", "--resume-step", "items", "--agent", "codex-planner", "--auto-approve", "-d", w.project.dir], { env }).done;
  const events = await w.events();
  assert.equal(redo.code, 0, explain(redo, events));
  assert.deepEqual(ofType(events, "agent_invoked").map((e) => e.data.runtime), ["claude", "claude", "claude", "claude", "claude", "codex"]);
  assert.match(redo.stdout, /2 items in issues\.jsonl imported/);
  assert.match(redo.stdout, /created as beads issues: bd import -i \.viable\/plans\/\S+\/issues\.jsonl: Import complete: 2 created/);
  const issuesFile = path.join(w.project.dir, d, "issues.jsonl");
  assert.deepEqual(fs.readFileSync(calls, "utf8").trim().split("\n").at(-1), `${fs.realpathSync(w.project.dir)} import -i ${fs.realpathSync(issuesFile)}`);
  const issues = fs.readFileSync(`${calls}.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; labels?: string[]; dependencies?: { depends_on_id: string }[] });
  assert.deepEqual(issues.map((i) => [i.id, i.labels ?? [], (i.dependencies ?? []).map((x) => x.depends_on_id)]), [["route", ["agent:generalist-coder"], []], ["test", [], ["route"]]]);
  const shown = JSON.parse((await w.viable("plan", "show", "--json")).stdout) as { format: string; items: { id: string; agent?: string; verify: string[] }[] };
  assert.deepEqual([shown.format, shown.items.map((i) => [i.id, i.agent ?? null, i.verify])], ["beads", [["route", "generalist-coder", ["true"]], ["test", null, ["true"]]]]);
  w.server.assertScriptConsumed();
});

void test("resumed at a terminal after kill -9 mid-step: asked what becomes of the step's partial output, and deleting it is done", { timeout: 180_000 }, async (t) => {
  const d = dirOf();
  const hold = createStreamHold();
  t.after(() => hold.release());
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      writeFile(`${d}/research.md`, "# Half a research\n"), { reply: { text: "Still thinking", hold } },
      ...answers(d, ALL),
    ],
  });
  const first = w.start("plan", "new", REQUEST, "--auto-approve");
  await hold.reached;
  first.child.kill("SIGKILL");
  await first.done;
  const term = viableInTerminal(t, ["plan", "new", "--resume", "--auto-approve", "-d", w.project.dir], { env: w.env });
  await term.waitFor(/An interrupted research step left \.viable\/plans\/\S+\/research\.md[\s\S]*❯ Keep it aside/, "the question about the partial research");
  term.key("Down");
  await term.waitFor(/❯ Delete it/, "the delete choice");
  term.key("Enter");
  assert.equal(await term.exitCode(), 0, term.screen());
  const dir = path.join(w.project.dir, d);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes(".partial-")), [], "nothing kept aside");
  assert.equal(fs.readFileSync(path.join(dir, "research.md"), "utf8"), "# Research\nThe server is src/server.js.\n");
  w.server.assertScriptConsumed();
});
