// Throwaway Postgres clusters for tests: initdb into a temp directory, a server on a free port of
// 127.0.0.1 (its socket in that directory too), trust logins, removed at the end. As root, the
// server runs as the `postgres` user (initdb refuses root). `.ci/run` starts one for the whole run
// and passes VIABLE_TEST_POSTGRES_URL; without it, a test process starts its own. Each test gets a
// database of its own either way.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface Cluster {
  dir: string;
  port: number;
  /** A URL of database `db` on this cluster. */
  url(db?: string): string;
  stop(): void;
  /** Stops the server (fast: connections are cut) and starts it again on the same port. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Only the server's stop, to come back with start(). */
  stopServer(): void;
  startServer(): void;
}

function binDir(): string {
  for (const dir of [process.env.PG_BINDIR, ...listVersions()].filter((d): d is string => !!d)) {
    if (fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"))) return dir;
  }
  throw new Error("no Postgres server binaries (initdb, pg_ctl): apt-get install -y postgresql");
}

function listVersions(): string[] {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(root, v, "bin"));
}

const asRoot = process.getuid?.() === 0;

/** Like run(), without holding up the event loop: a restart while the test's own clients are mid-transaction. */
function runAsync(bin: string, args: string[]): Promise<void> {
  const cmd = asRoot ? ["runuser", "-u", "postgres", "--", bin, ...args] : [bin, ...args];
  return new Promise((resolve, reject) => {
    execFile(cmd[0]!, cmd.slice(1), (error, stdout, stderr) => (error ? reject(new Error(`${path.basename(bin)} failed: ${stderr || stdout}`)) : resolve()));
  });
}

function run(bin: string, args: string[]): void {
  const cmd = asRoot ? ["runuser", "-u", "postgres", "--", bin, ...args] : [bin, ...args];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `serverOptions`: more `-c name=value` settings for the server (a benchmark's statistics, say);
 * `hba`: more pg_hba.conf lines (logins from a test's network namespace).
 */
export async function startCluster(serverOptions: string[] = [], hba: string[] = []): Promise<Cluster> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-pg-"));
  const data = path.join(dir, "data");
  if (asRoot) {
    fs.chmodSync(dir, 0o755);
    execFileSync("chown", ["postgres:postgres", dir]);
  }
  run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  if (hba.length > 0) fs.appendFileSync(path.join(data, "pg_hba.conf"), `${hba.join("\n")}\n`);
  const port = await freePort();
  const startServer = () => run(path.join(bin, "pg_ctl"), [
    "-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "60",
    "-o", [`-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`, ...serverOptions.map((o) => `-c ${o}`)].join(" "), "start",
  ]);
  const stopServer = () => run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
  const serverArgs = (): string[] => [
    "-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "60",
    "-o", [`-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`, ...serverOptions.map((o) => `-c ${o}`)].join(" "), "start",
  ];
  startServer();
  return {
    dir, port,
    url: (db = "postgres") => `postgres://postgres@127.0.0.1:${port}/${db}`,
    stop: () => {
      try {
        stopServer();
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    restart: async (opts = {}) => {
      await runAsync(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]);
      if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      await runAsync(path.join(bin, "pg_ctl"), serverArgs());
    },
    stopServer, startServer,
  };
}

let own: Promise<Cluster> | undefined;

/** The run's shared cluster (.ci/run), or one for this test process, stopped when it exits. */
async function sharedServer(): Promise<string> {
  const shared = process.env.VIABLE_TEST_POSTGRES_URL;
  if (shared) return shared;
  own ??= startCluster().then((c) => {
    process.once("exit", () => c.stop());
    return c;
  });
  return (await own).url();
}

/** A fresh, empty database for one test: its URL. Dropped by `t.after`. */
export async function testDatabase(t: { after: (fn: () => Promise<void>) => void }, server?: string): Promise<string> {
  const admin = server ?? (await sharedServer());
  const name = `viable_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  t.after(async () => {
    const c = new pg.Client({ connectionString: admin });
    try {
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {
      // The cluster is already gone (a test process's own, stopped at exit).
    } finally {
      await c.end().catch(() => {});
    }
  });
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A database on a cluster of the test's own, for a test that restarts the server: both, the cluster stopped by `t.after`. */
export async function restartableDatabase(t: { after: (fn: () => Promise<void>) => void }): Promise<{ cluster: Cluster; url: string }> {
  const cluster = await startCluster();
  t.after(async () => cluster.stop());
  return { cluster, url: await testDatabase(t, cluster.url()) };
}
