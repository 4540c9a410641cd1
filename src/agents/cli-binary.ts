// Finding the executable for an agent CLI. Config wins (`runtimes.<name>.bin`); otherwise PATH.
// Codex's npm bin is a JS wrapper that runs the native binary as a child, and killing the wrapper
// orphans that child (agent-clis notes): when the wrapper is found, the native binary next to it is
// used instead.

import fs from "node:fs";
import path from "node:path";
import type { CliProtocol } from "./cli-protocols.ts";

export function findOnPath(command: string, pathVar = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function resolveCliBinary(protocol: CliProtocol, configured: string | undefined): string | undefined {
  const found = configured ?? findOnPath(protocol.command);
  if (!found) return undefined;
  return protocol.name === "codex" ? nativeCodex(found) ?? found : found;
}

function nativeCodex(found: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(found);
  } catch {
    return undefined;
  }
  if (!real.endsWith(".js")) return undefined;
  const pkgDir = path.dirname(path.dirname(real)); // .../@openai/codex
  const triple = `${process.arch === "arm64" ? "aarch64" : "x86_64"}-unknown-linux-musl`;
  const candidates = [
    path.join(path.dirname(pkgDir), `codex-${process.platform}-${process.arch}`, "vendor", triple, "bin", "codex"),
    path.join(pkgDir, "node_modules", "@openai", `codex-${process.platform}-${process.arch}`, "vendor", triple, "bin", "codex"),
    path.join(pkgDir, "vendor", triple, "bin", "codex"),
  ];
  return candidates.find((c) => fs.existsSync(c));
}
