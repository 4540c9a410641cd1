// The `viable` command line. Parsing is commander's; every command is a function returning its exit
// code. User-caused failures (UserError, bad flags) print their message and exit 2; anything else is
// a bug and says so. Commands are imported when they run: startup is most of a quick command's time.

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { isUserError, UserError } from "../domain/errors.ts";
import { EXIT } from "./exit-codes.ts";
import { processOutput, type Output } from "./output.ts";

const HINTS = ["simple", "medium", "complex"] as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive whole number");
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
    .argument("<task>", "the task, in natural language")
    .addOption(dir()).addOption(json())
    .option("--simple", "hint: simple task").option("--medium", "hint: medium task").option("--complex", "hint: complex task")
    .option("--hint <level>", "complexity hint: simple | medium | complex")
    .option("-v, --verbose", "print each step as it happens (to stderr)")
    .option("--events", "print the run's events as NDJSON on stdout while it runs")
    .option("--auto-approve", "approve S5 checkpoints without asking")
    .action(async (task: string, opts: { dir: string; json?: boolean; events?: boolean; verbose?: boolean; autoApprove?: boolean; simple?: boolean; medium?: boolean; complex?: boolean; hint?: string }) => {
      const hint = hintOf(opts);
      setExit(await (await import("./commands/run.ts")).runCommand({ task, dir: opts.dir, ...(hint !== undefined ? { hint } : {}), verbose: !!opts.verbose, json: !!opts.json, events: !!opts.events, autoApprove: !!opts.autoApprove }, o));
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
      setExit(await (await import("./commands/log.ts")).logCommand({ dir: opts.dir, json: !!opts.json, all: !!opts.all, jsonl: !!opts.jsonl, summary: !!opts.summary,
        ...(opts.count !== undefined ? { count: opts.count } : {}), ...(opts.task !== undefined ? { task: opts.task } : {}), ...(opts.session !== undefined ? { session: opts.session } : {}) }, o));
    });

  program.command("reset").description("delete this project's recorded state (asks unless --yes)")
    .addOption(dir()).addOption(json()).option("-y, --yes", "do not ask")
    .action(async (opts: { dir: string; yes?: boolean; json?: boolean }) => setExit(await (await import("./commands/control.ts")).resetCommand({ dir: opts.dir, yes: !!opts.yes, json: !!opts.json }, o)));

  program.command("agents").description("list the agents this project can use, and where each is defined")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/agents.ts")).agentsCommand({ dir: opts.dir, json: !!opts.json }, o)));

  program.command("stop").description("kill switch: end every running attempt and refuse new ones until `viable resume`")
    .addOption(dir()).addOption(json()).option("--reason <text>", "recorded with the stop")
    .action(async (opts: { dir: string; json?: boolean; reason?: string }) =>
      setExit(await (await import("./commands/control.ts")).stopCommand({ dir: opts.dir, json: !!opts.json, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) }, o)));

  program.command("resume").description("release the kill switch")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/control.ts")).resumeCommand({ dir: opts.dir, json: !!opts.json }, o)));

  program.command("doctor").description("check each agent CLI: installed, version, authentication, known problems")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/doctor.ts")).doctorCommand({ dir: opts.dir, json: !!opts.json }, o)));

  const plan = program.command("plan").description("import, check and export a plan of work items (seed 004's feature_list.json, Task Master, beads)");
  plan.command("import").description("import a plan file into the project (every problem is reported; exit 2 on errors)")
    .argument("<file>", "feature_list.json, Task Master tasks.json, or beads .jsonl")
    .addOption(dir()).addOption(json())
    .option("--format <format>", "feature-list | taskmaster | beads (default: detected)").option("--tag <tag>", "Task Master tag")
    .action(async (file: string, opts: { dir: string; json?: boolean; format?: string; tag?: string }) =>
      setExit(await (await import("./commands/plan.ts")).planImportCommand({ file, dir: opts.dir, json: !!opts.json, ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) }, o)));
  plan.command("validate").description("check a plan file (or the imported plan) and report every problem")
    .argument("[file]", "a plan file; default: the imported plan")
    .addOption(dir()).addOption(json())
    .option("--format <format>", "feature-list | taskmaster | beads").option("--tag <tag>", "Task Master tag")
    .action(async (file: string | undefined, opts: { dir: string; json?: boolean; format?: string; tag?: string }) =>
      setExit(await (await import("./commands/plan.ts")).planValidateCommand({ dir: opts.dir, json: !!opts.json, ...(file !== undefined ? { file } : {}), ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) }, o)));
  plan.command("show").description("the imported plan's items with their status, attempts and results")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/plan.ts")).planShowCommand({ dir: opts.dir, json: !!opts.json }, o)));
  plan.command("next").description("seed 004's next feature: by priority, the first whose dependencies have all passed")
    .addOption(dir()).addOption(json())
    .action(async (opts: { dir: string; json?: boolean }) => setExit(await (await import("./commands/plan.ts")).planNextCommand({ dir: opts.dir, json: !!opts.json }, o)));
  plan.command("export").description("the plan in its source format with the loop's results (`passes`, statuses)")
    .addOption(dir()).addOption(json())
    .option("-o, --output <file>", "write here instead of stdout").option("--in-place", "overwrite the file the plan was imported from")
    .action(async (opts: { dir: string; json?: boolean; output?: string; inPlace?: boolean }) =>
      setExit(await (await import("./commands/plan.ts")).planExportCommand({ dir: opts.dir, json: !!opts.json, inPlace: !!opts.inPlace, ...(opts.output !== undefined ? { output: opts.output } : {}) }, o)));
  plan.command("sessions").description("seed 004's session log: one session per attempt")
    .addOption(dir()).addOption(json())
    .option("--write <dir>", "also write session-NNN.json files and progress.txt there (seed 004's .agent/sessions layout)")
    .action(async (opts: { dir: string; json?: boolean; write?: string }) =>
      setExit(await (await import("./commands/plan.ts")).planSessionsCommand({ dir: opts.dir, json: !!opts.json, ...(opts.write !== undefined ? { write: opts.write } : {}) }, o)));

  program.command("loop").description("work the imported plan until every item passed or only blocked ones remain")
    .addOption(dir()).addOption(new Option("--json", "print NDJSON events, one per line"))
    .option("--concurrency <n>", "items at once (default: loop.concurrency)", positiveInt)
    .option("--max-sessions <n>", "attempts in this run (default: loop.max_sessions)", positiveInt)
    .option("--allow-dirty", "run even if the main worktree has uncommitted changes")
    .addOption(new Option("--workspace <mode>", "worktree | none (default: workspace.mode)").choices(["worktree", "none"]))
    .action(async (opts: { dir: string; json?: boolean; concurrency?: number; maxSessions?: number; allowDirty?: boolean; workspace?: "worktree" | "none" }) =>
      setExit(await (await import("./commands/loop.ts")).loopCommand({
        dir: opts.dir, json: !!opts.json, allowDirty: !!opts.allowDirty,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
        ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
      }, o)));

  return program;
}

export async function main(argv: string[], o: Output = processOutput): Promise<number> {
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
    if (e instanceof InvalidArgumentError) {
      o.err(`viable: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
      return EXIT.usage;
    }
    if (isUserError(e)) {
      o.err(`viable: ${e.message}`);
      return EXIT.usage;
    }
    o.err(`viable: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failed;
  }
}
