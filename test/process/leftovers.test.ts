import { test } from "node:test";
import assert from "node:assert/strict";

import { isProcessAlive } from "../../src/process/process-tree.ts";
import { superviseProcess } from "../../src/process/supervise-process.ts";
import { pidsCarrying, readCount, readUntil, statFields, testSpec, uniqueMarker } from "./helpers.ts";

/** The pid announced on a line "<label> <pid>". */
function pidOf(lines: string[], label: string): number {
  const line = lines.find((l) => l.startsWith(`${label} `));
  assert.ok(line, `no "${label}" line in ${JSON.stringify(lines)}`);
  return Number(line.slice(label.length + 1));
}

void test("when an agent exits normally, its background job and a setsid'd tool it left are stopped", async () => {
  const marker = uniqueMarker("leftovers");
  // Each process announces its own pid once it is what it claims to be (exec'd, in its session).
  // `bg` stays in the agent's group; `session` is what Claude Code's Bash tool does (a new session);
  // `scrubbed` is started by that tool with an emptied environment, so only its parent leads to it.
  const script = [
    `sleep 1000 & echo "bg $!"`,
    `setsid sh -c 'env -i sh -c "echo scrubbed \\$\\$; exec sleep 1000" & echo "session $$"; exec sleep 1000' &`,
    `read go; exit 0`,
  ].join("\n");
  const proc = superviseProcess(testSpec(marker, script, { stdin: "pipe" }));
  const seen = await readCount(proc.lines[Symbol.asyncIterator](), 3);
  const [bg, session, scrubbed] = [pidOf(seen, "bg"), pidOf(seen, "session"), pidOf(seen, "scrubbed")];
  assert.equal(statFields(session)[3], String(session), "the tool should lead its own session");
  assert.equal(pidsCarrying(marker).includes(scrubbed), false, "the scrubbed process should not carry the marker");

  proc.closeStdin();
  const exit = await proc.exited;

  assert.equal(exit.termination, "exited");
  assert.equal(exit.exitCode, 0);
  assert.deepEqual(exit.leftovers.map((p) => p.pid).sort(), [bg, scrubbed, session].sort());
  assert.deepEqual(pidsCarrying(marker), []);
  for (const pid of [bg, session, scrubbed]) assert.equal(isProcessAlive(pid), false, `${pid} survived`);
});

void test("when an agent is cancelled, a setsid'd tool with an emptied environment is stopped too", async () => {
  const marker = uniqueMarker("cancel-leftovers");
  // Neither marked nor in the agent's group: only the process tree seen before the agent died finds it.
  const script = `setsid env -i sh -c 'echo "hidden $$"; exec sleep 1000' & exec sleep 1000`;
  const proc = superviseProcess(testSpec(marker, script));
  const seen = await readUntil(proc.lines[Symbol.asyncIterator](), (t) => t.startsWith("hidden"));
  const hidden = pidOf(seen, "hidden");
  assert.equal(statFields(hidden)[3], String(hidden), "the tool should lead its own session");

  proc.terminate("stop");
  const exit = await proc.exited;

  assert.equal(exit.termination, "cancelled");
  assert.deepEqual(exit.leftovers.map((p) => p.pid), [hidden]);
  assert.equal(isProcessAlive(hidden), false);
  assert.deepEqual(pidsCarrying(marker), []);
});

void test("a leftover that ignores SIGTERM is killed, and the exit says SIGKILL was needed", async () => {
  const marker = uniqueMarker("stubborn-leftover");
  const script = `setsid sh -c "trap '' TERM; echo \\"stubborn \\$\\$\\"; exec sleep 1000" &\nread go; exit 0`;
  const proc = superviseProcess(testSpec(marker, script, { stdin: "pipe", killGraceMs: 50 }));
  const seen = await readUntil(proc.lines[Symbol.asyncIterator](), (t) => t.startsWith("stubborn"));
  const stubborn = pidOf(seen, "stubborn");
  proc.closeStdin();
  const exit = await proc.exited;
  assert.equal(exit.termination, "exited");
  assert.equal(exit.forced, true);
  assert.equal(isProcessAlive(stubborn), false);
  assert.deepEqual(pidsCarrying(marker), []);
});
