// The scenarios every agent CLI should pass through Viable, registered per CLI by
// test/runtimes/<cli>.test.ts: a file written and a command run, an auth failure that is not
// retried, and (where the CLI's own retries can be turned off) a 5xx that Viable retries.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentCliName } from "../support/agent-clis/install.ts";
import { httpError, shell, text, writeFile } from "../support/model-server/script.ts";
import { attemptEnds, attemptsIn, explain, runtimeWorld, streamed, TEST_TIMEOUT, viableRetries } from "./world.ts";

export interface BasicScenarioOptions {
  /** Whether the CLI's own retries of a 5xx can be switched off, so that Viable's retry is what is seen. */
  retries500: boolean;
}

export function defineBasicScenarios(cli: AgentCliName, o: BasicScenarioOptions): void {
  void test(`${cli} via viable: writes a file and runs a command → succeeded, file_change logged`, TEST_TIMEOUT, async (t) => {
    const w = await runtimeWorld(t, {
      clis: [cli],
      script: [writeFile("notes/hello.txt", `hello from ${cli}\n`), shell("echo ran-by-agent > ran.txt"), text("Wrote the file and ran the command.")],
    });
    const { result, cycle } = await w.run();
    const events = await w.events();
    assert.equal(result.code, 0, explain(result, events));
    assert.equal(cycle.success, true);
    assert.equal(cycle.s1_results[0]?.metadata["runtime"], cli);
    assert.equal(cycle.s1_results[0]?.output, "Wrote the file and ran the command.");
    assert.equal(w.project.read("notes/hello.txt"), `hello from ${cli}\n`);
    assert.equal(w.project.read("ran.txt"), "ran-by-agent\n");
    assert.ok(streamed(events, "file_change").some((e) => e["path"] === "notes/hello.txt"), explain(result, events));
    assert.ok(streamed(events, "tool_call").length >= 2);
    assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["succeeded"]);
    w.server.assertScriptConsumed();
  });

  void test(`${cli} via viable: 401 → failed, not retried`, TEST_TIMEOUT, async (t) => {
    const w = await runtimeWorld(t, { clis: [cli], script: [httpError(401, { message: "invalid api key" })], config: { retries: { max: 2, base_delay_ms: 50 } } });
    const { result, cycle } = await w.run();
    const events = await w.events();
    assert.equal(result.code, 1, explain(result, events));
    assert.equal(cycle.success, false);
    assert.equal(cycle.s1_results[0]?.metadata["attempts"], 1);
    assert.equal(attemptsIn(events).length, 1);
    assert.deepEqual(viableRetries(events), []);
    assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["failed"]);
    w.server.assertScriptConsumed();
  });

  if (o.retries500) {
    void test(`${cli} via viable: 500 → retried by Viable, then succeeded`, TEST_TIMEOUT, async (t) => {
      const w = await runtimeWorld(t, { clis: [cli], script: [httpError(500, { message: "scripted outage" }), text("Recovered.")] });
      const { result, cycle } = await w.run();
      const events = await w.events();
      assert.equal(result.code, 0, explain(result, events));
      assert.equal(cycle.s1_results[0]?.metadata["attempts"], 2);
      const retries = viableRetries(events);
      assert.equal(retries.length, 1, explain(result, events));
      assert.equal(retries[0]?.["delayMs"], 50);
      assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["failed", "succeeded"]);
      w.server.assertScriptConsumed();
    });
  }
}
