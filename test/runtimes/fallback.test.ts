// Fallback across runtimes end to end: an agent of `runtime: claude` with `fallback: codex`, both
// real CLIs against one scripted server (which speaks both providers' APIs from one script).

import assert from "node:assert/strict";
import { test } from "node:test";
import { httpError, text, writeFile } from "../support/model-server/script.ts";
import { attemptEnds, attemptsIn, explain, ofType, runtimeWorld, streamed, TEST_TIMEOUT, viableRetries } from "./world.ts";

void test("fallback claude → codex: claude's 401 is not retried, codex does the work, told what claude did", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": { fields: { fallback: "codex" } } },
    config: { retries: { max: 2, base_delay_ms: 50 } },
    // Claude writes a draft, then its next model call is refused; codex takes over.
    script: [writeFile("draft.txt", "claude's draft\n"), httpError(401, { message: "invalid x-api-key" }), writeFile("fallback.txt", "written by codex\n"), text("Codex wrote fallback.txt.")],
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.equal(cycle.success, true);
  assert.equal(cycle.s1_results[0]?.metadata["runtime"], "codex");
  assert.equal(cycle.s1_results[0]?.output, "Codex wrote fallback.txt.");
  assert.equal(w.project.read("fallback.txt"), "written by codex\n");
  assert.equal(w.project.read("draft.txt"), "claude's draft\n");
  assert.deepEqual(attemptsIn(events).map((a) => a.runtime), ["claude", "codex"]);
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["failed", "succeeded"]);
  assert.deepEqual(viableRetries(events), [], "a 401 goes straight to the fallback");
  const fallback = ofType(events, "policy_decision").filter((e) => e.data["decision"] === "fallback");
  assert.deepEqual(fallback.map((e) => [e.data["from"], e.data["to"]]), [["claude", "codex"]]);
  assert.ok(streamed(events, "file_change").some((e) => e["path"] === "fallback.txt"));

  // The request codex made carries the task and what the claude attempt came to.
  const claudeError = String(attemptEnds(events)[0]?.["summary"]);
  const codexTurns = w.server.turns().filter((r) => r.dialect === "openai-responses");
  assert.equal(codexTurns.length, 2);
  const body = JSON.stringify(codexTurns[0]?.body);
  assert.ok(body.includes("A previous attempt with claude did not finish"), body.slice(0, 2000));
  assert.ok(body.includes(JSON.stringify(claudeError).slice(1, -1)), `the claude attempt's summary (${claudeError}) reaches codex`);
  assert.ok(body.includes("Files it changed (still in the workspace): draft.txt"), "and the files it left");
  assert.deepEqual(fallback[0]?.data["changed_files"], ["draft.txt"]);
  assert.match(attemptsIn(events)[1]?.prompt ?? "", /A previous attempt with claude did not finish/);
  w.server.assertScriptConsumed();
});
