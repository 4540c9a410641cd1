// Every route of `viable serve`'s API against a project a real `viable loop` worked (command agents):
// what a dashboard reads, the actions it takes and how they are recorded, and bad input answered
// with the CLI's reason, message and fix.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROUTES } from "../../src/server/routes.ts";
import { loopProject, importPlan, type LoopProject } from "../loop/support.ts";
import { eventType, journalEvents, serve, sse, TOKEN, type Served } from "./support.ts";

type Json = Record<string, unknown>;
interface Item { id: string; status: string; attempts: number; cost_usd: number; blocked_reason: string | null }

/** a → b pass (each writes a file); c fails its verification and is blocked after its one attempt. */
async function workedProject(t: { after: (fn: () => void) => void }): Promise<LoopProject> {
  const p = loopProject(t, [
    { id: "a", name: "Write a" },
    { id: "b", dependencies: ["a"] },
    { id: "c", verify: ["echo verify-output-marker; exit 1"] },
  ], { config: { loop: { concurrency: 1, max_attempts: 1 } } });
  p.script(`echo "working on $VIABLE_ITEM_ID"; echo "$VIABLE_ITEM_ID" > "item-$VIABLE_ITEM_ID.txt"`);
  assert.equal((await importPlan(p)).code, 0);
  const r = await p.loop();
  assert.equal(r.of("item_passed").length, 2, r.stderr);
  return p;
}

void test("the read routes: projects, plan, item, diff, output, tasks, events, metrics, cost, approvals, jobs, OpenAPI", async (t) => {
  const p = await workedProject(t);
  const s = await serve(t, [p.dir]);

  const projects = await s.api<{ projects: Json[] }>("GET", "/api/projects");
  assert.equal(projects.status, 200);
  assert.equal(projects.body.projects.length, 1);
  const overview = projects.body.projects[0]!;
  const id = overview.id as string;
  assert.equal(overview.root, p.dir);
  assert.deepEqual((overview.plan as Json).counts, { pending: 0, running: 0, passed: 2, failed: 0, blocked: 1 });
  assert.equal(overview.holder, null, "no loop runs now");
  assert.equal(overview.kill_switch, null);
  assert.ok((overview.last_seq as number) > 0);
  assert.deepEqual((await s.api("GET", `/api/projects/${id}`)).body, overview);

  const plan = (await s.api<{ items: Item[]; critical_path: string[]; counts: Json; format: string }>("GET", `/api/projects/${id}/plan`)).body;
  assert.equal(plan.format, "feature-list");
  assert.deepEqual(plan.items.map((i) => [i.id, i.status]), [["a", "passed"], ["b", "passed"], ["c", "blocked"]]);
  assert.deepEqual(plan.critical_path, ["c"], "only c is unfinished");

  const a = (await s.api<{ item: Json; attempts: Json[]; verification: Json[]; events: Json[] }>("GET", `/api/projects/${id}/items/a`)).body;
  assert.equal(a.item.name, "Write a");
  assert.equal(a.attempts.length, 1);
  assert.equal((a.attempts[0]!.outcome as Json).status, "succeeded");
  assert.equal(a.attempts[0]!.has_output, true);
  assert.ok(a.events.some((e) => e.event_type === "item_passed"));
  const c = (await s.api<{ item: Item; verification: { passed: boolean; checks: { command: string; output_tail: string }[] }[] }>("GET", `/api/projects/${id}/items/c`)).body;
  assert.equal(c.item.status, "blocked");
  assert.equal(c.verification.length, 1);
  assert.equal(c.verification[0]!.passed, false);
  assert.match(c.verification[0]!.checks[0]!.output_tail, /verify-output-marker/);

  const diff = (await s.api<{ source: string; stat: { path: string; added: number }[]; diff: string }>("GET", `/api/projects/${id}/items/a/diff`)).body;
  assert.equal(diff.source, "merged");
  assert.deepEqual(diff.stat.map((f) => [f.path, f.added]), [["item-a.txt", 1]]);
  assert.match(diff.diff, /\+a/);

  const attemptId = a.attempts[0]!.id as string;
  const output = (await s.api<{ events: { type: string; text?: string }[]; done: boolean; next: number }>("GET", `/api/projects/${id}/attempts/${attemptId}/output`)).body;
  assert.deepEqual(output.events, [{ type: "text", text: "working on a" }]);
  assert.equal(output.done, true);
  const rest = (await s.api<{ events: unknown[] }>("GET", `/api/projects/${id}/attempts/${attemptId}/output?from=${output.next}`)).body;
  assert.deepEqual(rest.events, []);

  const events = (await s.api<{ events: { id: number }[]; last_seq: number }>("GET", `/api/projects/${id}/events?limit=5`)).body;
  assert.deepEqual(events.events.map((e) => e.id), [1, 2, 3, 4, 5]);
  const page2 = (await s.api<{ events: { id: number }[] }>("GET", `/api/projects/${id}/events?after=5&limit=3`)).body;
  assert.deepEqual(page2.events.map((e) => e.id), [6, 7, 8]);
  const passedOnly = (await s.api<{ events: { event_type: string }[] }>("GET", `/api/projects/${id}/events?type=item_passed`)).body;
  assert.deepEqual(passedOnly.events.map((e) => e.event_type), ["item_passed", "item_passed"]);

  const tasks = (await s.api<{ tasks: Json[] }>("GET", `/api/projects/${id}/tasks`)).body;
  assert.equal(tasks.tasks.length, 1, "the loop's run is one task");
  const task = (await s.api<{ task: Json; steps: Json[]; attempts: Json[] }>("GET", `/api/projects/${id}/tasks/${tasks.tasks[0]!.id as string}`)).body;
  assert.equal(task.attempts.length, 3, "its three item attempts");
  assert.ok(task.steps.some((e) => e.event_type === "loop_started"));

  const metrics = (await s.api<{ current: Json; history: unknown[]; health: unknown[] }>("GET", `/api/projects/${id}/metrics`)).body;
  assert.equal(typeof metrics.current.completion_rate, "number");
  const cost = (await s.api<{ attempts: number; by_item: { key: string; attempts: number }[]; by_runtime: { key: string }[] }>("GET", `/api/projects/${id}/cost`)).body;
  assert.equal(cost.attempts, 3);
  assert.deepEqual(cost.by_item.map((r) => r.key).sort(), ["a", "b", "c"]);
  assert.deepEqual(cost.by_runtime.map((r) => r.key), ["command"]);
  assert.deepEqual((await s.api("GET", `/api/projects/${id}/approvals`)).body, { approvals: [] });
  assert.deepEqual((await s.api("GET", `/api/projects/${id}/jobs`)).body, { jobs: [] });

  // The OpenAPI document lists every route the server answers, and nothing else.
  const doc = (await s.api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>("GET", "/api/openapi.json")).body;
  assert.equal(doc.openapi, "3.1.0");
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
  assert.deepEqual(documented, [...ROUTES.map((r) => `${r.method} ${r.path}`), "get /api/projects/{p}/stream"].sort());
});

