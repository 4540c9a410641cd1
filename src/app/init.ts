// `viable init`: set a project up for Viable. It looks first — the project's tooling (S4's
// detection of its test command), which agent CLIs are installed and can authenticate (doctor),
// which agent files exist — and suggests choices; the CLI asks the person (or takes flags). Then it
// plans the files: `.viable/config.json` (an existing one keeps everything init does not choose),
// starter agent files in `.viable/agents/` when the project has none (`.claude/agents` is adopted
// as it is: Viable reads it), the MCP presets picked into `.mcp.json`, and the git exclusion of
// `.viable/state/`. Nothing is written before the plan is accepted; a file that exists and would
// change is replaced only when the person says so.

import fs from "node:fs";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import { builtinAgents } from "../agents/builtin-agents.ts";
import { CLI_PROTOCOLS, type CliRuntimeName } from "../agents/cli-protocols.ts";
import { detectTooling } from "../analysis/project-commands.ts";
import { isDeepStrictEqual } from "node:util";
import { configSchema, defaultConfig, loadConfig } from "../config/config.ts";
import { UserError } from "../domain/errors.ts";
import type { RuntimeName } from "../domain/runtime.ts";
import { ensureStateIgnored, resolveProject } from "../workspace/project.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { diagnose, type RuntimeDiagnosis } from "./doctor.ts";
import { MCP_PRESETS, mcpPreset } from "./mcp-presets.ts";
import { readJsonObject, readText, writeAtomically } from "./text-files.ts";

export interface InitChoices {
  runtime: RuntimeName;
  /** The runtime's model; null: the CLI's own default. */
  model: string | null;
  /** The verify commands ([]: none); null: not set, the detected test command is used at run time. */
  verify: string[] | null;
  /** budgets.run.usd; null: no budget. */
  budgetUsd: number | null;
  /** Write the built-in agents as files to read and edit (only offered when there are none). */
  starterAgents: boolean;
  mcp: string[];
}

export interface InitSurvey {
  root: string;
  packageManager: string | null;
  /** The detected test command and where it came from. */
  test: { command: string; source: string } | null;
  clis: RuntimeDiagnosis[];
  /** Agent files already there: `.claude/agents` (adopted as they are) and `.viable/agents`. */
  claudeAgents: string[];
  viableAgents: string[];
  configExists: boolean;
  /** The model the config has for each runtime, for the runtime the person picks. */
  models: Partial<Record<RuntimeName, string>>;
  suggested: InitChoices;
}

export interface PlannedFile {
  path: string;
  /** create: new; change: exists and would change; same: already as planned. */
  status: "create" | "change" | "same";
  after: string;
  /** A unified diff from the file as it is, for create and change. */
  diff: string;
}

export interface InitResult {
  files: (PlannedFile & { written: boolean })[];
  /** Whether `.viable/state/` was newly excluded from git. */
  excluded: boolean;
}

/** Ready: installed and with a way to authenticate. */
function ready(d: RuntimeDiagnosis): boolean {
  return d.installed && d.auth !== "none found";
}

export async function surveyProject(dir: string): Promise<InitSurvey> {
  const paths = await resolveProject(dir);
  const configExists = fs.existsSync(paths.configFile);
  // A config Viable would refuse is refused here, before any question, with its field and fix.
  const config = configExists ? loadConfig(paths.configFile) : defaultConfig();
  const tooling = await detectTooling(paths.root);
  const clis = await diagnose(config);
  const test = tooling.commands.test ? { command: tooling.commands.test, source: tooling.command_sources.test ?? "detected" } : null;
  const claudeAgents = agentFiles(paths.claudeAgentsDir);
  const viableAgents = agentFiles(paths.agentsDir);
  const raw = configExists ? readJsonObject(paths.configFile, "`viable init`") : {};
  const rawDefaults = raw.defaults as { runtime?: RuntimeName } | undefined;
  const runtime = rawDefaults?.runtime ?? clis.find(ready)?.runtime ?? clis.find((c) => c.installed)?.runtime ?? "claude";
  const budget = (raw.budgets as { run?: { usd?: number } } | undefined)?.run?.usd ?? null;
  const models: Partial<Record<RuntimeName, string>> = {};
  for (const [name, settings] of Object.entries((raw.runtimes ?? {}) as Record<string, { model?: string }>)) if (settings.model) models[name as RuntimeName] = settings.model;
  return {
    root: paths.root, packageManager: tooling.package_manager, test, clis, claudeAgents, viableAgents, configExists, models,
    suggested: {
      runtime,
      model: models[runtime] ?? null,
      // A config without `verify` leaves it to detection at run time; a new one names what was found.
      verify: config.verify ?? (configExists ? null : test ? [test.command] : null),
      budgetUsd: budget,
      starterAgents: runtime !== "command" && claudeAgents.length === 0 && viableAgents.length === 0,
      mcp: MCP_PRESETS.filter((p) => mcpServers(paths.root)[p.name] !== undefined).map((p) => p.name),
    },
  };
}

