// `npm run demo`: the main job on the embedded default. Copies the bundled example project to a
// scratch git repository, runs one VSM cycle on it with scripted command agents (no API key, no
// network), then shows the recorded state. Pass a directory to keep the project somewhere else.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const target = process.argv[2] ? path.resolve(process.argv[2]) : fs.mkdtempSync(path.join(os.tmpdir(), "viable-demo-"));
fs.cpSync(path.join(root, "examples", "hello"), target, { recursive: true });
const git = (...args: string[]) => execFileSync("git", args, { cwd: target, stdio: "ignore" });
git("init", "-q", "-b", "main");
git("-c", "user.name=Viable Demo", "-c", "user.email=demo@viable.invalid", "add", "-A");
git("-c", "user.name=Viable Demo", "-c", "user.email=demo@viable.invalid", "commit", "-qm", "example project");

const viable = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin", "viable.js"), ...args], { stdio: "inherit" });
console.log(`example project: ${target}\n`);
const run = viable("run", "Add a greeting function with tests", "-d", target, "-v");
console.log("");
viable("state", "-d", target);
viable("log", "-d", target, "--count", "8");
console.log(`\nexplore it: node bin/viable.js log -d ${target} --all`);
process.exitCode = run.status ?? 1;
