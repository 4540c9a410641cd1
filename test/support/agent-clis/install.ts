// Installs pinned versions of the five agent CLIs into a cache directory outside the package's
// dependencies (they are 200–400 MB each and only the end-to-end tests need them), once per
// version: a marker file records a finished install, and a half-finished one is never reused
// because each install happens in a private directory that is renamed into place at the end.

import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

export const AGENT_CLI_NAMES = ["claude", "codex", "gemini", "opencode", "qwen"] as const;
export type AgentCliName = (typeof AGENT_CLI_NAMES)[number];

export interface AgentCliPin {
  pkg: string;
  version: string;
}

/**
 * Pinned because the stream formats and the side requests the scripted server answers were read
 * from these exact versions. Claude's version must have a linux-x64 native optional package (one
 * `latest` had none and printed only an error).
 */
export const AGENT_CLI_PINS: Readonly<Record<AgentCliName, AgentCliPin>> = {
  claude: { pkg: "@anthropic-ai/claude-code", version: "2.1.330" },
  codex: { pkg: "@openai/codex", version: "0.169.0" },
  gemini: { pkg: "@google/gemini-cli", version: "0.61.0" },
  opencode: { pkg: "opencode-ai", version: "1.18.33" },
  qwen: { pkg: "@qwen-code/qwen-code", version: "0.24.4" },
};

export interface InstalledAgentCli {
  name: AgentCliName;
  pkg: string;
  version: string;
  /** The install prefix: <cache>/<name>@<version>. */
  dir: string;
  /** The executable to spawn (a native binary, or a JS file with a node shebang for gemini/qwen). */
  bin: string;
  /** How long `npm install` took; null when the cached install was reused. */
  installMs: number | null;
}

export interface InstallOptions {
  /** Defaults to $VIABLE_AGENT_CLI_CACHE, else <repo>/.cache/agent-clis. */
  cacheDir?: string;
  only?: readonly AgentCliName[];
  log?: (line: string) => void;
}

const MARKER = ".viable-installed.json";
const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

export function agentCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["VIABLE_AGENT_CLI_CACHE"];
  return fromEnv ? path.resolve(fromEnv) : path.join(REPO_ROOT, ".cache", "agent-clis");
}

export async function installAgentClis(options: InstallOptions = {}): Promise<Record<AgentCliName, InstalledAgentCli>> {
  const cacheDir = options.cacheDir ?? agentCliCacheDir();
  const names = options.only ?? AGENT_CLI_NAMES;
  const result: Partial<Record<AgentCliName, InstalledAgentCli>> = {};
  // One after another: parallel npm installs of ~1 GB on two cores gain little and thrash the disk.
  for (const name of names) result[name] = await installAgentCli(name, { ...options, cacheDir });
  return result as Record<AgentCliName, InstalledAgentCli>;
}

