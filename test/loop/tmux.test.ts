// `viable loop --tmux` with real tmux on Viable's own socket, read as a person would (`list-windows`,
// `capture-pane`): a window per running agent showing its output, closed with its attempt; no
// session outlives the loop; one left by a killed loop is ended by the next.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { test } from "node:test";
import { mirrorSocket } from "../../src/app/tmux-mirror.ts";
import { importPlan, loopProject, startLoop } from "./support.ts";

function tmux(socket: string, ...args: string[]): string | null {
  try {
    return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

async function until<T>(fn: () => T | null | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test("loop --tmux: a window per running agent shows its output and closes with it; nothing of tmux outlives the loop", async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b", dependencies: ["a"] }], { config: { loop: { concurrency: 1 } } });
  p.script(`echo "working on $VIABLE_ITEM_ID"; while [ ! -f '${p.sig("release")}'-"$VIABLE_ITEM_ID" ]; do sleep 0.02; done; echo x > "f-$VIABLE_ITEM_ID.txt"`);
  assert.equal((await importPlan(p)).code, 0);
  const socket = mirrorSocket(p.dir);
  t.after(() => void tmux(socket, "kill-server"));
  const loop = startLoop(p.dir, "--tmux");
  t.after(() => loop.child.kill("SIGKILL"));

  const windows = () => tmux(socket, "list-windows", "-t", "viable", "-F", "#{window_name} #{window_id}")?.trim().split("\n") ?? [];
  const a = await until(() => windows().find((w) => w.startsWith("a ")), "a window for item a");
  const paneOf = (w: string) => w.split(" ")[1]!;
  await until(() => tmux(socket, "capture-pane", "-p", "-t", paneOf(a))?.includes("working on a"), "item a's output in its window");
  assert.deepEqual(windows().map((w) => w.split(" ")[0]), ["loop", "a"]);
  fs.writeFileSync(`${p.sig("release")}-a`, "");
  await until(() => windows().some((w) => w.startsWith("b ")) && !windows().some((w) => w.startsWith("a ")), "a's window closed, b's open");
  const loopPane = tmux(socket, "capture-pane", "-p", "-t", "viable:loop") ?? "";
  assert.match(loopPane, /item_passed a/);
  fs.writeFileSync(`${p.sig("release")}-b`, "");
  const r = await loop.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`tmux -L ${socket} attach -t viable`));
  assert.equal(tmux(socket, "has-session", "-t", "viable"), null, "the session ended with the loop");
});

void test("kill -9 of a loop with windows open: the next loop ends the old session first", async (t) => {
  const p = loopProject(t, [{ id: "a" }]);
  p.script(`while [ ! -f '${p.sig("release")}' ]; do sleep 0.02; done; echo x > f.txt`);
  assert.equal((await importPlan(p)).code, 0);
  const socket = mirrorSocket(p.dir);
  t.after(() => void tmux(socket, "kill-server"));
  const first = startLoop(p.dir, "--tmux");
  await until(() => tmux(socket, "list-windows", "-t", "viable", "-F", "#{window_name}")?.includes("a"), "a window for item a");
  first.child.kill("SIGKILL");
  await first.done;
  assert.notEqual(tmux(socket, "has-session", "-t", "viable"), null, "left behind by the killed loop");
  fs.writeFileSync(p.sig("release"), "");
  const second = await startLoop(p.dir, "--tmux").done;
  assert.equal(second.code, 0, second.stderr);
  assert.equal(tmux(socket, "has-session", "-t", "viable"), null, "nothing of either loop is left");
});
