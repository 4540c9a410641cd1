// S5 approvals answered from the dashboard: a `viable run` with nobody at its terminal waits while a
// server watches the project, and carries on with the answer; the first answer holds; with nobody
// answering in time it stops as before, saying so.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { json, startViable } from "../support/cli.ts";
import { e2eProject, eventsOf, ofType, seedMetrics, type CycleJson } from "../support/e2e.ts";
import { allAgentsRun } from "../support/project.ts";
import { eventType, serve, sse } from "./support.ts";

interface Approval { id: string; status: string; answered_by: string | null; question: string }

async function approvalProject(t: { after: (fn: () => void) => void }, config: Record<string, unknown> = {}) {
  const p = e2eProject({ config: { verify: ["true"], ...config } });
  t.after(() => p.cleanup());
  allAgentsRun(p, "echo \"$VIABLE_AGENT done\"");
  p.commitAll("agents");
  await seedMetrics(p.dir, { s3_s4_conflicts: 5, recent_s3_s4_conflicts: 5 });
  return p;
}

void test("approved in the dashboard: the waiting `viable run` continues, and the journal says who answered", async (t) => {
  const p = await approvalProject(t);
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const run = startViable(["run", "Add a greeting function", "--json", "-d", p.dir]);
  t.after(() => run.child.kill("SIGKILL"));

  await stream.waitFor((e) => eventType(e) === "approval_requested", "the approval request");
  const pending = (await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals`)).body.approvals;
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.status, "pending");
  assert.match(pending[0]!.question, /S5 approval required/);
  const answered = await s.api<{ approval: Approval }>("POST", `/api/projects/${id}/approvals/${pending[0]!.id}`, { decision: "approve", comment: "looks fine" });
  assert.equal(answered.status, 200, JSON.stringify(answered.body));
  assert.equal(answered.body.approval.status, "approved");
  assert.equal(answered.body.approval.answered_by, "dashboard");
  const again = await s.api<{ error: { reason: string; message: string } }>("POST", `/api/projects/${id}/approvals/${pending[0]!.id}`, { decision: "reject" });
  assert.equal(again.status, 409);
  assert.match(again.body.error.message, /already approved \(by dashboard\)/);

  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.equal(result.success, true);
  const events = await eventsOf(p.dir, result.task_id);
  assert.deepEqual(ofType(events, "policy_decision").map((e) => [e.data.decision, e.data.by, e.data.via]), [["approved", "user", "dashboard"]]);
  assert.deepEqual((await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals`)).body.approvals, []);
});

void test("nobody answers in time: the run stops with exit 2 and says so; the approval is recorded as expired", async (t) => {
  const p = await approvalProject(t, { approval_timeout: 0.3 });
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const r = await p.viable("run", "Add a greeting function");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /S5 approval needed — answer it within 0\.3s at http:\/\/127\.0\.0\.1:\d+\//, "the run said where to answer");
  assert.match(r.stderr, /nobody answered within 0\.3s .*rerun with --auto-approve/);
  const all = (await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals?status=all`)).body.approvals;
  assert.deepEqual(all.map((a) => [a.status, a.answered_by]), [["expired", "timeout"]]);
});

void test("without a server watching, a run off a terminal stops at once as before; a stopped server's presence does not count", async (t) => {
  const p = await approvalProject(t);
  const s = await serve(t, [p.dir]);
  const watchers = `${p.dir}/.viable/state/watchers`;
  assert.equal(fs.readdirSync(watchers).length, 1, "the server registered itself");
  await s.close();
  assert.equal(fs.existsSync(watchers) ? fs.readdirSync(watchers).length : 0, 0, "and removed itself");
  // A presence file left by a killed server names a process that is gone.
  fs.mkdirSync(watchers, { recursive: true });
  fs.writeFileSync(`${watchers}/serve-999999.json`, JSON.stringify({ pid: 999999, start: "1", kind: "serve", url: null }));
  const r = await p.viable("run", "Add a greeting function");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nobody is at a terminal to give it/);
  assert.deepEqual(fs.readdirSync(watchers), [], "the stale presence file was removed");
  // Nobody could be asked: no question is left for an inbox to offer.
  const again = await serve(t, [p.dir]);
  assert.deepEqual((await again.api<{ approvals: Approval[] }>("GET", `/api/projects/${again.projects[0]!.id}/approvals?status=all`)).body.approvals, []);
});

void test("a run stopped while it waits closes its question; an approval whose run has gone cannot be answered", async (t) => {
  const p = await approvalProject(t);
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const stream = await sse(s, `/api/projects/${id}/stream`);
  t.after(() => stream.close());
  const run = startViable(["run", "Add a greeting function", "-d", p.dir]);
  t.after(() => run.child.kill("SIGKILL"));
  await stream.waitFor((e) => eventType(e) === "approval_requested", "the approval request");
  run.child.kill("SIGINT");
  assert.equal((await run.done).code, 130);
  const all = (await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals?status=all`)).body.approvals;
  assert.deepEqual(all.map((a) => [a.status, a.answered_by]), [["expired", "stopped"]]);

  // Killed outright, it cannot close its question: the inbox does, and an answer is refused with why.
  const killed = startViable(["run", "Add a greeting function", "-d", p.dir]);
  await stream.waitFor((e, events) => events.filter((x) => eventType(x) === "approval_requested").length === 2, "the second request");
  killed.child.kill("SIGKILL");
  await killed.done;
  const orphan = (await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals?status=all`)).body.approvals[0]!;
  const refused = await s.api<{ error: { reason: string; message: string; fix: string } }>("POST", `/api/projects/${id}/approvals/${orphan.id}`, { decision: "approve" });
  assert.equal(refused.status, 409);
  assert.match(`${refused.body.error.message} ${refused.body.error.fix}`, /nobody waiting for it|already expired/);
  assert.deepEqual((await s.api<{ approvals: Approval[] }>("GET", `/api/projects/${id}/approvals`)).body.approvals, [], "no pending approval is offered");
});
