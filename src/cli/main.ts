// The `viable` command line. Parsing is commander's; every command is a function returning its exit
// code. User-caused failures (UserError, bad flags) print their message and exit 2; anything else is
// a bug and says so. Commands are imported when they run: startup is most of a quick command's time.

import fs from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { MAX_CANDIDATES } from "../domain/candidates.ts";
import { CommitFailed, isUserError, UserError } from "../domain/errors.ts";
import type { RuntimeName } from "../domain/runtime.ts";
import { EXIT } from "./exit-codes.ts";
import { processOutput, type Output } from "./output.ts";

const HINTS = ["simple", "medium", "complex"] as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return n;
}

function hintOf(opts: { simple?: boolean; medium?: boolean; complex?: boolean; hint?: string }): string | undefined {
  const flags: string[] = HINTS.filter((h) => opts[h]);
  if (opts.hint !== undefined) {
    // Checked here, before a task is recorded: exit 2 promises that nothing was attempted.
    const level = HINTS.find((h) => h === opts.hint?.trim().toLowerCase());
    if (level === undefined) {
      throw new UserError({ reason: "bad_usage", field: "--hint", message: `unknown complexity hint ${JSON.stringify(opts.hint)}`, fix: `use one of: ${HINTS.join(", ")}` });
    }
    flags.push(level);
  }
  if (flags.length > 1) throw new InvalidArgumentError(`give one complexity hint, not ${flags.join(" and ")}`);
  return flags[0];
}

