// `viable init`: the project setup (app/init.ts). At a terminal a short wizard — the default
// runtime among the CLIs found, its model, the verify command, a run budget, starter agents, MCP
// presets — then the planned files with their diffs, and for each existing file that would change
// a question (default: keep it). Ctrl-C at any question writes nothing. With --yes, or without a
// terminal, the flags and the suggestions decide, and existing files are kept unless --overwrite.

import path from "node:path";
import { applyInit, planInit, runtimeChoices, surveyProject, type InitChoices, type InitSurvey, type PlannedFile } from "../../app/init.ts";
import { MCP_PRESETS } from "../../app/mcp-presets.ts";
import { UserError } from "../../domain/errors.ts";
import type { RuntimeName } from "../../domain/runtime.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export interface InitArgs {
  dir: string;
  yes: boolean;
  overwrite: boolean;
  dryRun: boolean;
  json: boolean;
  runtime?: RuntimeName;
  model?: string;
  verify?: string[];
  budgetUsd?: number;
  /** false: no starter agent files even when the project has none. */
  agents?: boolean;
  mcp?: string[];
}

export async function initCommand(args: InitArgs, o: Output): Promise<number> {
  const survey = await surveyProject(args.dir);
  const flags: Partial<InitChoices> = {
    ...(args.runtime !== undefined ? { runtime: args.runtime } : {}),
    ...(args.model !== undefined ? { model: args.model } : {}),
    ...(args.verify !== undefined ? { verify: args.verify } : {}),
    ...(args.budgetUsd !== undefined ? { budgetUsd: args.budgetUsd } : {}),
    ...(args.agents !== undefined ? { starterAgents: args.agents && survey.suggested.starterAgents } : {}),
    ...(args.mcp !== undefined ? { mcp: args.mcp } : {}),
  };
  checkFlags(args);
  const interactive = o.interactive && !args.yes && !args.json;
  if (!args.json) describe(survey, o);
  let choices: InitChoices;
  try {
    choices = interactive ? await wizard(survey, flags, o) : withRuntime(survey, { ...survey.suggested, ...flags }, flags);
    const planned = await planInit(args.dir, choices);
    // A dry run asks nothing more: it only shows.
    const replace = interactive && !args.dryRun ? await askReplacements(planned, o) : new Set(args.overwrite ? planned.filter((f) => f.status === "change").map((f) => f.path) : []);
    if (!args.json) showPlan(survey.root, planned, replace, { diffs: !interactive, creations: args.dryRun }, o);
    if (args.dryRun) {
      if (args.json) printJson(o, { dry_run: true, choices, files: planned.map((f) => ({ path: f.path, status: f.status, diff: f.diff })) });
      return EXIT.ok;
    }
    const result = await applyInit(args.dir, planned, (f) => replace.has(f.path));
    if (args.json) {
      printJson(o, { choices, files: result.files.map((f) => ({ path: f.path, status: f.status, written: f.written })), state_excluded_from_git: result.excluded });
      return EXIT.ok;
    }
    for (const f of result.files) o.out(`${f.written ? (f.status === "create" ? "created" : "replaced") : f.status === "same" ? "unchanged" : "kept"} ${path.relative(survey.root, f.path)}`);
    if (result.excluded) o.out("excluded .viable/state/ from git (.git/info/exclude)");
    const kept = result.files.filter((f) => f.status === "change" && !f.written);
    if (kept.length > 0) o.err(`viable: ${kept.length} file(s) kept as they are; the changes above were not made (rerun with --overwrite to make them)`);
    o.out("next: import a plan (viable plan import feature_list.json) and run `viable loop`, or run a task: viable run \"...\"");
    return EXIT.ok;
  } catch (e) {
    // Ctrl-C at a question: the prompt library takes the key; nothing has been written yet.
    if (e instanceof Error && e.name === "ExitPromptError") {
      o.err("viable: init cancelled; nothing was written");
      return EXIT.interrupted;
    }
    throw e;
  }
}

function describe(s: InitSurvey, o: Output): void {
  o.err(`viable: setting up ${s.root}${s.configExists ? " (it has a .viable/config.json: what init does not choose is kept)" : ""}`);
  o.err(`  tests: ${s.test ? `${s.test.command} (from ${s.test.source})` : "no test command found — name one, or items are verified by their own commands only"}`);
  for (const c of runtimeChoices(s.clis)) o.err(`  ${c.ready ? "✓" : "·"} ${c.label}`);
  if (s.claudeAgents.length > 0) o.err(`  agents: ${s.claudeAgents.length} in .claude/agents, used as they are (${s.claudeAgents.slice(0, 5).join(", ")}${s.claudeAgents.length > 5 ? ", ..." : ""})`);
  if (s.viableAgents.length > 0) o.err(`  agents: ${s.viableAgents.length} in .viable/agents`);
}

