// A worker cut off from the network, in a network namespace of the test's own: it reaches the
// Postgres server only over a veth pair the test takes down mid-attempt. Its job's heartbeat
// expires and the attempt is retried on another worker, which the coordinator merges; when the
// cut-off worker comes back, its late answer is refused — nothing of its try is pushed or merged.
// Network namespaces need root and iproute2 (`.ci/run` runs as root and installs iproute2).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { test } from "node:test";
import { importPlan, loopProject, startLoop } from "../loop/support.ts";
import { eachLine, testEnv, VIABLE_BIN } from "../support/cli.ts";
import { waitFor } from "../support/e2e.ts";
import { startCluster, testDatabase } from "../support/postgres.ts";
import { machines } from "./support.ts";

void test("a worker cut off mid-attempt: its job expires and is retried on another worker; its late answer is refused, never pushed or merged", async (t) => {
  const k = 10 + (process.pid % 200);
  const ns = `viable-cut-${process.pid}`;
  const host = `vh${process.pid}`.slice(0, 15);
  const peer = `vn${process.pid}`.slice(0, 15);
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
  ip("netns", "add", ns);
  t.after(() => {
    try { ip("link", "del", host); } catch { /* gone with the namespace */ }
    try { ip("netns", "del", ns); } catch { /* already gone */ }
  });
  ip("link", "add", host, "type", "veth", "peer", "name", peer);
  ip("link", "set", peer, "netns", ns);
  ip("addr", "add", `10.201.${k}.1/30`, "dev", host);
  ip("link", "set", host, "up");
  ip("netns", "exec", ns, "ip", "addr", "add", `10.201.${k}.2/30`, "dev", peer);
  ip("netns", "exec", ns, "ip", "link", "set", peer, "up");
  ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");

  const cluster = await startCluster([`listen_addresses='127.0.0.1,10.201.${k}.1'`], [`host all all 10.201.${k}.2/32 trust`]);
  t.after(() => cluster.stop());
  const url = await testDatabase(t, cluster.url());
  const m = machines(t);
  const p = loopProject(t, [{ id: "cut", description: "write cut.txt" }, { id: "b", description: "write b.txt" }], { config: { store: { url }, loop: { concurrency: 2, remote: m.remote } } });
  // The first try waits (on the cut-off worker) until the test releases it; any later try writes at once.
  p.script(`if [ "$VIABLE_ITEM_ID" = cut ] && [ ! -e '${p.sig("first")}' ]; then touch '${p.sig("first")}'; while [ ! -e '${p.sig("release")}' ]; do sleep 0.05; done; fi
printf '%s\\n' "$VIABLE_WORKSPACE" > "$VIABLE_ITEM_ID.txt"\n`);
  p.git("push", "--quiet", m.remote, "main");
  assert.equal((await importPlan(p)).code, 0);

  // The cut-off machine: a clone whose worker runs in the namespace and reaches the server by the veth address.
  const dir = `${m.root}/cut-off`;
  execFileSync("git", ["clone", "--quiet", m.remote, dir]);
  const inNamespace = `postgres://postgres@10.201.${k}.1:${cluster.port}${new URL(url).pathname}`;
  const cutOff = spawn("ip", ["netns", "exec", ns, process.execPath, VIABLE_BIN, "worker", "-d", dir, "--concurrency", "1"], { env: testEnv({ VIABLE_DATABASE_URL: inNamespace }), stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  eachLine(cutOff.stdout, (l) => lines.push(l));
  cutOff.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const cutOffDone = new Promise<void>((resolve) => cutOff.once("exit", () => resolve()));
  t.after(async () => {
    cutOff.kill("SIGKILL");
    await cutOffDone;
  });

  const loop = startLoop(p.dir);
  await waitFor(() => fs.existsSync(p.sig("first")) && lines.some((l) => l.startsWith("▶ cut")), `the cut-off worker on item cut (its lines: ${lines.join(" | ")}; its stderr: ${stderr}; the loop: ${JSON.stringify(loop.events.slice(-6))})`, 90_000);
  ip("link", "set", host, "down");
  // Another machine takes the job once its heartbeat has expired, and the coordinator merges that.
  const other = m.worker("m2");
  await waitFor(() => loop.events.some((e) => e.type === "item_passed" && e.item === "cut"), "cut merged from the other worker", 90_000);
  // Back on the network, the first try finishes its agent: its answer is refused, nothing pushed.
  ip("link", "set", host, "up");
  fs.writeFileSync(p.sig("release"), "");
  const run = await loop.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  assert.equal(p.git("show", "main:cut.txt").trim().startsWith(other.dir), true, p.git("show", "main:cut.txt"));
  await waitFor(() => lines.some((l) => l.startsWith("■ cut")), `the cut-off worker's line for its stopped try (${lines.join(" | ")})`, 60_000);
  const pushed = p.git("ls-remote", m.remote, "refs/heads/viable-work/*").split("\n").filter((l) => l.includes("viable-work/cut/") && l.includes("try-1"));
  assert.deepEqual(pushed, [], "the cut-off try pushed nothing");
  const commits = p.git("log", "--format=%s", "main").split("\n").filter((c) => c.startsWith("session: completed "));
  assert.deepEqual(commits.map((c) => c.replace(/ \(.*$/, "")).sort(), ["session: completed b", "session: completed cut"]);
});