void test("actions: retry and unblock an item, kill switch engaged and released from the dashboard, recorded with their source", async (t) => {
  const p = await workedProject(t);
  const s = await serve(t, [p.dir]);
  const id = (await s.api<{ projects: { id: string }[] }>("GET", "/api/projects")).body.projects[0]!.id;

  const refused = await s.api<{ error: Json }>("POST", `/api/projects/${id}/items/a/retry`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.reason, "conflict");
  assert.match(refused.body.error.message as string, /item "a" is passed/);

  const unblocked = await s.api<{ item: Item }>("POST", `/api/projects/${id}/items/c/unblock`);
  assert.equal(unblocked.status, 200, JSON.stringify(unblocked.body));
  assert.equal(unblocked.body.item.status, "pending");
  assert.equal(unblocked.body.item.attempts, 0);
  const after = (await s.api<{ items: Item[] }>("GET", `/api/projects/${id}/plan`)).body.items.find((i) => i.id === "c")!;
  assert.equal(after.status, "pending");
  const statusEvents = (await s.api<{ events: { data: Json }[] }>("GET", `/api/projects/${id}/events?type=item_status`)).body.events;
  assert.deepEqual(statusEvents.at(-1)!.data, { item: "c", status: "pending", previous: "blocked", action: "unblock", source: "dashboard" });

  const engaged = await s.api<{ kill_switch: Json }>("POST", `/api/projects/${id}/kill-switch`, { reason: "checking the tests" });
  assert.equal(engaged.status, 200);
  assert.equal(engaged.body.kill_switch.reason, "checking the tests");
  assert.equal(engaged.body.kill_switch.source, "dashboard");
  const overview = (await s.api<{ kill_switch: Json }>("GET", `/api/projects/${id}`)).body;
  assert.equal(overview.kill_switch.by, "dashboard");
  // The CLI sees it: a loop refuses to start.
  const loop = await p.loop();
  assert.equal(loop.code, 2);
  assert.match(loop.stderr, /kill switch is engaged .*checking the tests/);
  assert.deepEqual((await s.api("DELETE", `/api/projects/${id}/kill-switch`)).body, { released: true });
  assert.deepEqual((await s.api("DELETE", `/api/projects/${id}/kill-switch`)).body, { released: false });
  const kills = (await s.api<{ events: { data: Json }[] }>("GET", `/api/projects/${id}/events?type=kill_switch`)).body.events;
  assert.deepEqual(kills.map((e) => [e.data.engaged, e.data.source]), [[true, "dashboard"], [false, "dashboard"]]);
});

