// `.viable/config.json`: written by people, versioned with the project, validated on read. Unknown
// keys are refused (a typo should not silently do nothing), and every problem names the field.

import fs from "node:fs";
import { z } from "zod";
import { UserError } from "../domain/errors.ts";
import { MAX_CANDIDATES } from "../domain/candidates.ts";
import { RUNTIME_NAMES } from "../domain/runtime.ts";

const positive = z.number().positive();
const budgetSchema = z.strictObject({ usd: positive.optional(), tokens: positive.optional(), seconds: positive.optional() });

/** One candidate of best-of-N (domain/candidates.ts). */
export const candidateSchema = z.strictObject({
  agent: z.string().min(1).optional(),
  runtime: z.enum(RUNTIME_NAMES).optional(),
  model: z.string().min(1).optional(),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  /** S3* audit commands, run with `sh -c` in the workspace after the agents; default: the detected test command. */
  verify: z.array(z.string().min(1)).optional(),
  defaults: z.strictObject({
    /** Runtime for built-in agents and `.viable/agents` files that do not name one. */
    runtime: z.enum(RUNTIME_NAMES).default("claude"),
    /** Seconds. Seed 004's SESSION_TIMEOUT. */
    timeout: positive.default(3600),
    idle_timeout: positive.optional(),
    max_output_bytes: z.number().int().positive().default(8 * 1024 * 1024),
    kill_grace_ms: z.number().int().nonnegative().default(2000),
    /** Seconds for each verify command. */
    verify_timeout: positive.default(1200),
    /** S1 passes per cycle: after a failed audit the agents run again with its findings. */
    max_iterations: z.number().int().min(1).max(10).default(2),
  }).prefault({}),
  /** Extra complexity rules: regex sources per level, and whole new domains. */
  complexity: z.strictObject({
    keywords: z.strictObject({
      simple: z.array(z.string()).optional(),
      medium: z.array(z.string()).optional(),
      complex: z.array(z.string()).optional(),
    }).optional(),
    domains: z.record(z.string(), z.array(z.string())).optional(),
  }).prefault({}),
  /**
   * A shadow beside every agent that names none (an agent's own `shadow:` wins): another runtime,
   * model or agent on the same item in its own worktree, never merged, compared by `viable shadow
   * report`. "off" stops every shadow, the agents' own too.
   */
  shadow: z.union([z.literal("off"), candidateSchema]).optional(),
  /** Retries of retryable outcomes (5xx, rate limits, timeouts), per runtime, with exponential backoff. */
  retries: z.strictObject({
    max: z.number().int().min(0).max(20).default(2),
    base_delay_ms: z.number().int().nonnegative().default(1000),
    max_delay_ms: z.number().int().nonnegative().default(60_000),
    /**
     * A provider that says its usage limit is reached without saying when it resets: how long
     * its runtime is left alone (others in the agent's chain go on meanwhile).
     */
    limit_reset_s: z.number().int().positive().default(900),
  }).prefault({}),
  /** Per-runtime circuit breaker (seed 002's defaults). */
  circuit_breaker: z.strictObject({
    failures: z.number().int().positive().default(3),
    successes: z.number().int().positive().default(2),
    reset_ms: z.number().int().nonnegative().default(60_000),
  }).prefault({}),
  /** Limits that stop work: per attempt, per plan item (all its attempts), per task, per run; dollars, tokens, seconds. */
  budgets: z.strictObject({
    attempt: budgetSchema.optional(),
    item: budgetSchema.optional(),
    task: budgetSchema.optional(),
    run: budgetSchema.optional(),
  }).prefault({}),
  /** Dollars per million tokens, by model name (or prefix), for CLIs that do not report cost. */
  prices: z.record(z.string(), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative(), cached_input: z.number().nonnegative().optional() })).default({}),
  /** Per-runtime settings: the binary to run, the default model, extra arguments. */
  runtimes: z.partialRecord(z.enum(RUNTIME_NAMES), z.strictObject({
    bin: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    /**
     * Names of further environment variables the CLI may see, beyond its own (e.g. the key
     * variable of a custom provider: ["OPENROUTER_API_KEY"]). Values that look secret are redacted
     * from transcripts like the others.
     */
    pass_env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")).default([]),
    max_turns: z.number().int().positive().optional(),
    /**
     * Let the agent edit files and run commands without asking (the workspace is the sandbox).
     * false: the CLI's own permission rules apply, and a headless run ends needs_input when denied.
     */
    auto_approve: z.boolean().default(true),
    /** claude only: processes started ahead of need (seed 000's REPL pool). size 0 = off. */
    warm_pool: z.strictObject({
      size: z.number().int().min(0).max(16).default(0),
      max_tasks: z.number().int().positive().default(1),
    }).optional(),
  })).default({}),
  /** What S5 answers when approval is required and nobody is at a terminal. */
  approval: z.enum(["ask", "approve", "reject"]).default("ask"),
  /**
   * Seconds a pending approval waits for an answer from elsewhere (the dashboard of a `viable
   * serve` watching the project) when nobody is at a terminal; then the cycle stops as unanswered.
   */
  approval_timeout: z.number().positive().default(900),
  /**
   * What agents may do, in Claude Code's rule syntax. claude agents run with these rules instead of
   * bypassing every prompt; what they leave open (and what `ask` names) waits for a person in the
   * dashboard or through MCP, `ask_timeout` seconds at most, then is denied with the reason.
   */
  permissions: z.strictObject({
    allow: z.array(z.string().min(1)).default([]),
    deny: z.array(z.string().min(1)).default([]),
    ask: z.array(z.string().min(1)).default([]),
    ask_timeout: z.number().positive().default(300),
  }).optional(),
  /** Where plan items run (`viable loop`). */
  workspace: z.strictObject({
    /** `worktree`: one git worktree per attempt, merged back; `none`: in the project itself, nothing merged. */
    mode: z.enum(["worktree", "none"]).default("worktree"),
    /** Commands run with `sh -c` in each new worktree before its agents, e.g. ["cp ../../../../.env .", "npm ci"]. */
    setup: z.array(z.string().min(1)).default([]),
    /** Seconds for each setup command. */
    setup_timeout: positive.default(900),
    /** VIABLE_PORT_BASE of the first worktree slot; each slot gets `port_stride` ports of its own. */
    port_base: z.number().int().min(1024).max(65000).default(20000),
    port_stride: z.number().int().min(1).max(1000).default(10),
  }).prefault({}),
  /**
   * Where the records are kept. Without `url`, the embedded SQLite file (.viable/state/viable.db);
   * with a Postgres URL, a server every machine of a distributed loop shares (VIABLE_DATABASE_URL
   * wins over it).
   */
  store: z.strictObject({
    url: z.string().regex(/^postgres(ql)?:\/\//, "must be a Postgres URL: postgres://user:password@host:5432/database").optional(),
  }).prefault({}),
  /** The plan loop (`viable loop`). */
  loop: z.strictObject({
    /**
     * The git remote workers clone and push to (a path to a bare repository, or an SSH/HTTPS URL):
     * with a Postgres store, `viable loop` becomes the coordinator and items go to `viable worker`s.
     */
    remote: z.string().min(1).optional(),
    /** How the coordinator's job queues treat workers (pg-boss). */
    workers: z.strictObject({
      /** A worker's heartbeat: a job whose worker missed it this long is retried on another (pg-boss's floor is 10). */
      heartbeat_s: z.number().int().min(10).default(10),
      /** Further tries of one attempt after its worker died or was cut off; then the attempt counts as failed. */
      retries: z.number().int().min(0).max(20).default(2),
      /** How long one try may run at all. */
      expire_s: z.number().int().min(10).default(3600),
    }).prefault({}),
    /** Items worked at once. */
    concurrency: z.number().int().min(1).max(256).default(2),
    /** Items at once per runtime, e.g. {"claude": 2}; runtimes not listed share `concurrency`. */
    runtime_limits: z.record(z.string(), z.number().int().min(1)).default({}),
    /** Attempts per item before it is blocked. */
    max_attempts: z.number().int().min(1).max(100).default(3),
    /**
     * Merge races an item may lose in one run before it is blocked. A lost race is not the item's
     * own failure: it does not count toward `max_attempts` or a failure streak.
     */
    max_conflicts: z.number().int().min(1).max(100).default(5),
    /**
     * Items that name the same files (S2's prediction from their text) are not run at the same
     * time, so fewer merges conflict; items naming no file are never held back.
     */
    avoid_overlap: z.boolean().default(false),
    /**
     * The agent that resolves a merge conflict in the queue (in a scratch worktree) before the item
     * is sent back for a new attempt. Without one, a conflict sends it back at once.
     */
    integrator: z.string().min(1).optional(),
    /**
     * When an agent stops for a person (it needs input: a permission its CLI denied, a question):
     * `wait` keeps the item's worktree and waits for someone to take it over (`viable attach`) or
     * answer (dashboard, MCP `answer`) while other items go on; `retry` counts it as a failed
     * attempt; `block` blocks the item at once. Default: `wait` at a terminal, `retry` otherwise.
     */
    on_needs_input: z.enum(["wait", "retry", "block"]).optional(),
    /** Consecutive failed attempts before the loop stops (or asks, at a terminal). */
    max_consecutive_failures: z.number().int().min(1).default(3),
    /** Sessions (attempts) per `viable loop` run; seed 004's MAX_SESSIONS. */
    max_sessions: z.number().int().min(1).default(100),
    /**
     * Days a kept branch (`viable-kept/...`) whose work has since landed on the integration branch
     * is left before a loop prunes it; 0 prunes at the end of the run. Work found nowhere else is
     * never pruned.
     */
    prune_kept_after_days: z.number().min(0).default(7),
    /** The branch items merge into; default: the branch checked out when the loop starts. */
    integration_branch: z.string().min(1).optional(),
    /**
     * Several agents on one item, each in its own worktree; the harness keeps the best result.
     * An item's own `best_of` / `candidates` win over these.
     */
    best_of: z.strictObject({
      /** Candidates per item (1: off); the item's agent each time unless `candidates` lists them. */
      n: z.number().int().min(1).max(MAX_CANDIDATES).default(1),
      candidates: z.array(candidateSchema).default([]),
      /** `best`: wait for every candidate; `first_pass`: merge the first that passes, stop the others. */
      policy: z.enum(["best", "first_pass"]).default("best"),
      /** An agent that reads the finalists' diffs and chooses, with reasons (after the score ranks them). */
      reviewer: z.string().min(1).optional(),
      /** Commands that count toward the score when they pass (lint, build); they do not have to pass. */
      checks: z.array(z.string().min(1)).default([]),
      /** The score of a candidate that passed verification: the sum of each weight times its measure. */
      score: z.strictObject({
        /** Per scoring check passed. */
        checks: z.number().default(10),
        /** Per line added or removed. */
        diff_lines: z.number().default(-0.01),
        /** Per file changed. */
        files: z.number().default(0),
        /** Per changed file outside the paths the item names (none named: no file is outside). */
        outside_scope: z.number().default(-1),
      }).prefault({}),
    }).prefault({}),
  }).prefault({}),
}).prefault({});

