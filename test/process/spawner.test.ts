import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { HelperPool, type SpawnSpec } from "../../src/process/spawner.ts";
import { hermeticEnv } from "./helpers.ts";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-spawner-")));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const spec = (dir: string, n: number): SpawnSpec => ({ file: "/bin/sh", args: ["-c", `echo ${n}`], cwd: dir, baseEnv: hermeticEnv(), env: {}, stdin: { text: "" } });

void test("the helper pool starts a second helper only while the first is busy starting a process, and no more than its limit", async (t) => {
  const dir = tempDir(t);
  const pool = new HelperPool(2);
  t.after(() => pool.close());
  const outputs: string[] = [];
  const collect = (_: string, data: Buffer | string) => outputs.push(String(data).trim());
  // One at a time: one helper is enough.
  for (let n = 0; n < 3; n++) {
    const child = await pool.spawn(spec(dir, n), collect);
    await child.closed;
  }
  assert.equal(pool.size, 1);
  // Several in the same turn: the first helper is busy with the first, so a second one starts; never a third.
  const children = await Promise.all([3, 4, 5, 6].map((n) => pool.spawn(spec(dir, n), collect)));
  assert.equal(pool.size, 2);
  for (const c of children) assert.deepEqual(await c.exited, { code: 0, signal: null });
  await Promise.all(children.map((c) => c.closed));
  assert.deepEqual(outputs.sort(), ["0", "1", "2", "3", "4", "5", "6"]);
});

void test("a helper's spawn failure carries the system's error code; after close() processes start in process", async (t) => {
  const dir = tempDir(t);
  const pool = new HelperPool(1);
  await assert.rejects(pool.spawn({ ...spec(dir, 0), file: "viable-no-such-program" }, () => {}), { code: "ENOENT" });
  assert.equal(pool.size, 1);
  pool.close();
  const child = await pool.spawn(spec(dir, 1), () => {});
  assert.deepEqual(await child.exited, { code: 0, signal: null });
  assert.equal(pool.size, 1);
});