export async function installAgentCli(name: AgentCliName, options: InstallOptions = {}): Promise<InstalledAgentCli> {
  const cacheDir = options.cacheDir ?? agentCliCacheDir();
  const { pkg, version } = AGENT_CLI_PINS[name];
  const dir = path.join(cacheDir, `${name}@${version}`);
  const cached = await readMarker(dir);
  if (cached) return { name, pkg, version, dir, bin: await findBin(name, dir), installMs: null };

  await mkdir(cacheDir, { recursive: true });
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  const started = performance.now();
  try {
    options.log?.(`installing ${pkg}@${version} into ${dir}`);
    await npmInstall(staging, `${pkg}@${version}`);
    await postInstallFixes(name, staging);
    await findBin(name, staging);
    const installMs = Math.round(performance.now() - started);
    await writeFile(path.join(staging, MARKER), JSON.stringify({ pkg, version, installMs, installedAt: new Date().toISOString() }) + "\n");
    try {
      await rename(staging, dir);
    } catch (e) {
      // Another process (a parallel test file) finished the same install first: use theirs.
      if (!(await readMarker(dir))) throw e;
      await rm(staging, { recursive: true, force: true });
    }
    options.log?.(`installed ${pkg}@${version} in ${(installMs / 1000).toFixed(1)} s`);
    return { name, pkg, version, dir, bin: await findBin(name, dir), installMs };
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

async function readMarker(dir: string): Promise<boolean> {
  try {
    await readFile(path.join(dir, MARKER), "utf8");
    return true;
  } catch {
    return false;
  }
}

function npmInstall(prefix: string, spec: string): Promise<void> {
  // The node running this script goes first in PATH so that install scripts (opencode's
  // postinstall picks the right native binary) run under Node 24, not the machine's older node.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env["PATH"] ?? ""}` };
  const args = ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", spec];
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`));
    });
  });
}

async function postInstallFixes(name: AgentCliName, prefix: string): Promise<void> {
  if (name === "qwen") {
    // We run cli.js itself (see findBin); the tarball ships it without the execute bit.
    await chmod(path.join(prefix, "node_modules/@qwen-code/qwen-code/cli.js"), 0o755);
    // The tarball ships its ripgrep without the execute bit; qwen then logs EACCES and falls back
    // to a slower built-in grep. Restoring the bit is harmless and keeps stderr quiet.
    const root = path.join(prefix, "node_modules/@qwen-code/qwen-code/vendor/ripgrep");
    for (const entry of await readdir(root).catch(() => [])) {
      await chmod(path.join(root, entry, "rg"), 0o755).catch(() => undefined);
    }
  }
}

/** Rust target triples, as @openai/codex's own bin/codex.js maps them. */
function codexTriple(): string {
  const key = `${process.platform}-${process.arch}`;
  const triples: Record<string, string> = {
    "linux-x64": "x86_64-unknown-linux-musl",
    "linux-arm64": "aarch64-unknown-linux-musl",
    "darwin-x64": "x86_64-apple-darwin",
    "darwin-arm64": "aarch64-apple-darwin",
  };
  const triple = triples[key];
  if (!triple) throw new Error(`codex has no native binary for ${key}`);
  return triple;
}

/**
 * Where each executable lives, and why that one:
 * - codex: the native binary under vendor/<triple>/bin/codex (from @openai/codex-<platform>),
 *   not bin/codex.js, which spawns it as a child that survives a kill of the wrapper.
 * - claude, opencode: the package's declared bin, which is the native binary itself (claude ships
 *   bin/claude.exe as a hard link to the platform package's; opencode's postinstall puts the
 *   binary matching the CPU in bin/opencode.exe).
 * - gemini: the package's declared bin, a bundled JS file run by `node` from PATH.
 * - qwen: cli.js, not the declared bin cli-entry.js, which only re-runs `node --expose-gc cli.js`
 *   with spawnSync: a second Node start (~1–4 s here) and a second process per run.
 */
export async function findBin(name: AgentCliName, prefix: string): Promise<string> {
  const modules = path.join(prefix, "node_modules");
  let candidates: string[];
  if (name === "qwen") {
    candidates = [path.join(modules, "@qwen-code/qwen-code/cli.js")];
  } else if (name === "codex") {
    const triple = codexTriple();
    const platformPkg = `@openai/codex-${process.platform}-${process.arch}`;
    candidates = [
      path.join(modules, platformPkg, "vendor", triple, "bin", "codex"),
      path.join(modules, "@openai/codex/vendor", triple, "bin", "codex"),
    ];
  } else {
    const { pkg } = AGENT_CLI_PINS[name];
    const manifest = JSON.parse(await readFile(path.join(modules, pkg, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
    const declared = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[name];
    if (!declared) throw new Error(`${pkg} declares no bin for ${name}`);
    candidates = [path.join(modules, pkg, declared)];
  }
  for (const candidate of candidates) {
    const s = await stat(candidate).catch(() => undefined);
    if (s?.isFile()) return candidate;
  }
  throw new Error(`${name}: no executable at ${candidates.join(" or ")}`);
}
