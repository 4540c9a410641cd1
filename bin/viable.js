#!/usr/bin/env node
// The published entry point: the compiled CLI. `npm install` builds dist/ through `prepare`.
// The Node check comes first, before anything that needs a recent Node (node:sqlite) is loaded:
// an older Node gets one line saying what to do, not a stack trace.

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`viable: needs Node.js 22.13 or newer, this is v${process.versions.node}\n  fix: install a current Node.js (https://nodejs.org/en/download, or \`nvm install 24\`) and run viable with it\n`);
  process.exit(2);
}
// Every command loads the same few hundred modules (zod and yaml are most of them): V8's compiled
// code cached on disk (Node's own cache) takes a fifth off that start-up. In the user's own cache
// directory, not the shared temp one, where another user could put code there first. Without a
// usable directory Node just runs without it.
const { enableCompileCache } = await import("node:module");
const { homedir } = await import("node:os");
const { join } = await import("node:path");
const cacheHome = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), ".cache") : "");
if (cacheHome) enableCompileCache?.(join(cacheHome, "viable", "node-compile-cache"));
const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
