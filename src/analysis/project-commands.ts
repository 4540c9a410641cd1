// What a project builds, tests and lints with, read from its own files (package.json scripts,
// Makefile targets, Cargo, Go, Python tool config). S3* uses the test command to verify agents' work.

import fs from "node:fs/promises";
import path from "node:path";

export interface ProjectCommands {
  test?: string;
  lint?: string;
  build?: string;
}

export type CommandKind = keyof ProjectCommands;

export interface ProjectTooling {
  /** npm | pnpm | yarn | bun | cargo | go | poetry | uv | pipenv | pip | bundler | maven | gradle | composer | mix; null when none is recognized. */
  package_manager: string | null;
  commands: ProjectCommands;
  /** Where each command came from, e.g. {test: "package.json scripts.test"}. */
  command_sources: Partial<Record<CommandKind, string>>;
}

async function readText(root: string, file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(root, file), "utf8");
  } catch {
    return undefined;
  }
}

async function exists(root: string, file: string): Promise<boolean> {
  try {
    await fs.access(path.join(root, file));
    return true;
  } catch {
    return false;
  }
}

const JS_MANAGERS = ["pnpm", "yarn", "bun", "npm"] as const;

/** Lockfiles decide, in this order; a package.json without a lockfile is npm's. */
const LOCKFILES: ReadonlyArray<readonly [string, string]> = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lockb", "bun"],
  ["bun.lock", "bun"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
  ["Cargo.toml", "cargo"],
  ["go.mod", "go"],
  ["poetry.lock", "poetry"],
  ["uv.lock", "uv"],
  ["Pipfile", "pipenv"],
  ["requirements.txt", "pip"],
  ["Gemfile", "bundler"],
  ["pom.xml", "maven"],
  ["build.gradle", "gradle"],
  ["build.gradle.kts", "gradle"],
  ["composer.json", "composer"],
  ["mix.exs", "mix"],
];

interface PackageJson {
  packageManager?: unknown;
  scripts?: Record<string, unknown>;
}

function parsePackageJson(text: string | undefined): PackageJson | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined; // a broken package.json is the project's problem; S4 just learns less
  }
}

export async function detectTooling(root: string): Promise<ProjectTooling> {
  const pkg = parsePackageJson(await readText(root, "package.json"));
  const pyproject = (await readText(root, "pyproject.toml")) ?? "";

  let manager: string | null = null;
  // Corepack's "packageManager" field is the project's explicit choice and beats lockfile guessing.
  const declared = typeof pkg?.packageManager === "string" ? pkg.packageManager.split("@")[0] : undefined;
  if (declared && (JS_MANAGERS as readonly string[]).includes(declared)) manager = declared;
  for (const [file, name] of LOCKFILES) {
    if (manager !== null) break;
    if (await exists(root, file)) manager = name;
  }
  if (manager === null && pkg) manager = "npm";
  if (manager === null && pyproject !== "") manager = /\[tool\.poetry\]/.test(pyproject) ? "poetry" : "pip";

  const commands: ProjectCommands = {};
  const sources: Partial<Record<CommandKind, string>> = {};
  const offer = (kind: CommandKind, command: string, source: string): void => {
    if (commands[kind] === undefined) {
      commands[kind] = command;
      sources[kind] = source;
    }
  };

  const jsManager = manager !== null && (JS_MANAGERS as readonly string[]).includes(manager) ? manager : "npm";
  for (const kind of ["test", "lint", "build"] as const) {
    const script = pkg?.scripts?.[kind];
    // `npm init` writes a test script that only fails; it is not a test command.
    if (typeof script === "string" && script.trim() !== "" && !/no test specified/.test(script)) {
      offer(kind, `${jsManager} run ${kind}`, `package.json scripts.${kind}`);
    }
  }

  const makefile = (await readText(root, "Makefile")) ?? (await readText(root, "makefile"));
  if (makefile !== undefined) {
    const targets = new Set([...makefile.matchAll(/^([A-Za-z0-9_.-]+)\s*:(?!=)/gm)].map((m) => m[1]));
    if (targets.has("test")) offer("test", "make test", "Makefile target test");
    else if (targets.has("check")) offer("test", "make check", "Makefile target check");
    if (targets.has("lint")) offer("lint", "make lint", "Makefile target lint");
    if (targets.has("build")) offer("build", "make build", "Makefile target build");
  }

  if (await exists(root, "Cargo.toml")) {
    offer("test", "cargo test", "Cargo.toml");
    offer("lint", "cargo clippy", "Cargo.toml");
    offer("build", "cargo build", "Cargo.toml");
  }
  if (await exists(root, "go.mod")) {
    offer("test", "go test ./...", "go.mod");
    offer("lint", "go vet ./...", "go.mod");
    offer("build", "go build ./...", "go.mod");
  }

  const runner = manager === "poetry" ? "poetry run " : manager === "uv" ? "uv run " : manager === "pipenv" ? "pipenv run " : "";
  const setupCfg = (await readText(root, "setup.cfg")) ?? "";
  const toxIni = (await readText(root, "tox.ini")) ?? "";
  if (
    /\[tool\.pytest/.test(pyproject) ||
    /\[tool:pytest\]/.test(setupCfg) ||
    /\[pytest\]/.test(toxIni) ||
    (await exists(root, "pytest.ini")) ||
    (await exists(root, "conftest.py"))
  ) {
    offer("test", `${runner}pytest`, "pytest configuration");
  }
  if (/\[tool\.ruff/.test(pyproject) || (await exists(root, "ruff.toml")) || (await exists(root, ".ruff.toml"))) {
    offer("lint", `${runner}ruff check .`, "ruff configuration");
  }

  return { package_manager: manager, commands, command_sources: sources };
}
