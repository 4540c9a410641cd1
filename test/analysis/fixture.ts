// Throwaway project directories for the S4 scan tests: real files, and a real git repository when asked.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Project {
  dir: string;
  git: (...args: string[]) => string;
  write: (file: string, text: string) => void;
  remove: () => void;
}

// The code under test runs git with this process's environment: without the user's global and
// system git config (an excludesFile, say), what the scan sees depends only on the fixture.
process.env["GIT_CONFIG_GLOBAL"] = os.devNull;
process.env["GIT_CONFIG_NOSYSTEM"] = "1";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

export function makeProject(files: Record<string, string>, opts: { git?: "none" | "empty" | "committed" } = {}): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-scan-"));
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  const git = (...args: string[]): string => execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8" });
  for (const [file, text] of Object.entries(files)) write(file, text);
  const mode = opts.git ?? "committed";
  if (mode !== "none") git("init", "-q", "-b", "main");
  if (mode === "committed") {
    git("add", "-A");
    git("commit", "-q", "--allow-empty", "-m", "initial");
  }
  return { dir, git, write, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