/** The task from the argument, `-` (stdin) or --file; never empty. */
async function taskText(arg: string | undefined, file: string | undefined): Promise<string> {
  if (arg !== undefined && file !== undefined) {
    throw new UserError({ reason: "bad_usage", field: "--file", message: "a task was given both as an argument and with --file", fix: "give one of them" });
  }
  let text: string;
  let field = "<task>";
  if (file !== undefined) {
    field = "--file";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError({ reason: "not_found", file, field, message: code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? "error"})`, fix: "pass the path of a text file holding the task" });
    }
  } else if (arg === "-") {
    field = "stdin";
    text = await readStdin();
  } else if (arg !== undefined) {
    text = arg;
  } else {
    throw new UserError({ reason: "bad_usage", field: "<task>", message: "no task given", fix: "viable run \"<task>\", or viable run - < task.md, or viable run --file task.md" });
  }
  if (text.trim() === "") {
    throw new UserError({ reason: "bad_usage", field, message: "the task is empty", fix: "say what the agents should do, e.g. viable run \"Add a health check endpoint\"" });
  }
  return text.trim();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function buildProgram(o: Output, setExit: (code: number) => void): Command {
  const program = new Command("viable")
    .description("Orchestrate AI coding agents with a Viable System Model control loop")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => o.out(s.trimEnd()), writeErr: (s) => o.err(s.trimEnd()) })
    .showHelpAfterError("(run `viable --help` for usage)");

  const dir = () => new Option("-d, --dir <dir>", "project directory (a git repository)").default(".");
  const json = () => new Option("--json", "print JSON");

  program.command("run").description("take one task through one VSM cycle")
    .argument("[task]", "the task, in natural language; - reads it from stdin")
    .addOption(dir()).addOption(json())
    .option("-f, --file <file>", "read the task from a file (a long task, a PRD)")
    .option("--simple", "hint: simple task").option("--medium", "hint: medium task").option("--complex", "hint: complex task")
    .option("--hint <level>", "complexity hint: simple | medium | complex")
    .option("-v, --verbose", "print each step as it happens (to stderr)")
    .option("--events", "print the run's events as NDJSON on stdout while it runs")
    .option("--auto-approve", "approve S5 checkpoints without asking")
    .option("--best-of <n>", "run each agent step as N candidates in worktrees and apply the best one's change (loop.best_of's score and reviewer)", (v) => Number(v))
    .action(async (taskArg: string | undefined, opts: { dir: string; file?: string; json?: boolean; events?: boolean; verbose?: boolean; autoApprove?: boolean; simple?: boolean; medium?: boolean; complex?: boolean; hint?: string; bestOf?: number }) => {
      const hint = hintOf(opts);
      if (opts.bestOf !== undefined && !(Number.isInteger(opts.bestOf) && opts.bestOf >= 1 && opts.bestOf <= MAX_CANDIDATES)) {
        throw new UserError({ reason: "bad_usage", field: "--best-of", message: `is not a whole number from 1 to ${MAX_CANDIDATES}`, fix: "give how many candidates to run, e.g. --best-of 3" });
      }
      // Checked before anything is recorded: exit 2 promises that nothing was attempted.
      const task = await taskText(taskArg, opts.file);
      setExit(await (await import("./commands/run.ts")).runCommand({ task, dir: opts.dir, ...(hint !== undefined ? { hint } : {}), verbose: !!opts.verbose, json: !!opts.json, events: !!opts.events, autoApprove: !!opts.autoApprove, ...(opts.bestOf !== undefined ? { bestOf: opts.bestOf } : {}) }, o));
    });

  program.command("analyze").description("assess a task's complexity (S3) without running it")
    .argument("<text>", "the task text")
    .addOption(dir()).addOption(json())
    .option("--hint <level>", "simple | medium | complex")
    .option("--simple").option("--medium").option("--complex")
    .action(async (text: string, opts: { dir: string; json?: boolean; hint?: string; simple?: boolean; medium?: boolean; complex?: boolean }) => {
      const hint = hintOf(opts);
      setExit(await (await import("./commands/analyze.ts")).analyzeCommand({ text, dir: opts.dir, ...(hint !== undefined ? { hint } : {}), json: !!opts.json }, o));
    });

  program.command("state").description("show the current task, viability metrics and adaptations")
    .addOption(dir()).addOption(json())
    .option("--export-vsm <dir>", "write seed 001's six state files into <dir>")
    .action(async (opts: { dir: string; json?: boolean; exportVsm?: string }) => {
      setExit(await (await import("./commands/state.ts")).stateCommand({ dir: opts.dir, json: !!opts.json, ...(opts.exportVsm !== undefined ? { exportVsm: opts.exportVsm } : {}) }, o));
    });

  program.command("log").description("show the execution log (most recent 20 by default)")
    .addOption(dir()).addOption(json())
    .option("-n, --count <n>", "the most recent N entries", positiveInt)
    .option("--task <id>", "only this task's entries").option("--session <id>", "only this session's entries")
    .option("--all", "every entry").option("--jsonl", "export as JSON Lines (streamed)")
    .option("--summary", "a task's summary (with --task)")
    .action(async (opts: { dir: string; json?: boolean; count?: number; task?: string; session?: string; all?: boolean; jsonl?: boolean; summary?: boolean }) => {
      if (opts.all && opts.count !== undefined) throw new UserError({ reason: "bad_usage", field: "--all, --count", message: "--all and --count contradict each other", fix: "use --all for every entry, or --count N for the last N" });
      if (opts.json && opts.jsonl) throw new UserError({ reason: "bad_usage", field: "--json, --jsonl", message: "--json and --jsonl are two output formats", fix: "use --json for one JSON array, or --jsonl for one entry per line" });
      setExit(await (await import("./commands/log.ts")).logCommand({ dir: opts.dir, json: !!opts.json, all: !!opts.all, jsonl: !!opts.jsonl, summary: !!opts.summary,
        ...(opts.count !== undefined ? { count: opts.count } : {}), ...(opts.task !== undefined ? { task: opts.task } : {}), ...(opts.session !== undefined ? { session: opts.session } : {}) }, o));
    });

  program.command("reset").description("delete this project's recorded state (asks unless --yes)")
    .addOption(dir()).addOption(json()).option("-y, --yes", "do not ask")
    .action(async (opts: { dir: string; yes?: boolean; json?: boolean }) => setExit(await (await import("./commands/control.ts")).resetCommand({ dir: opts.dir, yes: !!opts.yes, json: !!opts.json }, o)));

  program.command("prune").description("delete kept branches (viable-kept/...) whose work is already on the integration branch")
    .addOption(dir()).addOption(json()).option("--dry-run", "only say what would be deleted")
    .action(async (opts: { dir: string; dryRun?: boolean; json?: boolean }) => setExit(await (await import("./commands/prune.ts")).pruneCommand({ dir: opts.dir, dryRun: !!opts.dryRun, json: !!opts.json }, o)));

  program.command("agents").description("list the agents this project can use, and where each is defined")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/agents.ts")).agentsCommand({ dir: opts.dir, json: !!opts.json }, o)));

  program.command("stop").description("kill switch: end every running attempt and refuse new ones until `viable resume`")
    .addOption(dir()).addOption(json()).option("--reason <text>", "recorded with the stop")
    .action(async (opts: { dir: string; json?: boolean; reason?: string }) =>
      setExit(await (await import("./commands/control.ts")).stopCommand({ dir: opts.dir, json: !!opts.json, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) }, o)));

  const shadow = program.command("shadow").description("shadow runs: another runtime or model beside an agent, never merged, compared");
  shadow.command("report").description("agreement, pass rates, cost and time of shadow pairs against their primaries")
    .addOption(dir()).addOption(json())
    .option("--since <when>", "only pairs since an ISO time or an age (90m, 24h, 7d)")
    .option("--last <n>", "only the newest N pairs", (v) => Number.parseInt(v, 10))
    .action(async (opts: { dir: string; json?: boolean; since?: string; last?: number }) =>
      setExit(await (await import("./commands/shadow.ts")).shadowReportCommand({ dir: opts.dir, json: !!opts.json, ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.last !== undefined ? { last: opts.last } : {}) }, o)));
  for (const [name, off] of [["off", true], ["on", false]] as const) {
    shadow.command(name).description(off ? "stop every shadow now and start none until `viable shadow on`" : "let shadows start again")
      .addOption(dir()).addOption(json())
      .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/shadow.ts")).shadowSwitchCommand({ dir: opts.dir, json: !!opts.json, off }, o)));
  }

  program.command("resume").description("release the kill switch")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/control.ts")).resumeCommand({ dir: opts.dir, json: !!opts.json }, o)));

  program.command("serve").description("the dashboard and HTTP API for one or several projects (Ctrl-C stops it)")
    .argument("[dirs...]", "project directories (default: -d, or the current directory)")
    .addOption(dir()).addOption(json())
    .option("--port <n>", "port to listen on (default 7717, or the next free one; 0: any free port)", portNumber)
    .option("--host <address>", "address to listen on; anything but 127.0.0.1 is reachable from other machines", "127.0.0.1")
    .option("--open", "open the dashboard in a browser")
    .action(async (dirs: string[], opts: { dir: string; json?: boolean; port?: number; host: string; open?: boolean }) =>
      setExit(await (await import("./commands/serve.ts")).serveCommand({
        dirs: dirs.length > 0 ? dirs : [opts.dir], host: opts.host, port: opts.port, open: !!opts.open, json: !!opts.json, version: program.version() ?? "",
      }, o)));

  const mcp = program.command("mcp").description("MCP server of this project for agent CLIs (stdio); `mcp install` writes their configuration");
  mcp.command("serve", { isDefault: true }).description("serve the MCP tools over stdio (what an agent CLI starts)")
    .addOption(dir())
    .action(async (opts: { dir: string }) => setExit(await (await import("./commands/mcp.ts")).mcpServeCommand({ dir: opts.dir, version: program.version() ?? "" })));
  mcp.command("install").description("write Viable's MCP server into the agent CLIs' project configuration (default: --claude)")
    .addOption(dir()).addOption(json())
    .option("--claude", "Claude Code: .mcp.json").option("--codex", "Codex: .codex/config.toml").option("--gemini", "Gemini CLI: .gemini/settings.json")
    .option("--dry-run", "only show what would be written")
    .action(async (opts: { dir: string; json?: boolean; claude?: boolean; codex?: boolean; gemini?: boolean; dryRun?: boolean }) =>
      setExit(await (await import("./commands/mcp.ts")).mcpInstallCommand({
        dir: opts.dir, json: !!opts.json, dryRun: !!opts.dryRun,
        // The flags above, one per client (mcp-install's MCP_CLIENTS; not imported here: every command would load it).
        clients: (["claude", "codex", "gemini"] as const).filter((c) => opts[c]),
      }, o)));

  program.command("doctor").description("check each agent CLI: installed, version, authentication, known problems")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/doctor.ts")).doctorCommand({ dir: opts.dir, json: !!opts.json }, o)));

  const plan = program.command("plan").description("import, check and export a plan of work items (seed 004's feature_list.json, Task Master, beads)");
  plan.command("import").description("import a plan file into the project (every problem is reported; exit 2 on errors)")
    .argument("<file>", "feature_list.json, Task Master tasks.json, or beads .jsonl")
    .addOption(dir()).addOption(json())
    .option("--format <format>", "feature-list | taskmaster | beads (default: detected)").option("--tag <tag>", "Task Master tag")
    .option("--replace", "replace the stored plan even with a file that has no items")
    .action(async (file: string, opts: { dir: string; json?: boolean; format?: string; tag?: string; replace?: boolean }) =>
      setExit(await (await import("./commands/plan.ts")).planImportCommand({ file, dir: opts.dir, json: !!opts.json, replace: !!opts.replace, ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) }, o)));
  plan.command("new").description("plan from a request: research → requirements → plan → phases → items, then import them (resumable)")
    .argument("[request]", "what to build, in words")
    .addOption(dir()).addOption(json())
    .option("--prd <file>", "the request is this document")
    .option("--resume [dir]", "continue a plan directory (default: the newest) at its first step not done")
    .addOption(new Option("--resume-step <step>", "redo from this step").choices(["research", "requirements", "plan", "phases", "items"]))
    .option("--research <file>", "use this research instead of the research step")
    .option("--plan <file>", "use this plan instead of the plan step")
    .option("--agent <name>", "the agent that plans (default generalist-coder)")
    .addOption(new Option("--format <format>", "the items as feature_list.json, Task Master's tasks.json, or beads issues (default: feature-list, or what the plan started with)").choices(["feature-list", "taskmaster", "beads"]))
    .option("--auto-approve", "go on after each step without asking")
    .action(async (request: string | undefined, opts: { dir: string; json?: boolean; prd?: string; resume?: string | true; resumeStep?: "research" | "requirements" | "plan" | "phases" | "items"; research?: string; plan?: string; agent?: string; format?: string; autoApprove?: boolean }) =>
      setExit(await (await import("./commands/plan-new.ts")).planNewCommand({
        dir: opts.dir, json: !!opts.json, autoApprove: !!opts.autoApprove,
        ...(request !== undefined ? { request } : {}), ...(opts.prd !== undefined ? { prd: opts.prd } : {}),
        ...(opts.resume !== undefined ? { resume: opts.resume } : {}), ...(opts.resumeStep !== undefined ? { resumeStep: opts.resumeStep } : {}),
        ...(opts.research !== undefined ? { research: opts.research } : {}), ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
        ...(opts.agent !== undefined ? { agent: opts.agent } : {}), ...(opts.format !== undefined ? { format: opts.format } : {}),
      }, o)));
  plan.command("validate").description("check a plan file (or the imported plan) and report every problem")
    .argument("[file]", "a plan file; default: the imported plan")
    .addOption(dir()).addOption(json())
    .option("--format <format>", "feature-list | taskmaster | beads").option("--tag <tag>", "Task Master tag")
    .action(async (file: string | undefined, opts: { dir: string; json?: boolean; format?: string; tag?: string }) =>
      setExit(await (await import("./commands/plan.ts")).planValidateCommand({ dir: opts.dir, json: !!opts.json, ...(file !== undefined ? { file } : {}), ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) }, o)));
  plan.command("show").description("the imported plan's items with their status, attempts and results; with ITEM, that item in detail")
    .argument("[item]", "an item's id: its attempts, checks and best-of-N candidates")
    .addOption(dir()).addOption(json())
    .action(async (item: string | undefined, opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/plan.ts")).planShowCommand({ dir: opts.dir, json: !!opts.json, ...(item !== undefined ? { item } : {}) }, o)));
  plan.command("next").description("seed 004's next feature: by priority, the first whose dependencies have all passed")
    .addOption(dir()).addOption(json())
    .option("--include-claimed", "also offer items someone else has claimed (in progress elsewhere)")
    .action(async (opts: { dir: string; json?: boolean; includeClaimed?: boolean }) => setExit(await (await import("./commands/plan.ts")).planNextCommand({ dir: opts.dir, json: !!opts.json, includeClaimed: !!opts.includeClaimed }, o)));
  plan.command("export").description("the plan in its source format with the loop's results (`passes`, statuses)")
    .addOption(dir()).addOption(json())
    .option("-o, --output <file>", "write here instead of stdout").option("--in-place", "overwrite the file the plan was imported from")
    .option("--tag <tag>", "Task Master: the tag to write (default: the one the plan was imported from)")
    .action(async (opts: { dir: string; json?: boolean; output?: string; inPlace?: boolean; tag?: string }) => {
      if (opts.inPlace && opts.output !== undefined) throw new UserError({ reason: "bad_usage", field: "--in-place, -o", message: "--in-place and -o/--output name two different files to write", fix: "use --in-place to overwrite the imported file, or -o FILE to write elsewhere" });
      setExit(await (await import("./commands/plan.ts")).planExportCommand({ dir: opts.dir, json: !!opts.json, inPlace: !!opts.inPlace, ...(opts.output !== undefined ? { output: opts.output } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) }, o));
    });
  plan.command("sessions").description("seed 004's session log: one session per attempt")
    .addOption(dir()).addOption(json())
    .option("--write <dir>", "also write session-NNN.json files and progress.txt there (seed 004's .agent/sessions layout)")
    .action(async (opts: { dir: string; json?: boolean; write?: string }) =>
      setExit(await (await import("./commands/plan.ts")).planSessionsCommand({ dir: opts.dir, json: !!opts.json, ...(opts.write !== undefined ? { write: opts.write } : {}) }, o)));

  program.command("init").description("set the project up: config, starter agents, MCP presets, git exclusion (a wizard at a terminal; --yes takes the suggestions)")
    .addOption(dir()).addOption(json())
    .option("-y, --yes", "no questions: the flags, else the suggestions; existing files are kept unless --overwrite")
    .option("--overwrite", "with --yes or without a terminal: replace existing files that would change")
    .option("--dry-run", "show what would be written, write nothing")
    .addOption(new Option("--runtime <name>", "the agents' default runtime").choices(["claude", "codex", "gemini", "opencode", "qwen", "command"]))
    .option("--model <id>", "the runtime's model")
    .option("--verify <command>", "a verify command (repeatable; default: the detected test command)", (v: string, acc: string[] = []) => [...acc, v])
    .option("--budget-usd <n>", "budgets.run.usd")
    .option("--no-agents", "no starter agent files")
    .option("--mcp <names>", "MCP presets, comma-separated (playwright, context7, sequential-thinking); \"\" for none")
    .action(async (opts: { dir: string; json?: boolean; yes?: boolean; overwrite?: boolean; dryRun?: boolean; runtime?: RuntimeName; model?: string; verify?: string[]; budgetUsd?: string; agents: boolean; mcp?: string }) => {
      const init = await import("./commands/init.ts");
      setExit(await init.initCommand({
        dir: opts.dir, yes: !!opts.yes, overwrite: !!opts.overwrite, dryRun: !!opts.dryRun, json: !!opts.json,
        ...(opts.runtime !== undefined ? { runtime: opts.runtime } : {}),
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        ...(opts.verify !== undefined ? { verify: opts.verify } : {}),
        ...(opts.budgetUsd !== undefined ? { budgetUsd: init.parseBudget(opts.budgetUsd)! } : {}),
        ...(opts.agents === false ? { agents: false } : {}),
        ...(opts.mcp !== undefined ? { mcp: opts.mcp.split(",").map((m) => m.trim()).filter((m) => m !== "") } : {}),
      }, o));
    });

  program.command("attach").description("take over an item whose agent stopped for input: its CLI session, resumed in tmux in the item's worktree")
    .argument("<item>", "the item (or one of its attempts)")
    .addOption(dir()).addOption(json())
    .action(async (target: string, opts: { dir: string; json?: boolean }) =>
      setExit(await (await import("./commands/attach.ts")).attachCommand({ dir: opts.dir, target, json: !!opts.json }, o)));

  program.command("loop").description("work the imported plan until every item passed or only blocked ones remain")
    .addOption(dir()).addOption(new Option("--json", "print NDJSON events, one per line"))
    .option("--concurrency <n>", "items at once (default: loop.concurrency)", positiveInt)
    .option("--max-sessions <n>", "attempts in this run (default: loop.max_sessions)", positiveInt)
    .option("--allow-dirty", "run even if the main worktree has uncommitted changes")
    .option("--include-claimed", "also work items someone else has claimed (in progress elsewhere)")
    .option("--branch <name>", "merge items into this branch (default: loop.integration_branch, else the branch checked out)")
    .option("--tmux", "give every running agent a tmux window showing its output (tmux -L <socket> attach -t viable)")
    .addOption(new Option("--workspace <mode>", "worktree | none (default: workspace.mode)").choices(["worktree", "none"]))
    .action(async (opts: { dir: string; json?: boolean; concurrency?: number; maxSessions?: number; allowDirty?: boolean; includeClaimed?: boolean; branch?: string; workspace?: "worktree" | "none"; tmux?: boolean }) =>
      setExit(await (await import("./commands/loop.ts")).loopCommand({
        dir: opts.dir, json: !!opts.json, allowDirty: !!opts.allowDirty, includeClaimed: !!opts.includeClaimed, tmux: !!opts.tmux,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
        ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
        ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
      }, o)));

  program.command("worker").description("take item attempts of a distributed loop (Postgres store, loop.remote) and work them on this machine")
    .addOption(dir())
    .option("--concurrency <n>", "attempts at once on this machine", positiveInt, 2)
    .option("--runtimes <list>", "only these runtimes' queues, comma-separated (default: every runtime the project's agents use)", (v: string) => v.split(",").map((s) => s.trim()).filter((s) => s !== ""))
    .action(async (opts: { dir: string; concurrency: number; runtimes?: string[] }) =>
      setExit(await (await import("./commands/worker.ts")).workerCommand({ dir: opts.dir, concurrency: opts.concurrency, ...(opts.runtimes ? { runtimes: opts.runtimes } : {}) }, o)));

  return program;
}

export async function main(argv: string[], o: Output = processOutput): Promise<number> {
  if (o === processOutput) endQuietlyOnClosedPipe();
  let code: number = EXIT.ok;
  const program = buildProgram(o, (c) => (code = c));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    // InvalidArgumentError is a CommanderError too, but one thrown by our own actions (hintOf) that
    // commander has not printed: it must be checked first or its message is lost.
    // A script that asked for JSON gets its error as JSON too, on stdout where it reads.
    const json = argv.includes("--json");
    const jsonError = (error: { reason: string; file?: string | undefined; field?: string | undefined; message: string; fix?: string | undefined }) => {
      if (json) o.out(JSON.stringify({ error: { reason: error.reason, file: error.file ?? null, field: error.field ?? null, message: error.message, fix: error.fix ?? null } }));
    };
    if (e instanceof InvalidArgumentError) {
      jsonError({ reason: "bad_usage", message: e.message, fix: "see viable help <command>" });
      o.err(`viable: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
      // Commander has already said it on stderr.
      jsonError({ reason: "bad_usage", message: e.message.replace(/^error: /, ""), fix: "see viable help <command>" });
      return EXIT.usage;
    }
    if (isUserError(e)) {
      jsonError({ reason: e.reason, file: e.file, field: e.field, message: e.summary, fix: e.fix });
      o.err(`viable: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof CommitFailed) {
      o.err(`viable: ${e.message}\n  fix: ${e.fix}`);
      return EXIT.failed;
    }
    o.err(`viable: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failed;
  }
}

/**
 * Output into a pipe whose reader has gone (`viable log --jsonl | head -1`) ends the command
 * quietly with status 0, as `git log | head` does: the reader has what it wanted.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(EXIT.ok);
      // Any other failure of the terminal or file we write to: there is nowhere left to say it.
      process.exit(EXIT.failed);
    });
  }
}
