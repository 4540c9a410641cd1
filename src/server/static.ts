// The dashboard's files: web/ as it is in the package (no build step), and the browser builds of its
// libraries straight from their npm packages, under the names the page's import map uses. Only
// files known when the server starts are served: a request names one of them or gets 404, so no
// path can reach anything else.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** web/, next to this module's package (the same from src/ and dist/). */
export const WEB_DIR = path.resolve(import.meta.dirname, "..", "..", "web");

const VENDOR: Record<string, string> = {
  "preact.mjs": "preact",
  "preact-hooks.mjs": "preact/hooks",
  "htm.mjs": "htm",
  "dagre.mjs": "@dagrejs/dagre",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Loaded once: the files are small, and a server never serves a half-written file. */
export function loadStaticFiles(): { assets: Map<string, StaticFile>; vendor: Map<string, StaticFile>; index: StaticFile; inlineScripts: string[] } {
  const assets = new Map<string, StaticFile>();
  for (const name of fs.readdirSync(WEB_DIR)) {
    const type = TYPES[path.extname(name)];
    const file = path.join(WEB_DIR, name);
    if (type && fs.statSync(file).isFile()) assets.set(name, { body: fs.readFileSync(file), type });
  }
  const vendor = new Map<string, StaticFile>();
  for (const [name, specifier] of Object.entries(VENDOR)) {
    vendor.set(name, { body: fs.readFileSync(fileURLToPath(import.meta.resolve(specifier))), type: TYPES[".mjs"]! });
  }
  const index = assets.get("index.html");
  if (!index) throw new Error(`the dashboard's files are missing: no index.html in ${WEB_DIR}`);
  return { assets, vendor, index, inlineScripts: inlineScriptHashes(index.body.toString("utf8")) };
}

/**
 * The page's inline scripts (its import map), as CSP hashes: the policy allows exactly these and
 * the server's own files, so an injected script cannot run.
 */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => !/\bsrc=/.test(m[0].slice(0, m[0].indexOf(">"))) && m[1]!.length > 0)
    .map((m) => `'sha256-${crypto.createHash("sha256").update(m[1]!).digest("base64")}'`);
}
