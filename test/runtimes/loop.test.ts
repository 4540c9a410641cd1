// The real agent CLIs through `viable loop`, in worktree mode: the same attempt pipeline as
// `viable run` — budgets that stop an item mid-stream, Viable's retries of a 5xx, the fallback
// chain carrying the work over, a refused key ending the attempt at once, the project's runtime
// settings (binary, passed-through variables) and the warm pool closed at the end.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { ofType } from "../support/e2e.ts";
import { createStreamHold, httpError, shell, text, writeFile } from "../support/model-server/script.ts";
import { parseRun, type Feature, type LoopRun } from "../loop/support.ts";
import { attemptEnds, attemptsIn, explain, fakeCli, processesMarked, runtimeWorld, streamed, TEST_TIMEOUT, viableRetries, warmPrefix, type World } from "./world.ts";

/** Writes and imports a plan of items worked by the world's `generalist-coder`. */
async function plan(w: World, items: Feature[]): Promise<void> {
  const features = items.map((f) => ({ name: `Item ${f.id}`, description: "a plain item that changes one file in the project tree", agent: "generalist-coder", ...f }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  const imported = await w.viable("plan", "import", `${w.project.dir}/feature_list.json`);
  assert.equal(imported.code, 0, imported.stderr);
}

async function loop(w: World, ...args: string[]): Promise<LoopRun> {
  return parseRun(await w.viable("loop", "--json", "--concurrency", "1", ...args));
}

const sessionCommits = (w: World) => w.project.git("log", "--format=%s", "main").split("\n").filter((s) => s.startsWith("session: completed "));

void test("loop, claude: a run budget stops the item mid-stream; not passed, the reason recorded, nothing merged, nothing else started", TEST_TIMEOUT, async (t) => {
  const hold = createStreamHold();
  t.after(() => hold.release());
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { budgets: { run: { tokens: 5 } }, defaults: { timeout: 30 } },
    // The first model call alone crosses the budget; had the session gone on, its next call would
    // hang on the hold until the agent's timeout. The tool takes seconds, so the second call cannot
    // race the stop on a loaded machine (a file write let claude ask again before Viable reacted).
    script: [{ reply: { toolCalls: [{ tool: "shell", args: { command: "sleep 5; echo a > a.txt" } }], usage: { inputTokens: 101 } } }, { reply: { text: "never", hold } }],
  });
  await plan(w, [{ id: "a" }, { id: "b" }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 1, explain(run, events));
  const finished = run.of("loop_finished")[0];
  assert.equal(finished?.outcome, "budget_exceeded", explain(run, events));
  assert.match(finished?.message ?? "", /run budget exceeded: \d+ tokens used of 5/);
  const failed = run.of("item_failed");
  assert.deepEqual(failed.map((e) => e.item), ["a"]);
  assert.match(failed[0]?.reason ?? "", /run budget exceeded/);
  assert.deepEqual(failed[0]?.failure, { kind: "budget_exceeded", scope: "run" });
  assert.equal(run.of("item_passed").length, 0);
  assert.deepEqual(run.of("item_started").map((e) => e.item), ["a"], "nothing starts once the run's budget is spent");
  assert.deepEqual(sessionCommits(w), [], "nothing merged");
  assert.match(String(attemptEnds(events)[0]?.["error"]), /run budget exceeded/);
  assert.equal(w.server.remainingSteps(), 1, "the session was stopped before its second model call");
  const show = JSON.parse((await w.viable("plan", "show", "--json")).stdout) as { items: { id: string; status: string; last_error: string | null }[] };
  assert.deepEqual(show.items.map((i) => [i.id, i.status]), [["a", "pending"], ["b", "pending"]], "both wait for a run with budget left");
  assert.match(show.items[0]?.last_error ?? "", /run budget exceeded/);
});

void test("loop, claude: a 500 is retried by Viable and the item passes and merges", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [httpError(500, { message: "scripted outage" }), writeFile("a.txt", "from claude\n"), text("Wrote a.txt.")],
  });
  await plan(w, [{ id: "a" }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.equal(run.of("loop_finished")[0]?.outcome, "all_passed");
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["failed", "succeeded"]);
  const retries = viableRetries(events);
  assert.equal(retries.length, 1, explain(run, events));
  assert.equal(retries[0]?.["item"], "a");
  assert.deepEqual(sessionCommits(w), ["session: completed a"]);
  assert.equal(w.project.git("show", "main:a.txt"), "from claude\n");
  w.server.assertScriptConsumed();
});