export type ViableConfig = z.infer<typeof configSchema>;

/** The Postgres URL of the store, if the project keeps its records there: VIABLE_DATABASE_URL, else `store.url`. */
export function storeUrl(config: ViableConfig): string | undefined {
  const env = process.env.VIABLE_DATABASE_URL;
  return env !== undefined && env !== "" ? env : config.store.url;
}

export function defaultConfig(): ViableConfig {
  return configSchema.parse({});
}

export function loadConfig(file: string): ViableConfig {
  const parsed = parseConfig(file);
  if (parsed.error) throw parsed.error;
  return parsed.config;
}

/**
 * For commands that only read (state, log, agents, plan show): a config with mistakes still lets
 * them work. Unknown keys (usually typos) are left out, and a file that is still invalid after
 * that gives way to the defaults; each mistake comes back as a warning naming the field and the fix.
 */
export function loadConfigLeniently(file: string): { config: ViableConfig; warnings: UserError[] } {
  const first = parseConfig(file);
  if (!first.error) return { config: first.config, warnings: [] };
  if (first.raw === undefined || first.unknownKeys.length === 0) return { config: defaultConfig(), warnings: [first.error] };
  const stripped = structuredClone(first.raw);
  for (const key of first.unknownKeys) deletePath(stripped, key);
  const second = configSchema.safeParse(stripped);
  return second.success ? { config: second.data, warnings: [first.error] } : { config: defaultConfig(), warnings: [first.error] };
}

