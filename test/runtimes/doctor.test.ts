// `viable doctor --json` with the five cached CLIs found on PATH (a directory of symlinks named
// like the commands), each answering `--version` for real.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { prepare } from "../support/agent-clis/environments.ts";
import { AGENT_CLI_NAMES, AGENT_CLI_PINS } from "../support/agent-clis/install.ts";
import { installedCli } from "../support/agent-clis/scenario.ts";
import { createScratch } from "../support/agent-clis/scratch.ts";
import { json, viable } from "../support/cli.ts";
import { startModelServer } from "../support/model-server/server.ts";
import { TEST_TIMEOUT } from "./world.ts";

interface Doctor {
  runtimes: { runtime: string; installed: boolean; binary: string | null; version: string | null; auth: string; problems: string[] }[];
}

void test("doctor: every cached CLI on PATH is reported installed, with its version", TEST_TIMEOUT, async (t) => {
  const scratch = await createScratch("doctor");
  t.after(() => scratch.remove());
  // The CLIs' own settings (no update checks, no telemetry) in the scratch HOME, as for a run.
  const server = await startModelServer();
  t.after(() => server.close());
  const bin = path.join(scratch.root, "bin");
  fs.mkdirSync(bin);
  let env: Record<string, string> = {};
  for (const name of AGENT_CLI_NAMES) {
    const cli = await installedCli(name);
    fs.symlinkSync(cli.bin, path.join(bin, name));
    env = { ...env, ...(await prepare[name](cli, scratch, server, { prompt: "unused" })).env };
  }
  env = { ...env, PATH: [bin, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) };

  // Run outside any project, so that no config names a binary: PATH is what is searched.
  const r = await viable(["doctor", "--json"], { cwd: scratch.tmp, env });
  assert.equal(r.code, 0, r.stderr);
  const report = json<Doctor>(r);
  assert.deepEqual(report.runtimes.map((d) => d.runtime).sort(), [...AGENT_CLI_NAMES].sort());
  for (const d of report.runtimes) {
    const pin = AGENT_CLI_PINS[d.runtime as keyof typeof AGENT_CLI_PINS];
    assert.equal(d.installed, true, JSON.stringify(d));
    assert.ok(d.binary?.startsWith(bin), `${d.runtime} found on PATH: ${d.binary}`);
    assert.ok(d.version?.includes(pin.version), `${d.runtime} version ${d.version}, pinned ${pin.version}`);
    assert.ok(!d.problems.some((p) => p.includes("--version` failed")), JSON.stringify(d.problems));
  }
  assert.deepEqual(server.requests, [], "asking for versions sends nothing to the model");
});
