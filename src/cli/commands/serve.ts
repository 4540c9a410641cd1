// `viable serve [DIR...]`: the dashboard and HTTP API for one or several projects, until Ctrl-C.
// Prints the address with a fresh access token (the first visit turns it into a cookie).

import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { isUserError } from "../../domain/errors.ts";
import { startServer, type RunningServer } from "../../server/server.ts";
import { EXIT } from "../exit-codes.ts";
import type { Output } from "../output.ts";

export const DEFAULT_PORT = 7717;
/** Without --port, the next ports are tried when the default is taken (a second server). */
const PORT_TRIES = 10;

export interface ServeArgs {
  dirs: string[];
  host: string;
  port: number | undefined;
  open: boolean;
  json: boolean;
  version: string;
}

export async function serveCommand(args: ServeArgs, o: Output): Promise<number> {
  const loopback = args.host === "127.0.0.1" || args.host === "localhost" || args.host === "::1";
  if (!loopback) o.err(`viable serve: warning: listening on ${args.host}, not only this machine: anyone who can reach it and has the token can see and stop your agents`);
  // Listening for Ctrl-C before the address is printed: whoever reads it may stop us at once.
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.once(s, stop);
  const server = await listen(args, o).catch((e: unknown) => {
    for (const s of signals) process.off(s, stop);
    throw e;
  });
  if (args.json) {
    o.out(JSON.stringify({ url: server.url, login_url: server.loginUrl, port: server.port, projects: server.projects }));
  } else {
    o.out(`viable serve: ${server.projects.map((p) => `${p.id} (${p.root})`).join(", ")}`);
    o.out(`  open ${server.loginUrl}`);
    o.out("  Ctrl-C stops the server (loops and tasks it started go on)");
  }
  if (args.open) openBrowser(server.loginUrl, o);
  await stopped;
  await server.close();
  if (!args.json) o.err("viable serve: stopped");
  return EXIT.ok;
}

async function listen(args: ServeArgs, o: Output): Promise<RunningServer> {
  const first = args.port ?? DEFAULT_PORT;
  const tries = args.port === undefined ? PORT_TRIES : 1;
  for (let i = 0; ; i++) {
    try {
      return await startServer({ dirs: args.dirs, host: args.host, port: first + i, version: args.version, secretFile: sessionSecretFile(), log: (line) => o.err(line) });
    } catch (e) {
      if (!(isUserError(e) && e.field === "--port" && i + 1 < tries)) throw e;
    }
  }
}

/** The user's own state directory (XDG): the secret outlives a server, so its sessions do too. */
function sessionSecretFile(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "viable", "serve-session-secret");
}

function openBrowser(url: string, o: Output): void {
  const child = spawn("xdg-open", [url], { stdio: "ignore", detached: true });
  child.on("error", () => o.err("viable serve: could not open a browser (no xdg-open); open the address above yourself"));
  child.unref();
}
