// The installer: the cache location and that a second install of a version is a no-op.

import assert from "node:assert/strict";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { agentCliCacheDir, installAgentCli } from "../../scripts/install-agent-clis.ts";

void test("the cache defaults to .cache/agent-clis in the repo and follows VIABLE_AGENT_CLI_CACHE", () => {
  assert.equal(agentCliCacheDir({}), path.resolve(import.meta.dirname, "../../.cache/agent-clis"));
  assert.equal(agentCliCacheDir({ VIABLE_AGENT_CLI_CACHE: "relative/cache" }), path.resolve("relative/cache"));
});

void test("installing a cached version again reuses it and finds codex's native binary", { timeout: 180_000 }, async () => {
  const first = await installAgentCli("codex");
  const again = await installAgentCli("codex");
  assert.equal(again.installMs, null);
  assert.equal(again.bin, first.bin);
  assert.match(again.bin, /vendor\/[^/]+\/bin\/codex$/);
  assert.equal(again.dir, path.join(agentCliCacheDir(), "codex@0.169.0"));
  await access(again.bin, constants.X_OK);
});
