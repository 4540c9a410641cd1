// Headless Chromium for the dashboard's tests: Debian's `chromium` driven by playwright-core (never
// a browser download), screenshots saved as test artifacts under test-artifacts/screenshots/, and
// `viable serve` started as the CLI starts it, with its own state directory.

import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT, startViable } from "../support/cli.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(REPO_ROOT, "test-artifacts", "screenshots");

export async function launchBrowser(t: { after: (fn: () => Promise<void>) => void }): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  t.after(() => browser.close());
  return browser;
}

/** A page whose console errors and uncaught exceptions fail the test at its end. */
export async function newPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A refused request is shown by the page itself; the browser's own line about it is not a bug.
    if (m.type() === "error" && !/Failed to load resource|net::ERR_/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

export interface ServeProcess {
  info: { url: string; login_url: string; port: number; projects: { id: string; root: string }[] };
  stop(): Promise<void>;
}

/** `viable serve DIRS --json` as a process; its first line is its address. */
export async function startServe(dirs: string[], args: string[], stateHome: string): Promise<ServeProcess> {
  const run = startViable(["serve", ...dirs, "--json", ...args], { env: { XDG_STATE_HOME: stateHome } });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    run.child.stdout!.on("data", (d: Buffer | string) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    run.child.on("close", () => reject(new Error(`viable serve ended: ${out}`)));
  });
  return {
    info: JSON.parse(line) as ServeProcess["info"],
    stop: async () => {
      if (run.child.exitCode === null) run.child.kill("SIGINT");
      const r = await run.done;
      if (r.code !== 0) throw new Error(`viable serve exited ${r.code} ${r.signal}: ${r.stderr}`);
    },
  };
}

/** A browser logged in to `server` (its first visit with the token), and the problems its page reports. */
export async function loggedIn(t: { after: (fn: () => Promise<void>) => void }, server: ServeProcess): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  const browser = await launchBrowser(t);
  const problems: string[] = [];
  const page = await newPage(browser, problems);
  await page.goto(server.info.login_url);
  return { browser, page, problems };
}