async function wizard(s: InitSurvey, flags: Partial<InitChoices>, o: Output): Promise<InitChoices> {
  const [{ default: select }, { default: input }, { default: checkbox }, { default: confirm }] = await Promise.all([
    import("@inquirer/select"), import("@inquirer/input"), import("@inquirer/checkbox"), import("@inquirer/confirm"),
  ]);
  const choices = runtimeChoices(s.clis);
  const runtime = flags.runtime ?? await select<RuntimeName>({
    message: "Default runtime for agents",
    choices: [...choices.map((c) => ({ name: c.label, value: c.runtime })), { name: "command — your own scripts as agents", value: "command" }],
    default: s.suggested.runtime,
  });
  const model = flags.model !== undefined ? flags.model : runtime === "command" ? null : (await input({
    message: `Model for ${runtime} (empty: the CLI's own default)`, default: s.models[runtime] ?? "",
  })).trim() || null;
  // Several commands are separated by ";;"; the suggestion, taken as offered, is kept as it was
  // (a command of its own may contain ";;", and "not set" stays not set).
  const offered = (s.suggested.verify ?? (s.test ? [s.test.command] : [])).join(" ;; ");
  const verifyAnswer = flags.verify ?? await input({ message: "Verify command(s) run after each item (separate with ;; — empty: none)", default: offered });
  const verify = Array.isArray(verifyAnswer) ? verifyAnswer : verifyAnswer.trim() === offered.trim() ? s.suggested.verify ?? (offered ? [offered] : null) : splitCommands(verifyAnswer);
  const budgetUsd = flags.budgetUsd !== undefined ? flags.budgetUsd : parseBudget(await input({
    message: "Budget per run in USD (empty: none)", default: s.suggested.budgetUsd === null ? "" : String(s.suggested.budgetUsd),
    validate: (v) => v.trim() === "" || (Number.isFinite(Number(v)) && Number(v) > 0) || "a positive number, or empty",
  }));
  const starterAgents = flags.starterAgents ?? (runtime !== "command" && s.claudeAgents.length === 0 && s.viableAgents.length === 0
    ? await confirm({ message: "Write the built-in agents as files in .viable/agents to read and edit?", default: true })
    : false);
  const mcp = flags.mcp ?? await checkbox({
    message: "MCP servers for the agents (written to .mcp.json)",
    choices: MCP_PRESETS.map((p) => ({ name: `${p.name} — ${p.description}`, value: p.name, checked: s.suggested.mcp.includes(p.name) })),
  });
  o.err("");
  return { runtime, model, verify, budgetUsd, starterAgents, mcp };
}

/** For each existing file that would change: its diff, and whether to replace it (default no). */
async function askReplacements(planned: PlannedFile[], o: Output): Promise<Set<string>> {
  const replace = new Set<string>();
  const changing = planned.filter((f) => f.status === "change");
  if (changing.length === 0) return replace;
  const { default: confirm } = await import("@inquirer/confirm");
  for (const f of changing) {
    o.err(f.diff);
    if (await confirm({ message: `Replace ${f.path} with the version above?`, default: false })) replace.add(f.path);
  }
  return replace;
}

/** The changes to existing files (and, for a dry run, the new ones); what is written is listed after. */
function showPlan(root: string, planned: PlannedFile[], replace: Set<string>, show: { diffs: boolean; creations: boolean }, o: Output): void {
  for (const f of planned) {
    const rel = path.relative(root, f.path);
    if (f.status === "create" && show.creations) o.err(`would create ${rel}`);
    else if (f.status === "change") {
      // At a terminal each diff was shown with its question already.
      if (show.diffs) o.err(f.diff);
      o.err(replace.has(f.path) ? `will replace ${rel}` : `would change ${rel}: kept as it is`);
    }
  }
}

/** Non-interactive: a runtime given by flag brings its own model from the config, and no starters for `command`. */
function withRuntime(s: InitSurvey, choices: InitChoices, flags: Partial<InitChoices>): InitChoices {
  if (flags.runtime === undefined) return choices;
  return {
    ...choices,
    ...(flags.model === undefined ? { model: s.models[flags.runtime] ?? null } : {}),
    starterAgents: flags.runtime !== "command" && (flags.starterAgents ?? s.suggested.starterAgents ?? false) && s.claudeAgents.length === 0 && s.viableAgents.length === 0,
  };
}

/** Flags that cannot mean anything, refused before anything is asked. */
function checkFlags(args: InitArgs): void {
  if (args.model !== undefined && args.model.trim() === "") throw new UserError({ reason: "bad_usage", field: "--model", message: "is empty", fix: "name a model, or leave --model out for the CLI's own default" });
  if (args.model !== undefined && args.runtime === "command") throw new UserError({ reason: "bad_usage", field: "--model", message: "command agents have no model", fix: "drop --model, or pick an agent CLI with --runtime" });
  if (args.verify?.some((v) => v.trim() === "")) throw new UserError({ reason: "bad_usage", field: "--verify", message: "an empty command", fix: "give the command to run, e.g. --verify \"npm test\"" });
}

function splitCommands(text: string): string[] {
  return text.split(";;").map((c) => c.trim()).filter((c) => c !== "");
}

function parseBudget(text: string): number | null {
  if (text.trim() === "") return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UserError({ reason: "bad_usage", field: "--budget-usd", message: `"${text}" is not a positive number of dollars`, fix: "give e.g. 5 or 12.50" });
  }
  return n;
}

export { parseBudget };
