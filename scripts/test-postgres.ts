// For .ci/run: `node scripts/test-postgres.ts start` starts a throwaway Postgres cluster (initdb
// into a temp directory, a free port of 127.0.0.1) and prints `URL<TAB>DIR`; `stop DIR` stops it
// and removes the directory. The tests find it through VIABLE_TEST_POSTGRES_URL.

import path from "node:path";
import { spawnSync } from "node:child_process";
import { startCluster } from "../test/support/postgres.ts";

const [command, dir] = process.argv.slice(2);
if (command === "start") {
  const c = await startCluster();
  process.stdout.write(`${c.url()}\t${c.dir}\n`);
} else if (command === "stop" && dir) {
  const bin = spawnSync("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"], { encoding: "utf8" }).stdout.trim();
  const args = [path.join(bin, "pg_ctl"), "-D", path.join(dir, "data"), "-m", "fast", "-w", "stop"];
  spawnSync(process.getuid?.() === 0 ? "runuser" : args[0]!, process.getuid?.() === 0 ? ["-u", "postgres", "--", ...args] : args.slice(1), { stdio: "inherit" });
  spawnSync("rm", ["-rf", dir], { stdio: "inherit" });
} else {
  process.stderr.write("usage: node scripts/test-postgres.ts start | stop DIR\n");
  process.exit(2);
}
