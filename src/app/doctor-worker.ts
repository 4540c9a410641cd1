// `viable doctor`'s checks for a machine of a distributed loop (store.url, loop.remote): git, the
// shared database (reachable, its schema, this clock against the server's), and the git remote.
// Each check says what failed and what to do; nothing is changed.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { storeUrl, type ViableConfig } from "../config/config.ts";
import { errorMessage } from "../domain/errors.ts";
import { redactUrl } from "../store/postgres/connection.ts";
import { LATEST_SCHEMA_VERSION } from "../store/migrations.ts";

const run = promisify(execFile);

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Clocks further apart than this confuse the reading of heartbeats, expiries and records' times. */
const MAX_SKEW_MS = 2000;

export async function workerChecks(root: string, config: ViableConfig): Promise<Check[] | null> {
  const url = storeUrl(config);
  const remote = config.loop.remote;
  if (!url && !remote) return null;
  const checks: Check[] = [];
  try {
    const { stdout } = await run("git", ["--version"], { timeout: 10_000 });
    checks.push({ name: "git", ok: true, detail: stdout.trim() });
  } catch (e) {
    checks.push({ name: "git", ok: false, detail: errorMessage(e), fix: "install git (apt-get install git)" });
  }
  if (url) checks.push(...(await databaseChecks(url)));
  else checks.push({ name: "database", ok: false, detail: "loop.remote is set but the store is the local file", fix: "set store.url (or VIABLE_DATABASE_URL) to the Postgres every machine shares" });
  const target = remote ?? "origin";
  try {
    await run("git", ["ls-remote", "--heads", target], { cwd: root, timeout: 30_000 });
    checks.push({ name: "remote", ok: true, detail: `${target} answers` });
  } catch (e) {
    checks.push({ name: "remote", ok: false, detail: `${target}: ${errorMessage(e).split("\n").slice(-2).join(" ").trim()}`, fix: "set loop.remote to the shared repository (a bare repository's path or an SSH/HTTPS URL) and check this machine's access to it" });
  }
  return checks;
}

async function databaseChecks(url: string): Promise<Check[]> {
  const where = redactUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => {});
  try {
    const before = Date.now();
    await client.connect();
    const row = (await client.query<{ now: Date; version: string }>("SELECT now() AS now, current_setting('server_version') AS version")).rows[0]!;
    const after = Date.now();
    // The server's time against the middle of the round trip.
    const skew = row.now.getTime() - (before + after) / 2;
    const schema = await client.query<{ version: number }>("SELECT version FROM viable_schema WHERE id = 1").then((r) => r.rows[0]?.version ?? null, () => null);
    return [
      { name: "database", ok: true, detail: `${where} (Postgres ${row.version}), schema ${schema === null ? "not created yet (the first `viable` command creates it)" : `version ${schema}`}` },
      ...(schema !== null && schema > LATEST_SCHEMA_VERSION ? [{ name: "schema", ok: false, detail: `the database has schema version ${schema}, this Viable understands up to ${LATEST_SCHEMA_VERSION}`, fix: "upgrade Viable on this machine" }] : []),
      Math.abs(skew) > MAX_SKEW_MS
        ? { name: "clock", ok: false, detail: `this clock is ${Math.round(skew / -1000)} s off the database server's`, fix: "run NTP (systemd-timesyncd, chrony) on this machine and the server" }
        : { name: "clock", ok: true, detail: `within ${Math.round(Math.abs(skew))} ms of the database server's` },
    ];
  } catch (e) {
    return [{ name: "database", ok: false, detail: `${where}: ${errorMessage(e)}`, fix: "start the server, or fix store.url / VIABLE_DATABASE_URL (user, password, host, port, database)" }];
  } finally {
    await client.end().catch(() => {});
  }
}