void test("bad input: unknown ids, bad JSON, wrong types and unknown routes answer 4xx with reason, message and fix", async (t) => {
  const p = await workedProject(t);
  const s = await serve(t, [p.dir]);
  const id = (await s.api<{ projects: { id: string }[] }>("GET", "/api/projects")).body.projects[0]!.id;
  const cases: [string, string, unknown, number, string, RegExp][] = [
    ["GET", "/api/projects/nope", undefined, 404, "not_found", /no project "nope"/],
    ["GET", `/api/projects/${id}/items/zz`, undefined, 404, "not_found", /no item "zz"/],
    ["GET", `/api/projects/${id}/items/zz/diff`, undefined, 404, "not_found", /no item "zz"/],
    ["POST", `/api/projects/${id}/items/zz/retry`, undefined, 404, "not_found", /no item "zz"/],
    ["GET", `/api/projects/${id}/tasks/nope`, undefined, 404, "not_found", /no task "nope"/],
    ["GET", `/api/projects/${id}/attempts/nope/output`, undefined, 404, "not_found", /no attempt "nope"/],
    ["GET", `/api/projects/${id}/attempts/..%2F..%2Fconfig.json/output`, undefined, 404, "not_found", /no attempt/],
    ["POST", `/api/projects/${id}/approvals/nope`, { decision: "approve" }, 404, "not_found", /no approval "nope"/],
    ["POST", `/api/projects/${id}/approvals/nope`, "{not json", 400, "bad_usage", /not valid JSON/],
    ["POST", `/api/projects/${id}/approvals/nope`, { decision: "maybe" }, 400, "bad_usage", /decision|Invalid option/],
    ["POST", `/api/projects/${id}/loop`, { concurrency: "two" }, 400, "bad_usage", /number/],
    ["POST", `/api/projects/${id}/loop`, { concurrency: 2, extra: true }, 400, "bad_usage", /extra|Unrecognized/],
    ["POST", `/api/projects/${id}/tasks`, { description: "   " }, 400, "bad_usage", /description|too small|>=1/],
    ["POST", `/api/projects/${id}/loop/stop`, undefined, 409, "conflict", /no loop is working/],
    ["GET", `/api/projects/${id}/events?after=-1`, undefined, 400, "bad_usage", /after|whole number/],
    ["GET", `/api/projects/${id}/events?limit=abc`, undefined, 400, "bad_usage", /whole number/],
    ["GET", `/api/projects/${id}/approvals?status=someday`, undefined, 400, "bad_usage", /unknown approval status/],
    ["GET", `/api/projects/${id}/tasks?limit=0`, undefined, 400, "bad_usage", /whole number from 1 to 500/],
    ["GET", "/api/nothing-here", undefined, 404, "not_found", /no such route/],
    ["GET", `/api/projects/${id}/stream?after=x`, undefined, 400, "bad_usage", /not a sequence number/],
  ];
  for (const [method, path, body, status, reason, message] of cases) {
    const r = await s.api<{ error: { reason: string; message: string; fix: string | null } }>(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.reason, reason, `${method} ${path}`);
    assert.match(`${r.body.error.message} ${(r.body.error as { field?: string }).field ?? ""}`, message, `${method} ${path}`);
    assert.ok(r.body.error.fix, `${method} ${path} names a fix`);
  }
  // Files outside the dashboard's own are not reachable either.
  for (const path of ["/assets/..%2F..%2Fpackage.json", "/assets/../../package.json", "/vendor/..%2Fpackage.json", "/assets/nope.js"]) {
    const r = await s.raw("GET", path, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(r.status, 404, path);
  }
});

export type { Served };

void test("several projects in one server: each under its own id, the same directory once, a fresh project before any writer", async (t) => {
  const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-serve-many-")));
  t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
  const dirs = ["one/shop", "two/shop"].map((rel) => {
    const dir = path.join(parent, rel);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("git", ["init", "-q", dir]);
    return dir;
  });
  const s = await serve(t, [dirs[0]!, dirs[1]!, dirs[0]!]);
  const projects = (await s.api<{ projects: { id: string; root: string; plan: unknown; last_seq: number }[] }>("GET", "/api/projects")).body.projects;
  assert.deepEqual(projects.map((p) => [p.id, p.root]), [["shop", dirs[0]], ["shop-2", dirs[1]]]);
  assert.deepEqual(projects.map((p) => [p.plan, p.last_seq]), [[null, 0], [null, 0]], "nothing recorded yet");
  const noPlan = await s.api<{ error: { reason: string; fix: string } }>("GET", "/api/projects/shop-2/plan");
  assert.equal(noPlan.status, 404);
  assert.equal(noPlan.body.error.reason, "no_plan");
  assert.match(noPlan.body.error.fix, /viable plan import/);
});

void test("jobs: a loop and a task started through the API run as the CLI would; one that cannot start says why", async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b", dependencies: ["a"] }]);
  p.script(`echo "$VIABLE_ITEM_ID" > "item-$VIABLE_ITEM_ID.txt"`);
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const jobEnded = (n: number) => stream.waitFor((e, all) => all.filter((x) => eventType(x) === "control_action" && (JSON.parse(x.data) as { data: Json }).data.action === "job_ended").length >= n, `job end #${n}`)
    .then(() => journalEvents(stream.events).filter((e) => e.event_type === "control_action" && e.data.action === "job_ended")[n - 1]!.data);

  const noPlan = await s.api<{ error: Json }>("POST", `/api/projects/${id}/loop`, {});
  assert.equal(noPlan.status, 404);
  assert.match(noPlan.body.error.fix as string, /plan import/);
  assert.equal((await importPlan(p)).code, 0);

  const started = await s.api<{ job: { id: string; kind: string; pid: number } }>("POST", `/api/projects/${id}/loop`, { concurrency: 1 });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  assert.equal(started.body.job.kind, "loop");
  const loopEnd = await jobEnded(1);
  assert.deepEqual([loopEnd.kind, loopEnd.exit_code], ["loop", 0], String(loopEnd.output_tail));
  assert.deepEqual((await s.api<{ items: Item[] }>("GET", `/api/projects/${id}/plan`)).body.items.map((i) => i.status), ["passed", "passed"]);
  const actions = journalEvents(stream.events).filter((e) => e.event_type === "control_action").map((e) => [e.data.action, e.data.source ?? null]);
  assert.deepEqual(actions, [["start_loop", "dashboard"], ["job_ended", null]]);

  // A task whose text looks like an option is still a task's text.
  p.agent("code-writer", "echo \"$VIABLE_TASK_ID\" >> task-ran.txt");
  p.commitAll("a task agent");
  const task = await s.api<{ job: { id: string } }>("POST", `/api/projects/${id}/tasks`, { description: "--auto-approve -v tidy the README" });
  assert.equal(task.status, 200, JSON.stringify(task.body));
  const taskEnd = await jobEnded(2);
  assert.equal(taskEnd.exit_code, 0, String(taskEnd.output_tail));
  const tasks = (await s.api<{ tasks: { description: string }[] }>("GET", `/api/projects/${id}/tasks`)).body.tasks;
  assert.equal(tasks[0]!.description, "--auto-approve -v tidy the README");

  // A loop that refuses to start (changes nobody committed): the job's end carries its error.
  p.write("uncommitted.txt", "work in progress\n");
  assert.equal((await s.api("POST", `/api/projects/${id}/loop`, {})).status, 200);
  const refused = await jobEnded(3);
  assert.equal(refused.exit_code, 2);
  assert.match(String(refused.output_tail), /uncommitted|--allow-dirty/);
  const jobs = (await s.api<{ jobs: { kind: string; exit_code: number; output_tail: string }[] }>("GET", `/api/projects/${id}/jobs`)).body.jobs;
  assert.deepEqual(jobs.map((j) => [j.kind, j.exit_code]), [["loop", 2], ["task", 0], ["loop", 0]]);
});
