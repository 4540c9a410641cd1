// Throwaway git projects for tests: a temp directory, a git repo with one commit, optional files
// and command agents. Everything lives under one temp root removed by `cleanup()`.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

export interface TestProject {
  dir: string;
  write(rel: string, text: string): void;
  read(rel: string): string;
  exists(rel: string): boolean;
  git(...args: string[]): string;
  commitAll(message: string): void;
  /** Adds `.viable/agents/<name>.md` for a command agent. */
  agent(name: string, command: string, extra?: Record<string, string | number>): void;
  config(value: unknown): void;
  cleanup(): void;
}

const GIT_IDENTITY = ["-c", "user.name=Viable Test", "-c", "user.email=test@viable.invalid", "-c", "commit.gpgsign=false"];

export function makeProject(files: Record<string, string> = {}, opts: { git?: boolean } = {}): TestProject {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-test-")));
  const write = (rel: string, text: string) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const git = (...args: string[]) => execFileSync("git", [...GIT_IDENTITY, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } });
  for (const [rel, text] of Object.entries({ "README.md": "# test project\n", ...files })) write(rel, text);
  const project: TestProject = {
    dir,
    write,
    read: (rel) => fs.readFileSync(path.join(dir, rel), "utf8"),
    exists: (rel) => fs.existsSync(path.join(dir, rel)),
    git,
    commitAll: (message) => {
      git("add", "-A");
      git("commit", "-qm", message, "--allow-empty");
    },
    agent: (name, command, extra = {}) => {
      const fields = { name, description: `test agent ${name}`, runtime: "command", command, ...extra };
      const yaml = Object.entries(fields).map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : v}`).join("\n");
      write(`.viable/agents/${name}.md`, `---\n${yaml}\n---\nYou are ${name}.\n`);
    },
    config: (value) => write(".viable/config.json", JSON.stringify(value, null, 2)),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  if (opts.git !== false) {
    git("init", "-q", "-b", "main");
    project.commitAll("initial");
  }
  return project;
}

/** Command agents that stand in for every built-in name, so any allocation runs offline. */
export const BUILTIN_NAMES = ["generalist-coder", "code-writer", "tester", "reviewer", "documenter", "frontend", "backend", "database", "infrastructure"];

export function allAgentsRun(project: TestProject, command: string): void {
  for (const n of BUILTIN_NAMES) project.agent(n, command);
}

/** Pages in a SQLite file now: a size limit a little above it makes the next writes hit a "full disk". */
export function pageCount(file: string): number {
  const db = new DatabaseSync(file);
  try {
    return (db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  } finally {
    db.close();
  }
}
