// Use case behind `viable doctor`: for each runtime, whether its CLI is installed, which version,
// how it would authenticate, and the known problems that make headless runs fail in surprising ways.

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { resolveCliBinary } from "../agents/cli-binary.ts";
import { CLI_PROTOCOLS, type CliRuntimeName } from "../agents/cli-protocols.ts";
import { defaultConfig, loadConfig, type ViableConfig } from "../config/config.ts";
import { projectPaths } from "../workspace/paths.ts";
import { workerChecks, type Check } from "./doctor-worker.ts";

const run = promisify(execFile);

export interface RuntimeDiagnosis {
  runtime: CliRuntimeName;
  installed: boolean;
  binary: string | null;
  version: string | null;
  auth: string;
  problems: string[];
}

export async function diagnose(config: ViableConfig, env: NodeJS.ProcessEnv = process.env): Promise<RuntimeDiagnosis[]> {
  const home = env.HOME ?? os.homedir();
  const isRoot = process.getuid?.() === 0;
  return Promise.all((Object.keys(CLI_PROTOCOLS) as CliRuntimeName[]).map(async (name) => {
    const protocol = CLI_PROTOCOLS[name];
    const configured = config.runtimes[name]?.bin;
    const binary = resolveCliBinary(protocol, configured) ?? null;
    const problems: string[] = [];
    let version: string | null = null;
    if (binary) {
      try {
        const { stdout, stderr } = await run(binary, ["--version"], { timeout: 15_000, env: { ...env, NO_COLOR: "1" } });
        version = (stdout || stderr).trim().split("\n")[0] ?? null;
      } catch (e) {
        problems.push(`\`${binary} --version\` failed: ${(e as Error).message.split("\n")[0]}`);
      }
    } else {
      problems.push(configured ? `runtimes.${name}.bin is ${configured}, which does not exist` : `not on PATH: \`npm install -g ${protocol.npmPackage}\``);
    }
    const keys = protocol.authEnv.filter((k) => env[k]);
    let auth = keys.length ? `environment: ${keys.join(", ")}` : "none found";
    const files: Record<CliRuntimeName, string[]> = {
      claude: [path.join(env.CLAUDE_CONFIG_DIR ?? path.join(home, ".claude"), ".credentials.json")],
      codex: [path.join(env.CODEX_HOME ?? path.join(home, ".codex"), "auth.json")],
      gemini: [path.join(home, ".gemini", "oauth_creds.json")],
      opencode: [path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "opencode", "auth.json")],
      qwen: [path.join(home, ".qwen", "oauth_creds.json")],
    };
    const found = files[name].find((f) => fs.existsSync(f));
    if (!keys.length && found) auth = `login file: ${found}`;
    if (name === "claude" && binary && isRoot && env.IS_SANDBOX !== "1") {
      problems.push("running as root: Claude Code refuses bypassPermissions unless IS_SANDBOX=1 (Viable sets it for its own runs; set it yourself for manual runs)");
    }
    if (name === "codex" && binary?.endsWith(".js")) {
      problems.push("only the JS wrapper was found: killing it orphans the native codex process; install the platform package or set runtimes.codex.bin to vendor/<triple>/bin/codex");
    }
    if (name === "gemini" && binary && env.GEMINI_CLI_NO_RELAUNCH !== "true") {
      problems.push("note: Viable sets GEMINI_CLI_NO_RELAUNCH=true; without it gemini relaunches itself and ignores SIGINT");
    }
    if (auth === "none found" && binary) problems.push(`no credentials found: set ${protocol.authEnv[0]} or log in with the CLI`);
    return { runtime: name, installed: binary !== null, binary, version, auth, problems };
  }));
}

/** The diagnosis with the project's config (its `runtimes.<cli>.bin`), or the defaults outside a project. */
export async function doctor(dir: string): Promise<{ node: string; runtimes: RuntimeDiagnosis[]; distributed: Check[] | null }> {
  let config = defaultConfig();
  const paths = projectPaths(path.resolve(dir));
  if (fs.existsSync(paths.configFile)) config = loadConfig(paths.configFile);
  const [runtimes, distributed] = await Promise.all([diagnose(config), workerChecks(paths.root, config)]);
  return { node: process.version, runtimes, distributed };
}
