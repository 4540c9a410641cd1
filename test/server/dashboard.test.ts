// The dashboard as a person uses it, in headless Chromium, against `viable serve` and a `viable loop`
// started from the CLI in another process: items turn green as they pass, an item's agent output
// arrives while it runs, the loop is stopped from the browser, the server restarts mid-loop and the
// page resumes without losing an event; an S5 approval is given in the browser and the waiting
// `viable run` continues; the kill switch; and requests without the token or from another site are
// refused. Screenshots of the main pages go to test-artifacts/screenshots/.

import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { test } from "node:test";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { json, startViable } from "../support/cli.ts";
import { e2eProject, eventsOf, ofType, seedMetrics, type CycleJson } from "../support/e2e.ts";
import { allAgentsRun } from "../support/project.ts";
import { importPlan, loopProject, startLoop } from "../loop/support.ts";
import { launchBrowser, loggedIn, screenshot, startServe } from "./browser.ts";

async function journal(dir: string): Promise<{ lastSeq: number; types: string[]; data: Record<string, unknown>[] }> {
  const store = await openStore(projectPaths(dir), { writer: false, command: "test" });
  try {
    const events = await store.queries.events({});
    return { lastSeq: events.at(-1)?.id ?? 0, types: events.map((e) => e.event_type), data: events.map((e) => e.data) };
  } finally {
    await store.close();
  }
}

