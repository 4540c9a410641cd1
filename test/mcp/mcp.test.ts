// `viable mcp` as an MCP client sees it (the SDK's own client): over stdio as an agent CLI starts
// it, and over Streamable HTTP at /mcp on `viable serve`. At most 8 tools; a loop started through
// it answers with a job id at once and is followed to its end; an S5 approval is answered through
// it; a mistake comes back as the CLI's reason and fix; `viable mcp install` writes each CLI's own
// configuration and keeps what else is there.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { parse as parseToml } from "smol-toml";
import { json, startViable, testEnv, VIABLE_BIN } from "../support/cli.ts";
import { e2eProject, eventsOf, ofType, seedMetrics, type CycleJson } from "../support/e2e.ts";
import { allAgentsRun } from "../support/project.ts";
import { importPlan, loopProject } from "../loop/support.ts";
import { serve, TOKEN } from "../server/support.ts";
import { call, stdioClient } from "../support/mcp-client.ts";

type Json = Record<string, unknown>;


async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

void test("over stdio: at most 8 short tools; a loop started through MCP answers at once with a job, followed to its end", async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b", dependencies: ["a"] }], { config: { loop: { concurrency: 1 } } });
  p.script(`echo "$VIABLE_ITEM_ID" > "item-$VIABLE_ITEM_ID.txt"`);
  const client = await stdioClient(t, p.dir);
  const { tools } = await client.listTools();
  assert.ok(tools.length <= 8, `${tools.length} tools`);
  assert.deepEqual(tools.map((x) => x.name).sort(), ["answer", "item", "items", "job", "start", "status", "stop"]);
  const definitions = JSON.stringify(tools).length;
  assert.ok(definitions < 8000, `the tool definitions take ${definitions} characters of an agent's context`);

  // Before a plan: the CLI's reason and fix, as an error result the model can act on.
  const early = await call(client, "start", { what: "loop" });
  assert.equal(early.isError, true);
  assert.match(JSON.stringify(early.value), /plan import/);
  assert.equal((await importPlan(p)).code, 0);

  const started = await call(client, "start", { what: "loop" });
  assert.equal(started.isError, false, JSON.stringify(started.value));
  const job = started.value.job as { id: string; state: string };
  const ended = await until(async () => {
    const s = await call(client, "job", { id: job.id });
    const j = s.value.job as { state: string };
    return j.state === "ended" ? s.value : undefined;
  }, "the loop job to end");
  assert.equal((ended.job as { exit_code: number }).exit_code, 0, JSON.stringify(ended));
  assert.deepEqual(ended.plan_counts, { pending: 0, running: 0, passed: 2, failed: 0, blocked: 0 });

  const items = await call(client, "items", { status: "passed" });
  assert.deepEqual((items.value.items as { id: string }[]).map((i) => i.id), ["a", "b"]);
  const item = await call(client, "item", { id: "b" });
  assert.equal(item.value.status, "passed");
  assert.equal((item.value.attempts as unknown[]).length, 1);
  const unknown = await call(client, "item", { id: "zz" });
  assert.equal(unknown.isError, true);
  assert.deepEqual((unknown.value.error as Json).reason, "not_found");
  const status = await call(client, "status");
  assert.deepEqual((status.value.plan as Json).counts, { pending: 0, running: 0, passed: 2, failed: 0, blocked: 0 });
  // Recorded as coming from MCP.
  const starts = ofType(await eventsOf(p.dir), "control_action").filter((e) => e.data.action === "start_loop");
  assert.deepEqual(starts.map((e) => e.data.source), ["mcp"]);

  // The kill switch through MCP holds for the CLI too, and is released the same way.
  const noLoop = await call(client, "stop", { what: "loop" });
  assert.equal(noLoop.isError, true);
  assert.match(JSON.stringify(noLoop.value), /no loop is working/);
  const engaged = await call(client, "stop", { what: "everything", reason: "release freeze" });
  assert.equal((engaged.value.kill_switch as Json).source, "mcp");
  const refused = await p.viable("loop");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /kill switch is engaged .*release freeze/);
  const refusedStart = await call(client, "start", { what: "loop" });
  assert.equal(refusedStart.isError, true);
  assert.match(JSON.stringify(refusedStart.value), /kill_switch/);
  assert.deepEqual((await call(client, "stop", { what: "release" })).value, { released: true });
  assert.deepEqual(ofType(await eventsOf(p.dir), "kill_switch").map((e) => [e.data.engaged, e.data.source]), [[true, "mcp"], [false, "mcp"]]);
});

