// An agent that stops for a person on another machine (loop.on_needs_input: wait in a distributed
// loop): the real Claude Code on a worker is denied a command by its own permission rules and asks.
// The worker pushes what it did with the question; the coordinator puts it in the item's worktree
// on its own machine and waits. `viable attach` there opens a fresh claude in that worktree (the
// agent's conversation stayed on the worker); killed, the item waits again, and a person's answer
// in the dashboard sends the item back to a worker with it — and it merges.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { mirrorSocket } from "../../src/app/tmux-mirror.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { itemWorktreeDir } from "../../src/workspace/worktrees.ts";
import { startLoop } from "../loop/support.ts";
import { shell, text, writeFile } from "../support/model-server/script.ts";
import { waitFor } from "../support/e2e.ts";
import { testDatabase } from "../support/postgres.ts";
import { tmuxOn } from "../support/terminal.ts";
import { eventType, serve, sse } from "../server/support.ts";
import { machines } from "../swarm/support.ts";
import { explain, ofType, runtimeWorld } from "./world.ts";

void test("distributed: claude on a worker stops for a person; the coordinator waits with its work in a worktree here, a take-over opens a fresh session, and the answer from the dashboard goes back to a worker", { timeout: 300_000 }, async (t) => {
  const url = await testDatabase(t);
  const world = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      writeFile("draft.txt", "a first draft\n"),
      shell("touch guess.txt"),
      text("Which file name should I use?"),
      // Its next attempt, on a worker, told the person's answer:
      writeFile("answer.txt", "answered\n"),
      text("Wrote answer.txt as told."),
    ],
    // Claude's own rules, not bypassed: the agent file lets it write files and run one command; any other is refused.
    agents: { "generalist-coder": { fields: { tools: "Write, Bash(touch answer.txt)" } } },
    config: { verify: [], store: { url }, runtimes: { claude: { auto_approve: false } } },
  });
  const m = machines(t, world.env);
  const p = world.project;
  const features = [{ id: "a", name: "Item a", description: "a plain item that changes one file in the project tree", agent: "generalist-coder", verify: ["test -f answer.txt"] }];
  p.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  p.config({ ...JSON.parse(p.read(".viable/config.json")) as object, loop: { concurrency: 1, remote: m.remote, on_needs_input: "wait" } });
  p.commitAll("plan, distributed config");
  p.git("push", "--quiet", m.remote, "main");
  assert.equal((await world.viable("plan", "import", `${p.dir}/feature_list.json`)).code, 0);

  const worker = m.worker("m1");
  const socket = mirrorSocket(p.dir);
  t.after(() => void tmuxOn(socket, "kill-server"));
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const loop = startLoop(p.dir);
  const waiting = await waitFor(() => loop.events.find((e) => e.type === "item_waiting"), "item a waiting for a person", 120_000).catch((e: unknown) => {
    throw new Error(`${String(e)}\nworker: ${worker.lines.join("\n")}\nloop: ${JSON.stringify(loop.events)}`);
  });
  assert.match(waiting.question, /Which file name should I use\? \(permission denied for Bash: touch guess\.txt; rerun with permission to use it\)/);
  // The worker's unfinished work is here, as the agent left it: uncommitted, on the item's branch at the base.
  const wt = itemWorktreeDir(projectPaths(p.dir), "a");
  assert.equal(fs.readFileSync(path.join(wt, "draft.txt"), "utf8"), "a first draft\n");
  assert.equal(p.git("-C", wt, "status", "--porcelain").trim(), "?? draft.txt");
  assert.equal(p.git("-C", wt, "rev-parse", "HEAD").trim(), p.git("rev-parse", "main").trim());

  // A person takes it over here: claude opens fresh in that worktree (its session is on m1).
  const attach = world.start("attach", "a", "-d", p.dir);
  let said = "";
  attach.child.stderr!.on("data", (d: Buffer) => (said += d.toString()));
  await stream.waitFor((e) => eventType(e) === "item_taken_over", "the take-over seen by the loop", 30_000);
  await waitFor(() => /taken over/.test(said), "viable attach saying what it opened", 30_000);
  assert.match(said, /a taken over: claude, a fresh session \(the agent's own is on the worker that ran it\), in its worktree/);
  attach.child.kill("SIGKILL");
  await attach.done;
  await stream.waitFor((e) => eventType(e) === "item_handed_back", "the abandoned take-over", 30_000);

  // The question is asked again; the person answers it in the dashboard.
  const asked = await stream.waitFor((e, all) => all.filter((x) => eventType(x) === "approval_requested").indexOf(e) === 1, "the question asked again", 30_000);
  const approval = (JSON.parse(asked.data) as { data: { approval_id: string } }).data.approval_id;
  const answered = await s.api("POST", `/api/projects/${id}/approvals/${approval}`, { decision: "approve", comment: "Call it answer.txt" });
  assert.equal(answered.status, 200, JSON.stringify(answered.body));

  const run = await loop.done;
  const events = await world.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["a"]);
  assert.equal(p.git("show", "main:answer.txt"), "answered\n");
  assert.deepEqual(ofType(events, "item_answered").map((e) => [e.data.decision, e.data.answer, e.data.by]), [["retry", "Call it answer.txt", "dashboard"]]);
  // Both attempts ran on the worker; the second was told the question and the answer.
  assert.equal(worker.lines.filter((l) => l.startsWith("▶ a")).length, 2, worker.lines.join("\n"));
  const prompts = ofType(events, "agent_invoked").map((e) => String(e.data.prompt));
  assert.match(prompts.at(-1)!, /Your previous attempt stopped and asked: Which file name should I use\?[^\n]*\nA person answered: Call it answer\.txt\nGo on with the task accordingly\./);
  world.server.assertScriptConsumed();
});