void test("a loop from the CLI, watched, restarted around and stopped from the browser; live agent output; no event lost", async (t) => {
  const p = loopProject(t, [{ id: "a", name: "Write the parser" }, { id: "b", name: "Wire the CLI", dependencies: ["a"] }, { id: "c", name: "Document it", dependencies: ["b"] }],
    { config: { loop: { concurrency: 1 } } });
  p.script(`echo "line one $VIABLE_ITEM_ID"; while [ ! -f '${p.sig("release")}'-"$VIABLE_ITEM_ID" ]; do sleep 0.02; done; echo "line two $VIABLE_ITEM_ID"; echo x > "f-$VIABLE_ITEM_ID.txt"`);
  const release = (id: string) => fs.writeFileSync(`${p.sig("release")}-${id}`, "");
  assert.equal((await importPlan(p)).code, 0);
  const stateHome = p.sig("state-home");
  let server = await startServe([p.dir], ["--port", "0"], stateHome);
  t.after(() => server.stop().catch(() => undefined));
  const { port } = server.info;
  const id = server.info.projects[0]!.id;

  const { page, problems } = await loggedIn(t, server);
  assert.equal(new URL(page.url()).search, "", "the token left the address");
  await page.goto(`http://127.0.0.1:${port}/#/p/${id}/plan`);
  const node = (item: string) => page.getByTestId(`dag-node-${item}`);
  await node("a").waitFor();
  assert.equal(await node("a").getAttribute("data-status"), "pending");
  await page.getByTestId("live").and(page.locator('[data-state="open"]')).waitFor();

  const loop = startLoop(p.dir);
  t.after(() => loop.child.kill("SIGKILL"));
  await page.locator('[data-testid="dag-node-a"][data-status="running"]').waitFor();
  await screenshot(page, "plan-running");

  // The item page: its agent's output while it runs.
  await node("a").click();
  await page.waitForURL(/#\/p\/[^/]+\/items\/a/);
  const output = page.getByTestId("agent-output");
  await output.getByText("line one a").waitFor();
  assert.equal(await output.getByText("line two a").count(), 0);
  release("a");
  await output.getByText("line two a").waitFor();
  await screenshot(page, "item-live-output");

  await page.goto(`http://127.0.0.1:${port}/#/p/${id}/plan`);
  await page.locator('[data-testid="dag-node-a"][data-status="passed"]').waitFor();
  await page.locator('[data-testid="dag-node-b"][data-status="running"]').waitFor();

  // The server goes away while b finishes; a new one on the same port: the page picks up where it was.
  await server.stop();
  release("b");
  await waitUntil(async () => (await journal(p.dir)).types.filter((t) => t === "item_passed").length === 2, "b to pass while the server is down");
  server = await startServe([p.dir], ["--port", String(port)], stateHome);
  await page.locator('[data-testid="dag-node-b"][data-status="passed"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="dag-node-c"][data-status="running"]').waitFor();
  const seq = page.getByTestId("last-seq");
  await waitUntil(async () => Number(await seq.getAttribute("data-seq")) === (await journal(p.dir)).lastSeq, "the page to have the journal's last event");
  assert.equal(await seq.getAttribute("data-gaps"), "0", "no event was skipped across the restart");
  await screenshot(page, "plan-after-restart");

  // Stop the loop from the browser while c runs.
  await page.getByTestId("stop-loop").click();
  const stopped = await loop.done;
  assert.notEqual(stopped.code, 0, "the loop was stopped, not finished");
  const j = await journal(p.dir);
  const action = j.data[j.types.lastIndexOf("control_action")]!;
  assert.deepEqual([action.action, action.source], ["stop_loop", "dashboard"]);
  await page.locator('[data-testid="dag-node-c"]:not([data-status="running"])').waitFor();

  for (const [view, name] of [["tasks", "tasks"], ["events", "events"], ["metrics", "metrics"], ["cost", "cost"]] as const) {
    await page.goto(`http://127.0.0.1:${port}/#/p/${id}/${view}`);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    await page.locator("main").first().waitFor();
    await screenshot(page, name);
  }
  assert.deepEqual(problems, []);
});

void test("an S5 approval given in the browser lets the waiting `viable run` continue; the kill switch from the browser", async (t) => {
  const p = e2eProject({ config: { verify: ["true"] } });
  t.after(() => p.cleanup());
  allAgentsRun(p, "echo \"$VIABLE_AGENT done\"");
  p.commitAll("agents");
  await seedMetrics(p.dir, { s3_s4_conflicts: 5, recent_s3_s4_conflicts: 5 });
  const server = await startServe([p.dir], ["--port", "0"], p.sig("state-home"));
  t.after(() => server.stop().catch(() => undefined));
  const { port } = server.info;
  const id = server.info.projects[0]!.id;
  const { page, problems } = await loggedIn(t, server);
  await page.goto(`http://127.0.0.1:${port}/#/p/${id}/approvals`);

  const run = startViable(["run", "Add a greeting function", "--json", "-d", p.dir]);
  t.after(() => run.child.kill("SIGKILL"));
  const row = page.locator('[data-testid^="approval-"]').first();
  await row.waitFor({ timeout: 30_000 });
  await screenshot(page, "approvals");
  const approvalId = (await row.getAttribute("data-testid"))!.replace("approval-", "");
  await page.getByTestId(`approve-${approvalId}`).click();
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.deepEqual(ofType(await eventsOf(p.dir, result.task_id), "policy_decision").map((e) => [e.data.decision, e.data.via]), [["approved", "dashboard"]]);

  await page.getByTestId("kill-switch").click();
  await page.getByTestId("kill-switch-reason").fill("deploy freeze");
  await page.getByTestId("confirm-kill-switch").click();
  await page.getByTestId("kill-banner").waitFor();
  assert.match(await page.getByTestId("kill-banner").innerText(), /deploy freeze/);
  await screenshot(page, "kill-switch");
  const refused = await p.viable("run", "Another task");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /kill switch is engaged .*deploy freeze/);
  await page.getByTestId("release-kill-switch").click();
  await page.getByTestId("kill-banner").waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
});