void test("loop, claude → codex: the fallback carries the task and what claude left in the item's worktree; the item merges", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": { fields: { fallback: "codex" } } },
    config: { retries: { max: 2, base_delay_ms: 50 } },
    script: [writeFile("draft.txt", "claude's draft\n"), httpError(401, { message: "invalid x-api-key" }), writeFile("fallback.txt", "written by codex\n"), text("Codex wrote fallback.txt.")],
  });
  await plan(w, [{ id: "a" }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(attemptsIn(events).map((a) => a.runtime), ["claude", "codex"]);
  assert.deepEqual(viableRetries(events), [], "a 401 goes straight to the fallback");
  const fallback = ofType(events, "policy_decision").filter((e) => e.data["decision"] === "fallback");
  assert.deepEqual(fallback.map((e) => [e.data["from"], e.data["to"], e.data["item"]]), [["claude", "codex", "a"]]);
  assert.deepEqual(fallback[0]?.data["changed_files"], ["draft.txt"]);
  const codexTurn = JSON.stringify(w.server.turns().find((r) => r.dialect === "openai-responses")?.body);
  assert.ok(codexTurn.includes("A previous attempt with claude did not finish"), codexTurn.slice(0, 2000));
  assert.ok(codexTurn.includes("Files it changed (still in the workspace): draft.txt"));
  assert.ok(codexTurn.includes("Plan item a: Item a"), "codex is told the item");
  assert.deepEqual(sessionCommits(w), ["session: completed a"]);
  assert.equal(w.project.git("show", "main:fallback.txt"), "written by codex\n");
  assert.equal(w.project.git("show", "main:draft.txt"), "claude's draft\n");
  w.server.assertScriptConsumed();
});

for (const path of ["run", "loop"] as const) {
  void test(`${path}, claude: a 401 that claude would retry for minutes ends the attempt at its first retry; not retried, the fix named`, TEST_TIMEOUT, async (t) => {
    const w = await runtimeWorld(t, {
      clis: ["claude"],
      // Claude's own default: ten retries of a 401, about three minutes.
      cliRetries: 10,
      config: { retries: { max: 2, base_delay_ms: 50 }, loop: { max_attempts: 1 } },
      script: [httpError(401, { message: "invalid x-api-key", times: 11 })],
    });
    let code: number | null;
    let out: Parameters<typeof explain>[0];
    if (path === "run") {
      const { result } = await w.run();
      code = result.code;
      out = result;
    } else {
      await plan(w, [{ id: "a" }]);
      const run = await loop(w);
      code = run.code;
      out = run;
      assert.match(run.of("item_failed")[0]?.reason ?? "", /refused the credentials \(HTTP 401/);
      assert.equal(run.of("item_failed")[0]?.will_retry, false);
      assert.deepEqual(sessionCommits(w), []);
    }
    const events = await w.events();
    assert.equal(code, 1, explain(out, events));
    const ends = attemptEnds(events);
    assert.equal(ends.length, 1, "one attempt: Viable does not retry it either");
    assert.deepEqual(viableRetries(events), []);
    assert.equal(ends[0]?.["status"], "failed");
    assert.deepEqual(ends[0]?.["failure"], { kind: "authentication", status: 401 });
    assert.match(String(ends[0]?.["error"]), /refused the credentials \(HTTP 401.*retrying cannot help/s);
    assert.match(String(ends[0]?.["error"]), /fix: check the key claude uses \(ANTHROPIC_API_KEY/);
    // Stopped at claude's first announced retry: at most a second request reached the provider.
    const refused = w.server.turns().length;
    assert.ok(refused >= 1 && refused <= 2, `${refused} requests reached the provider`);
    for (const end of ends) assert.deepEqual(processesMarked(String(end["attempt_id"])), [], "nothing of the attempt survives");
  });
}

void test("loop, codex: a provider whose key variable is named in codex's own config.toml works under Viable without extra config", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["codex"],
    codexKeyVariable: "OPENROUTER_API_KEY",
    script: [writeFile("a.txt", "from codex\n"), text("Wrote a.txt.")],
  });
  await plan(w, [{ id: "a" }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.equal(w.project.git("show", "main:a.txt"), "from codex\n");
  w.server.assertScriptConsumed();
});

void test("loop: runtimes.claude.bin and pass_env are the project's; passed values reach the CLI and are masked in its transcript", TEST_TIMEOUT, async (t) => {
  // A stand-in for claude that records what it was given and answers in claude's stream-json.
  const bin = fakeCli(t, [
    `printf '%s\\n' "$MY_PROXY_TOKEN" > token.txt; printf '%s\\n' "\${OTHER_SECRET_KEY:-unset}" > other.txt`,
    `echo '{"type":"system","subtype":"init","session_id":"s-1","model":"fake"}'`,
    `echo "{\\"type\\":\\"result\\",\\"subtype\\":\\"success\\",\\"is_error\\":false,\\"result\\":\\"proxy token is $MY_PROXY_TOKEN\\",\\"session_id\\":\\"s-1\\",\\"usage\\":{\\"input_tokens\\":1,\\"output_tokens\\":1}}"`,
  ].join("\n"));
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { runtimes: { claude: { bin, pass_env: ["MY_PROXY_TOKEN"] } } },
    env: { MY_PROXY_TOKEN: "proxy-secret-0123456789", OTHER_SECRET_KEY: "must-not-leak-0123" },
  });
  await plan(w, [{ id: "a" }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.equal(w.project.git("show", "main:token.txt"), "proxy-secret-0123456789\n", "the named variable reached the CLI");
  assert.equal(w.project.git("show", "main:other.txt"), "unset\n", "an unnamed one did not");
  const [end] = attemptEnds(events);
  assert.equal(end?.["summary"], "proxy token is ***");
  const transcript = fs.readFileSync(String(end?.["transcript"]), "utf8");
  assert.ok(!transcript.includes("proxy-secret-0123456789") && transcript.includes("proxy token is ***"), transcript);
});

void test("loop, claude, items in place: the warm pool serves the second item, and is closed at the end; nothing of it survives the loop", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { runtimes: { claude: { warm_pool: { size: 1, max_tasks: 1 } } }, workspace: { mode: "none" } },
    script: [writeFile("a.txt", "a\n"), text("Wrote a."), writeFile("b.txt", "b\n"), text("Wrote b.")],
  });
  await plan(w, [{ id: "a" }, { id: "b", dependencies: ["a"] }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(streamed(events, "file_change").map((e) => e["path"]), ["a.txt", "b.txt"]);
  assert.deepEqual(streamed(events, "started").map((e) => e["command"]), ["claude (warm pool, cold)", "claude (warm pool, warm)"]);
  assert.deepEqual(processesMarked(warmPrefix(w.project.dir)), [], "the pool was closed when the loop ended");
  w.server.assertScriptConsumed();
});

void test("loop, claude, items in worktrees: no warm process is started (none could serve an item in a directory of its own)", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { runtimes: { claude: { warm_pool: { size: 1, max_tasks: 1 } } } },
    script: [writeFile("a.txt", "a\n"), text("Wrote a."), writeFile("b.txt", "b\n"), text("Wrote b.")],
  });
  await plan(w, [{ id: "a" }, { id: "b", dependencies: ["a"] }]);
  const run = await loop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(sessionCommits(w).sort(), ["session: completed a", "session: completed b"]);
  assert.ok(streamed(events, "started").every((e) => !String(e["command"]).includes("warm pool")), explain(run, events));
  assert.deepEqual(processesMarked(warmPrefix(w.project.dir)), []);
  w.server.assertScriptConsumed();
});