/** The files as `choices` would have them, against what is there. */
export async function planInit(dir: string, choices: InitChoices): Promise<PlannedFile[]> {
  const paths = await resolveProject(dir);
  for (const name of choices.mcp) {
    if (!mcpPreset(name)) throw new UserError({ reason: "bad_usage", field: "--mcp", message: `there is no MCP preset "${name}"`, fix: `pick from: ${MCP_PRESETS.map((p) => p.name).join(", ")}` });
  }
  const files: { path: string; after: string }[] = [{ path: paths.configFile, after: configText(paths, choices) }];
  // Starter agents run on the chosen runtime; a command agent needs a command no starter has.
  if (choices.starterAgents && choices.runtime !== "command") {
    for (const a of builtinAgents(choices.runtime)) {
      files.push({ path: path.join(paths.agentsDir, `${a.name}.md`), after: agentText(a.name, a.description, a.kind, a.capabilities, a.prompt) });
    }
  }
  if (choices.mcp.some((name) => mcpServers(paths.root)[name] === undefined)) files.push({ path: path.join(paths.root, ".mcp.json"), after: mcpText(paths.root, choices.mcp) });
  return files.map(({ path: file, after }) => {
    const before = readText(file);
    const rel = path.relative(paths.root, file);
    // A JSON file that says the same in another layout is left as the person formatted it.
    const status = before === null ? "create" : before === after || (file.endsWith(".json") && sameJson(before, after)) ? "same" : "change";
    return { path: file, status, after, diff: status === "same" ? "" : createTwoFilesPatch(before === null ? "/dev/null" : `a/${rel}`, `b/${rel}`, before ?? "", after, "", "", { context: 2 }) };
  });
}

/** Writes the planned files `replace` allows (new ones always), and excludes `.viable/state/` from git. */
export async function applyInit(dir: string, planned: PlannedFile[], replace: (file: PlannedFile) => boolean): Promise<InitResult> {
  const paths = await resolveProject(dir);
  const files = planned.map((f) => {
    const written = f.status === "create" || (f.status === "change" && replace(f));
    if (written) writeAtomically(f.path, f.after);
    return { ...f, written };
  });
  return { files, excluded: await ensureStateIgnored(paths) };
}

/** The project's config with init's choices set and everything else it had kept. */
function configText(paths: ProjectPaths, c: InitChoices): string {
  const raw = fs.existsSync(paths.configFile) ? readJsonObject(paths.configFile, "`viable init`") : {};
  const next: Record<string, unknown> = { version: 1, ...raw };
  if (c.verify !== null) next.verify = c.verify;
  next.defaults = { ...(raw.defaults as object | undefined), runtime: c.runtime };
  if (c.runtime !== "command") {
    const runtimes = (raw.runtimes ?? {}) as Record<string, Record<string, unknown>>;
    const { model: _model, ...rest } = runtimes[c.runtime] ?? {};
    const settings = c.model !== null ? { ...rest, model: c.model } : rest;
    // No model: the CLI's own default (an emptied runtime entry goes).
    const others = Object.fromEntries(Object.entries(runtimes).filter(([name]) => name !== c.runtime));
    const all = Object.keys(settings).length > 0 ? { ...others, [c.runtime]: settings } : others;
    if (Object.keys(all).length > 0) next.runtimes = all;
    else delete next.runtimes;
  }
  const budgets = (raw.budgets ?? {}) as Record<string, Record<string, unknown>>;
  const { usd: _usd, ...run } = budgets.run ?? {};
  const runBudget = c.budgetUsd !== null ? { ...run, usd: c.budgetUsd } : run;
  const otherBudgets = Object.fromEntries(Object.entries(budgets).filter(([scope]) => scope !== "run"));
  const allBudgets = Object.keys(runBudget).length > 0 ? { ...otherBudgets, run: runBudget } : otherBudgets;
  if (Object.keys(allBudgets).length > 0) next.budgets = allBudgets;
  else delete next.budgets;
  // What init writes must be a config Viable accepts: checked here, never found out by the next command.
  const checked = configSchema.safeParse(next);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UserError({ reason: "bad_config", file: paths.configFile, field: issue.path.join("."), message: issue.message, fix: "fix that field in the file (or move the file away), then run `viable init` again" });
  }
  return `${JSON.stringify(next, null, 2)}\n`;
}

function agentText(name: string, description: string, kind: string, capabilities: readonly string[], prompt: string): string {
  return `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\nkind: ${kind}\ncapabilities: [${capabilities.map((c) => JSON.stringify(c)).join(", ")}]\n---\n${prompt}\n`;
}

function mcpServers(root: string): Record<string, unknown> {
  const file = path.join(root, ".mcp.json");
  const servers = readJsonObject(file, "`viable init`").mcpServers;
  if (servers === undefined) return {};
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new UserError({ reason: "bad_config", file, field: "mcpServers", message: "is not an object of servers", fix: 'make "mcpServers" an object, e.g. {"mcpServers": {}}' });
  }
  return servers as Record<string, unknown>;
}

function sameJson(a: string, b: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}

/** `.mcp.json` with the picked presets added; the servers already there are kept as they are. */
function mcpText(root: string, names: readonly string[]): string {
  const file = readJsonObject(path.join(root, ".mcp.json"), "`viable init`");
  const servers = { ...mcpServers(root) };
  for (const name of names) servers[name] ??= mcpPreset(name)!.entry;
  return `${JSON.stringify({ ...file, mcpServers: servers }, null, 2)}\n`;
}

function agentFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).sort();
  } catch {
    return [];
  }
}

/** The CLIs as a person picks from them: ready ones first. */
export function runtimeChoices(clis: readonly RuntimeDiagnosis[]): { runtime: CliRuntimeName; label: string; ready: boolean }[] {
  return [...clis].sort((a, b) => Number(ready(b)) - Number(ready(a))).map((d) => ({
    runtime: d.runtime, ready: ready(d),
    label: `${d.runtime} — ${d.installed ? `${d.version ?? "installed"}, auth: ${d.auth}` : `not installed (npm install -g ${CLI_PROTOCOLS[d.runtime].npmPackage})`}`,
  }));
}
