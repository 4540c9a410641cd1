// S3*: the project's own checks, run after the agents. An audit passes when every agent of the
// iteration succeeded and every verification command exits 0. The output tail of a failing check
// becomes the feedback for the next iteration, so the agent sees what the tests said.

import path from "node:path";
import { scrubbedEnv } from "../process/environment.ts";
import { superviseProcess, type SupervisionStrategy } from "../process/supervise-process.ts";

export interface VerificationCheck {
  command: string;
  passed: boolean;
  exit_code: number | null;
  termination: string;
  duration_ms: number;
  output_tail: string;
}

export interface VerificationReport {
  passed: boolean;
  /** Share of checks (agents' outcomes count as one check) that passed. */
  score: number;
  checks: VerificationCheck[];
  findings: string[];
  /** What a correction iteration is told. */
  feedback: string;
}

export interface VerificationInput {
  commands: string[];
  cwd: string;
  signal: AbortSignal;
  timeoutMs: number;
  killGraceMs: number;
  maxOutputBytes: number;
  transcriptDir: string;
  label: string;
  /** With no command to run: fail (strict audit) rather than pass with a finding. */
  requireCommands: boolean;
  /** Agents that did not succeed in this iteration. */
  agentFailures: string[];
  env?: Record<string, string>;
  /**
   * VIABLE_ATTEMPT_ID of every check's processes; default: a fresh one per check. A caller that
   * must find the checks again after a crash (to reap them) passes one it can recompute, such as
   * auditMarker(taskId): the checks run one after another, each fully stopped before the next.
   */
  marker?: string;
  /** How the checks are started (default: the supervisor's; the plan loop passes its helpers and sweeper). */
  strategy?: Pick<SupervisionStrategy, "spawner" | "leftovers">;
}

/** The marker of a cycle's S3* checks: what reconciliation reaps for a task a dead Viable left. */
export function auditMarker(taskId: string): string {
  return `${taskId}-verify`;
}

const TAIL_LINES = 30;
const VERIFY_ENV_ALLOWED: readonly (string | RegExp)[] = [/^VIABLE_/, "CI", /^NODE_ENV$/, /^npm_config_/i];

export async function runVerification(input: VerificationInput): Promise<VerificationReport> {
  const checks: VerificationCheck[] = [];
  const findings: string[] = [];
  for (const [i, command] of input.commands.entries()) {
    if (input.signal.aborted) break;
    const proc = superviseProcess({
      file: "/bin/sh",
      args: ["-c", command],
      cwd: input.cwd,
      env: { ...scrubbedEnv(process.env, VERIFY_ENV_ALLOWED), ...input.env },
      stdin: "ignore",
      marker: input.marker ?? `${input.label}-verify-${i}-${crypto.randomUUID().slice(0, 8)}`,
      signal: input.signal,
      timeoutMs: input.timeoutMs,
      killGraceMs: input.killGraceMs,
      maxOutputBytes: input.maxOutputBytes,
      transcriptPath: path.join(input.transcriptDir, `${input.label}-verify-${i}.log`),
      ...(input.strategy ? { strategy: input.strategy } : {}),
    });
    const tail: string[] = [];
    for await (const line of proc.lines) {
      tail.push(line.text);
      if (tail.length > TAIL_LINES) tail.shift();
    }
    const exit = await proc.exited;
    const passed = exit.termination === "exited" && exit.exitCode === 0;
    checks.push({ command, passed, exit_code: exit.exitCode, termination: exit.termination, duration_ms: exit.durationMs, output_tail: tail.join("\n") });
    if (!passed) {
      findings.push(exit.termination === "exited" ? `\`${command}\` exited ${exit.exitCode ?? exit.signal}` : `\`${command}\` ${exit.termination.replace("_", " ")}${exit.error ? `: ${exit.error}` : ""}`);
    }
  }
  if (input.commands.length === 0) {
    findings.push(input.requireCommands
      ? "no verification command: the strict audit (tighten_s3_star) requires one — set `verify` in .viable/config.json"
      : "no verification command found (set `verify` in .viable/config.json); only the agents' outcomes were checked");
  }
  for (const a of input.agentFailures) findings.push(`agent ${a} did not succeed`);
  const agentCheck = input.agentFailures.length === 0 ? 1 : 0;
  const total = checks.length + 1;
  const score = (checks.filter((c) => c.passed).length + agentCheck) / total;
  const passed = agentCheck === 1 && checks.every((c) => c.passed) && !(input.requireCommands && input.commands.length === 0);
  const feedback = checks.filter((c) => !c.passed).map((c) => `$ ${c.command}\n${c.output_tail}`).join("\n\n") || findings.join("\n");
  return { passed, score, checks, findings, feedback };
}