void test("loop, claude as the integrator: a conflicted merge is resolved by the real CLI in the queue, verified and merged once", TEST_TIMEOUT, async (t) => {
  // The items are command agents: b writes a's file only once a has merged, so its merge conflicts.
  const items = `case "$VIABLE_ITEM_ID-$VIABLE_ATTEMPT" in a-1) echo a > shared.txt;; ` +
    `b-1) n=0; while ! git log --format=%s main | grep -qx 'session: completed a'; do n=$((n+1)); [ $n -lt 800 ] || exit 9; sleep 0.025; done; echo b > shared.txt;; ` +
    `*) echo redone > shared.txt;; esac`;
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { loop: { concurrency: 2, integrator: "integrator" }, verify: ["test -s shared.txt"] },
    agents: { "code-writer": { fields: { runtime: "command", command: items } }, integrator: {} },
    // What claude does with the conflicted file: keeps both sides (with its shell: its Write tool
    // refuses a file it has not read), then says so.
    script: [shell("printf 'a\\nb\\n' > shared.txt"), text("Resolved the conflict in shared.txt, keeping both lines.")],
  });
  const features = [{ id: "a" }, { id: "b" }].map((f) => ({ ...f, name: `Item ${f.id}`, description: "a plain item that changes one file in the project tree", agent: "code-writer" }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
  const run = parseRun(await w.viable("loop", "--json"));
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  assert.deepEqual(run.of("item_failed"), [], explain(run, events));
  const resolved = run.of("item_conflict_resolved");
  assert.deepEqual(resolved.map((e) => [e.item, e.files, e.agent]), [["b", ["shared.txt"], "integrator"]]);
  assert.equal(typeof resolved[0]?.attempt_id, "string");
  assert.equal(typeof resolved[0]?.cost_usd, "number", "the CLI's cost is recorded with the resolution");
  assert.deepEqual(sessionCommits(w).reverse(), ["session: completed a", "session: completed b"]);
  assert.equal(w.project.git("show", "main:shared.txt"), "a\nb\n");
  w.server.assertScriptConsumed();
});