function deletePath(value: unknown, dotted: string): void {
  const parts = dotted.split(".");
  let node = value;
  for (const part of parts.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === "object" && node !== null) delete (node as Record<string, unknown>)[parts.at(-1)!];
}

function parseConfig(file: string): { config: ViableConfig; error?: never; raw?: unknown; unknownKeys: string[] } | { config?: never; error: UserError; raw?: unknown; unknownKeys: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { config: defaultConfig(), unknownKeys: [] };
    return { error: new UserError({ reason: "bad_config", file, message: "cannot be read", fix: "check the file's permissions" }), unknownKeys: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { error: new UserError({ reason: "bad_config", file, message: `is not valid JSON: ${(e as Error).message}`, fix: "fix the JSON syntax (a trailing comma or a missing quote is the usual cause)" }), unknownKeys: [] };
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data, unknownKeys: [] };
  const unknownKeys = parsed.error.issues.flatMap((i) => (i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k].join(".")) : []));
  const issue = parsed.error.issues[0];
  const base = issue ? issue.path.join(".") : "";
  // For an unknown key the issue's path is its parent; the key itself is what the user must fix.
  const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
  const field = keys.length ? keys.map((k) => (base ? `${base}.${k}` : k)).join(", ") : base || "(top level)";
  const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : "";
  return {
    raw, unknownKeys,
    error: new UserError({
      reason: "bad_config",
      file,
      field,
      message: `${issue?.message ?? "invalid"}${extra}`,
      fix: issue?.code === "unrecognized_keys"
        ? "remove the unknown key or check its spelling (see README, Configuration)"
        : "correct the value (see README, Configuration)",
    }),
  };
}
