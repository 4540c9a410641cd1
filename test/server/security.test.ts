// Who may use a local API: the token (cookie or bearer), this server's own Host and Origin, secrets
// masked in every answer and stream; and `viable serve` itself: its address, its warning off
// loopback, its errors, and a clean stop on Ctrl-C.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { test } from "node:test";
import { startViable, viable } from "../support/cli.ts";
import { importPlan, loopProject } from "../loop/support.ts";
import { makeProject } from "../support/project.ts";
import { serve, sse, TOKEN } from "./support.ts";

void test("the token: refused without it; the first visit turns it into an HttpOnly, SameSite cookie and drops it from the address", async (t) => {
  const p = makeProject({});
  t.after(() => p.cleanup());
  const s = await serve(t, [p.dir]);
  const none = await s.raw("GET", "/api/projects");
  assert.equal(none.status, 401);
  assert.equal((JSON.parse(none.text) as { error: { reason: string } }).error.reason, "unauthorized");
  assert.equal((await s.raw("GET", "/api/projects", { Authorization: "Bearer wrong" })).status, 401);
  assert.equal((await s.raw("GET", "/api/projects", { Cookie: "viable_session=wrong.mac" })).status, 401);
  assert.equal((await s.raw("GET", "/api/projects", { Cookie: `viable_session=${TOKEN}` })).status, 401, "the token is not a session");
  assert.equal((await s.raw("GET", `/api/projects/${s.projects[0]!.id}/stream`)).status, 401, "the stream too");

  const visit = await s.raw("GET", `/?token=${TOKEN}`);
  assert.equal(visit.status, 303);
  assert.equal(visit.headers.location, "/");
  const cookie = String(visit.headers["set-cookie"]);
  const session = cookie.match(/viable_session=([^;]+)/)?.[1];
  assert.ok(session && !session.includes(TOKEN), "a signed session, not the token itself");
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.equal((await s.raw("GET", "/api/projects", { Cookie: `viable_session=${session}` })).status, 200);
  // A visit with a wrong token gets no session.
  const wrong = await s.raw("GET", "/?token=wrong");
  assert.equal(wrong.headers["set-cookie"], undefined);
  // The page itself holds no data and loads without the token; its API calls do not.
  const page = await s.raw("GET", "/");
  assert.equal(page.status, 200);
  assert.match(page.headers["content-security-policy"] as string, /default-src 'self'/);
});

void test("Host and Origin: a DNS-rebinding Host and a cross-site POST are refused, even with the token", async (t) => {
  const p = makeProject({});
  t.after(() => p.cleanup());
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const rebound = await s.raw("GET", "/api/projects", { ...auth, Host: `evil.example:${s.port}` });
  assert.equal(rebound.status, 403);
  assert.equal((JSON.parse(rebound.text) as { error: { reason: string } }).error.reason, "bad_host");
  const cross = await s.raw("POST", `/api/projects/${id}/kill-switch`, { ...auth, Origin: "http://evil.example", "Content-Type": "application/json" }, "{}");
  assert.equal(cross.status, 403);
  assert.equal((JSON.parse(cross.text) as { error: { reason: string } }).error.reason, "cross_origin");
  assert.equal((await s.api<{ kill_switch: unknown }>("GET", `/api/projects/${id}`)).body.kill_switch, null, "nothing was engaged");
  assert.equal((await s.raw("GET", "/api/projects", { ...auth, Origin: `http://127.0.0.1:${s.port}` })).status, 200);
  assert.equal((await s.raw("GET", "/api/projects", { ...auth, Host: `localhost:${s.port}` })).status, 200);
});

void test("secrets in the server's environment never appear in an answer or the stream", async (t) => {
  const secret = "sk-test-9f8e7d6c5b4a";
  process.env.VIABLE_TEST_API_KEY = secret;
  t.after(() => delete process.env.VIABLE_TEST_API_KEY);
  const p = loopProject(t, [{ id: "a", name: `Rotate the key ${secret}` }]);
  assert.equal((await importPlan(p)).code, 0);
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const plan = await s.raw("GET", `/api/projects/${id}/plan`, { Authorization: `Bearer ${TOKEN}` });
  assert.equal(plan.status, 200);
  assert.ok(!plan.text.includes(secret));
  assert.match(plan.text, /Rotate the key \*\*\*/);
  const stream = await sse(s, `/api/projects/${id}/stream?after=0`);
  t.after(() => stream.close());
  await stream.waitFor((e) => e.event === "event" && e.data.includes("plan_imported"), "the import event");
  assert.ok(stream.events.every((e) => !e.data.includes(secret)));
});

void test("`viable serve`: prints its address, warns off loopback, refuses what it cannot serve, stops cleanly on Ctrl-C", async (t) => {
  const p = makeProject({});
  t.after(() => p.cleanup());
  // The session secret goes to the user's state directory: here, one of the test's own.
  const env = { XDG_STATE_HOME: p.dir + "-state" };
  t.after(() => fs.rmSync(env.XDG_STATE_HOME, { recursive: true, force: true }));
  const run = startViable(["serve", p.dir, "--port", "0", "--json"], { env });
  t.after(() => run.child.kill("SIGKILL"));
  const info = JSON.parse(await firstLine(run)) as { url: string; login_url: string; port: number; projects: { id: string; root: string }[] };
  assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(info.login_url, /\?token=[\w-]{20,}$/);
  assert.deepEqual(info.projects.map((x) => x.root), [p.dir]);
  const watchers = `${p.dir}/.viable/state/watchers`;
  assert.equal(fs.readdirSync(watchers).length, 1);
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, `${r.signal} ${r.stderr}`);
  assert.deepEqual(fs.readdirSync(watchers), [], "nothing of it is left");
  assert.equal(fs.statSync(`${env.XDG_STATE_HOME}/viable/serve-session-secret`).mode & 0o777, 0o600, "its session secret is the user's alone");

  // Listening beyond this machine takes --host, and says what it means.
  const wide = startViable(["serve", p.dir, "--port", "0", "--host", "0.0.0.0", "--json"], { env });
  t.after(() => wide.child.kill("SIGKILL"));
  await firstLine(wide);
  wide.child.kill("SIGTERM");
  const w = await wide.done;
  assert.equal(w.code, 0);
  assert.match(w.stderr, /warning: listening on 0\.0\.0\.0, not only this machine/);

  const notProject = await viable(["serve", "/nonexistent-dir-xyz", "--port", "0"], { env });
  assert.equal(notProject.code, 2);
  assert.doesNotMatch(notProject.stderr, /internal error|\n\s+at /);
  const badPort = await viable(["serve", p.dir, "--port", "70000"], { env });
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /port number from 0 to 65535/);
});

function firstLine(run: ReturnType<typeof startViable>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    run.child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    run.child.on("close", () => reject(new Error(`viable serve ended before printing its address: ${out}`)));
  });
}

void test("--host 0.0.0.0: the machine's own names and addresses are this server; other names still are not", async (t) => {
  const p = makeProject({});
  t.after(() => p.cleanup());
  const s = await serve(t, [p.dir], { host: "0.0.0.0" });
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const names = [os.hostname(), ...Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === "IPv4").map((a) => a.address))];
  for (const name of names) assert.equal((await s.raw("GET", "/api/projects", { ...auth, Host: `${name}:${s.port}` })).status, 200, name);
  assert.equal((await s.raw("GET", "/api/projects", { ...auth, Host: `evil.example:${s.port}` })).status, 403);
  assert.equal(s.url, `http://127.0.0.1:${s.port}/`);
});