void test("without the token the page gets nothing; a page of another site cannot act on the API", async (t) => {
  const p = e2eProject({ config: { verify: ["true"] } });
  t.after(() => p.cleanup());
  const server = await startServe([p.dir], ["--port", "0"], p.sig("state-home"));
  t.after(() => server.stop().catch(() => undefined));
  const { port } = server.info;
  const id = server.info.projects[0]!.id;
  const browser = await launchBrowser(t);

  // A visitor without the token: the page loads (it holds nothing) and says how to get in.
  const stranger = await browser.newPage();
  await stranger.goto(`http://127.0.0.1:${port}/#/p/${id}/plan`);
  await stranger.getByText(/token/i).first().waitFor();
  const status = await stranger.evaluate(async (u) => (await fetch(u)).status, `http://127.0.0.1:${port}/api/projects`);
  assert.equal(status, 401);

  // Another site, in a browser that has logged in: its POST is refused.
  const page = await browser.newPage();
  await page.goto(server.info.login_url);
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<script>fetch("http://127.0.0.1:${port}/api/projects/${id}/kill-switch", { method: "POST", credentials: "include", headers: { "Content-Type": "text/plain" }, body: "{}" })
      .then((r) => { document.title = "status " + r.status; }, () => { document.title = "blocked"; });</script>`);
  });
  await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
  t.after(() => evil.close());
  // Chromium may block it itself (private network access); if it lets it through, the server refuses it.
  const outcome = new Promise<string>((resolve) => {
    page.on("requestfailed", (r) => r.url().endsWith("/kill-switch") && resolve("blocked by the browser"));
    page.on("response", (r) => r.url().endsWith("/kill-switch") && resolve(`answered ${r.status()}`));
  });
  await page.goto(`http://localhost:${(evil.address() as { port: number }).port}/`);
  assert.match(await outcome, /^(blocked by the browser|answered 403)$/);
  await page.waitForFunction("document.title !== ''");
  const store = await openStore(projectPaths(p.dir), { writer: false, command: "test" });
  t.after(() => store.close());
  assert.equal(await store.queries.killSwitch(), null, "nothing was engaged");
  assert.deepEqual((await store.queries.events({ eventType: "kill_switch" })).length, 0);
});

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test("hundreds of items and thousands of events: lists render only what is in view, big levels of the graph are collapsed", async (t) => {
  // 300 items: 10 roots, then 290 items depending on them (one level of 290, collapsed).
  const features = Array.from({ length: 300 }, (_, i) => ({ id: `i${String(i).padStart(3, "0")}`, ...(i >= 10 ? { dependencies: [`i00${i % 10}`] } : {}) }));
  const p = loopProject(t, features);
  assert.equal((await importPlan(p)).code, 0);
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test" });
  for (let batch = 0; batch < 10; batch++) {
    await store.journal.commit({ events: Array.from({ length: 300 }, (_, i) => ({ event_type: "loop_note" as const, data: { item: `i${String(i).padStart(3, "0")}`, message: `note ${batch * 300 + i}` } })) });
  }
  await store.close();
  const server = await startServe([p.dir], ["--port", "0"], p.sig("state-home"));
  t.after(() => server.stop().catch(() => undefined));
  const { port } = server.info;
  const id = server.info.projects[0]!.id;
  const { page, problems } = await loggedIn(t, server);

  await page.goto(`http://127.0.0.1:${port}/#/p/${id}/plan`);
  await page.getByTestId("items-list").waitFor();
  const rows = await page.locator('[data-testid^="item-row-"]').count();
  assert.ok(rows > 5 && rows < 80, `${rows} item rows in the page for 300 items`);
  assert.ok(await page.locator('[data-testid^="dag-group-"]').count() >= 1, "the level of 290 items is one group");
  assert.ok(await page.locator('[data-testid^="dag-node-"]').count() < 60, "and its items are not drawn one by one");
  await page.getByTestId("items-list").evaluate((el: { scrollTo(x: number, y: number): void; scrollHeight: number }) => el.scrollTo(0, el.scrollHeight));
  await page.getByTestId("item-row-i299").waitFor();
  await screenshot(page, "plan-300-items");

  await page.goto(`http://127.0.0.1:${port}/#/p/${id}/events`);
  await page.getByTestId("events-list").waitFor();
  await page.locator('[data-testid^="event-"]').first().waitFor();
  const events = await page.locator('[data-testid^="event-"]').count();
  assert.ok(events > 5 && events < 200, `${events} event rows in the page for 3,000 events`);
  await screenshot(page, "events-3000");
  assert.deepEqual(problems, []);
});