void test("over stdio: a waiting `viable run` is answered through the `answer` tool", async (t) => {
  const p = e2eProject({ config: { verify: ["true"] } });
  t.after(() => p.cleanup());
  allAgentsRun(p, "echo \"$VIABLE_AGENT done\"");
  p.commitAll("agents");
  await seedMetrics(p.dir, { s3_s4_conflicts: 5, recent_s3_s4_conflicts: 5 });
  const client = await stdioClient(t, p.dir);
  const run = startViable(["run", "Add a greeting function", "--json", "-d", p.dir]);
  t.after(() => run.child.kill("SIGKILL"));
  const pending = await until(async () => {
    const s = await call(client, "status");
    const list = s.value.pending_approvals as { id: string; question: string }[];
    return list.length > 0 ? list[0] : undefined;
  }, "the approval to be pending");
  assert.match(pending.question, /S5 approval required/);
  const answered = await call(client, "answer", { approval_id: pending.id, decision: "approve" });
  assert.deepEqual(answered.value, { approval: { id: pending.id, status: "approved", answered_by: "mcp" } });
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.deepEqual(ofType(await eventsOf(p.dir, result.task_id), "policy_decision").map((e) => [e.data.decision, e.data.via]), [["approved", "mcp"]]);
  assert.match(r.stderr, /S5 approval needed — answer it within 900s at an MCP client \(its `answer` tool\)/);
});

void test("over Streamable HTTP at /mcp on `viable serve`: the same tools, behind the token", async (t) => {
  const p = loopProject(t, [{ id: "a" }]);
  assert.equal((await importPlan(p)).code, 0);
  const s = await serve(t, [p.dir]);
  const client = new Client({ name: "viable-test", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${s.port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  t.after(() => client.close());
  assert.equal((await client.listTools()).tools.length, 7);
  const status = await call(client, "status");
  assert.equal(status.value.project, s.projects[0]!.id);
  assert.deepEqual((status.value.plan as Json).counts, { pending: 1, running: 0, passed: 0, failed: 0, blocked: 0 });
  const refused = await s.raw("POST", "/mcp", { "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
  assert.equal(refused.status, 401);
});

void test("`viable mcp install`: each CLI's own file, other servers kept, what was written shown; a broken file named", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.write(".mcp.json", JSON.stringify({ mcpServers: { other: { command: "other-server" } } }));
  p.write(".codex/config.toml", "# my settings\nmodel = \"gpt-5\"  # the one I pay for\n");
  const r = await p.viable("mcp", "install", "--claude", "--codex", "--gemini");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /claude: added to .*\.mcp\.json/);
  assert.match(r.stdout, /"viable": \{"command":/);
  const claude = JSON.parse(p.read(".mcp.json")) as { mcpServers: Record<string, { command: string; args: string[] }> };
  assert.deepEqual(Object.keys(claude.mcpServers), ["other", "viable"]);
  assert.deepEqual(claude.mcpServers.viable!.args.slice(-3), ["mcp", "-d", p.dir]);
  const codex = parseToml(p.read(".codex/config.toml")) as { model: string; mcp_servers: { viable: { args: string[] } } };
  assert.deepEqual(codex.mcp_servers.viable.args.slice(-3), ["mcp", "-d", p.dir]);
  assert.equal(codex.model, "gpt-5");
  assert.ok(p.read(".codex/config.toml").startsWith("# my settings\nmodel = \"gpt-5\"  # the one I pay for\n"), "the user's lines, comments included, are kept as they were");
  const gemini = JSON.parse(p.read(".gemini/settings.json")) as { mcpServers: { viable: { cwd: string } } };
  assert.equal(gemini.mcpServers.viable.cwd, p.dir);
  const again = await p.viable("mcp", "install", "--claude");
  assert.match(again.stdout, /claude: already has/);

  p.write(".gemini/settings.json", "{ not json");
  const broken = await p.viable("mcp", "install", "--gemini");
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /settings\.json: is not valid JSON.*\n\s+fix: fix the file/);
  assert.equal(p.read(".gemini/settings.json"), "{ not json", "left as it was");
  assert.equal(fs.existsSync(path.join(p.dir, ".mcp.json")), true);
});

void test("started by an agent Viable runs, `viable mcp` offers no `answer` or `stop` and does not count as someone watching", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [VIABLE_BIN, "mcp", "-d", p.dir], env: testEnv({ VIABLE_TASK_ID: "t1", VIABLE_ATTEMPT: "1" }), stderr: "pipe" }));
  t.after(() => client.close());
  assert.deepEqual((await client.listTools()).tools.map((x) => x.name).sort(), ["item", "items", "job", "start", "status"]);
  const watchers = path.join(p.dir, ".viable", "state", "watchers");
  assert.deepEqual(fs.existsSync(watchers) ? fs.readdirSync(watchers) : [], []);
});
