// Viable's MCP tools: few (agents pay for every tool definition in their context), each answering
// in a few short lines of structured JSON. Long work (a loop, a task) is started as a job and
// answered at once with its id — MCP clients give up on a call after about a minute — and followed
// with `job`. Every tool works through the app layer, like the CLI and the dashboard; actions are
// recorded with `source: "mcp"`.

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { answerApproval, listApprovals } from "../app/approvals.ts";
import { resumeProject, stopProject } from "../app/control.ts";
import { itemDetail } from "../app/items.ts";
import { jobStatus, loopJob, startJob, stopLoop, taskJob, type Job } from "../app/jobs.ts";
import { planView, projectOverview } from "../app/overview.ts";
import type { Project } from "../app/project.ts";
import { isUserError, UserError } from "../domain/errors.ts";

export const SOURCE = "mcp";

/** The projects the tools can reach: one (stdio) or every project of a `viable serve`. */
export interface McpProjects {
  /** The project of that id; the only (or first) one when none is named. */
  get(id: string | undefined): { id: string; project: Project };
  ids(): string[];
}

const MAX_TEXT = 300;

function clip(text: string | null | undefined, max = MAX_TEXT): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A result as MCP carries it: short JSON text for the model, the same as structured content. */
function ok(value: Record<string, unknown>) {
  return { content: [{ type: "text" as const, text: JSON.stringify(value) }], structuredContent: value };
}

/** A user's mistake or a refused action: the reason and the fix, as the CLI says them, for the model to act on. */
function refused(e: unknown) {
  if (!isUserError(e)) throw e;
  return { isError: true, content: [{ type: "text" as const, text: JSON.stringify({ error: { reason: e.reason, message: e.summary, fix: e.fix ?? null } }) }] };
}

async function guarded<T>(fn: () => Promise<T>): Promise<T | ReturnType<typeof refused>> {
  try {
    return await fn();
  } catch (e) {
    return refused(e);
  }
}

function jobView(j: Job) {
  return { id: j.id, kind: j.kind, state: j.state, exit_code: j.exit_code, started_at: j.started_at, ended_at: j.ended_at, output_tail: clip(j.output_tail.trim(), 800) };
}

const project = z.string().optional().describe("project id (only when the server shows several)");

/** personTools false: `answer` and `stop` are not offered (an agent's own session must not use them). */
export function createMcpServer(projects: McpProjects, version: string, options: { personTools?: boolean } = {}): McpServer {
  const server = new McpServer({ name: "viable", version });

  server.registerTool("status", {
    description: "The project at a glance: plan counts, what runs, the kill switch, pending approvals (with ids and questions), cost.",
    inputSchema: { project },
  }, async (a) => guarded(async () => {
    const { id, project: p } = projects.get(a.project);
    const o = await projectOverview(p);
    const pending = await listApprovals(p, "pending");
    return ok({
      project: id, plan: o.plan, working: o.holder, running_attempts: o.running_attempts, kill_switch: o.kill_switch, cost_usd: o.cost_usd,
      pending_approvals: pending.map((x) => ({ id: x.id, question: x.question, requested_at: x.requested_at })),
      ...(projects.ids().length > 1 ? { projects: projects.ids() } : {}),
    });
  }));

  server.registerTool("items", {
    description: "The plan's items, optionally only those of one status: id, name, status, attempts, last error (shortened).",
    inputSchema: { project, status: z.enum(["pending", "running", "passed", "failed", "blocked"]).optional(), limit: z.number().int().min(1).max(500).default(50) },
    annotations: { readOnlyHint: true },
  }, async (a) => guarded(async () => {
    const plan = await planView(projects.get(a.project).project);
    const items = plan.items.filter((i) => a.status === undefined || i.status === a.status);
    return ok({
      counts: plan.counts, total: items.length,
      items: items.slice(0, a.limit).map((i) => ({ id: i.id, name: i.name, status: i.status, attempts: i.attempts, last_error: clip(i.last_error ?? i.blocked_reason, 160) })),
    });
  }));

  server.registerTool("item", {
    description: "One plan item: its definition, attempts (agent, runtime, outcome, cost), last error (an agent's question, when it waits for a person), verification results, best-of-N candidates side by side and shadow pairs.",
    inputSchema: { project, id: z.string().min(1).describe("the item's id") },
    annotations: { readOnlyHint: true },
  }, async (a) => guarded(async () => {
    const d = await itemDetail(projects.get(a.project).project, a.id);
    return ok({
      id: d.item.id, name: d.item.name, status: d.item.status, phase: d.item.phase, dependencies: d.item.dependencies, verify: d.item.verify, branch: d.item.branch,
      // An agent's question waits for a person: answered with `answer` (its approval is in `status`), or taken over.
      ...(d.item.phase === "needs_input" ? { waits_for_person: { take_over: `viable attach ${d.item.id}` } } : {}),
      last_error: clip(d.item.last_error ?? d.item.blocked_reason, 1200), cost_usd: d.item.cost_usd,
      attempts: d.attempts.map((x) => ({ agent: x.agent, runtime: x.runtime, status: x.outcome?.status ?? x.status, cost_usd: x.outcome?.cost_usd ?? null, summary: clip(x.outcome?.summary) })),
      verification: d.verification.slice(-3).map((v) => ({ passed: v.passed, checks: v.checks.map((c) => ({ command: c.command, passed: c.passed, output_tail: c.passed ? null : clip(c.output_tail, 600) })) })),
      ...(d.candidates.length > 0 ? {
        candidates: d.candidates.slice(-2).map((c) => ({
          attempt: c.attempt, policy: c.policy, winner: c.winner, by: c.by, reasons: clip(c.reasons, 600),
          results: c.results.map((r) => ({ candidate: r.candidate, agent: r.agent, runtime: r.runtime, model: r.model, passed: r.passed, stopped: r.stopped, skipped: r.skipped, score: r.score, diff_lines: r.diff_lines, files: r.files.length, cost_usd: r.cost_usd, branch: r.branch })),
        })),
      } : {}),
      ...(d.shadows.length > 0 ? {
        shadows: d.shadows.slice(-3).map((x) => ({
          attempt: x.attempt, complete: x.complete, agree: x.agree,
          primary: { runtime: x.primary.runtime, model: x.primary.model, passed: x.primary.passed, cost_usd: x.primary.cost_usd, duration_s: x.primary.duration_s },
          shadow: { runtime: x.shadow.runtime, model: x.shadow.model, passed: x.shadow.passed, cost_usd: x.shadow.cost_usd, duration_s: x.shadow.duration_s },
        })),
      } : {}),
    });
  }));

  server.registerTool("start", {
    description: "Starts work and answers at once with a job id (follow it with `job`): `loop` works the plan; `task` runs one task (`viable run`).",
    inputSchema: {
      project, what: z.enum(["loop", "task"]),
      task: z.string().min(1).max(200_000).optional().describe("the task, for what=task"),
      concurrency: z.number().int().min(1).max(64).optional().describe("agents at once, for what=loop"),
      auto_approve: z.boolean().optional().describe("approve an S5 approval the task needs, for what=task"),
    },
  }, async (a) => guarded(async () => {
    const p = projects.get(a.project).project;
    if (a.what === "task" && a.task === undefined) throw new UserError({ reason: "bad_usage", field: "task", message: "what=task needs the task", fix: "pass task: \"<what the agents should do>\"" });
    const job = await startJob(p, a.what === "loop" ? loopJob(a.concurrency, SOURCE) : taskJob(a.task!, a.auto_approve === true, SOURCE));
    return ok({ job: jobView(job) });
  }));

  server.registerTool("job", {
    description: "A job's state (running or ended, its exit code and the end of its output), with the plan's counts for a loop.",
    inputSchema: { project, id: z.string().min(1).describe("the job id `start` returned") },
    annotations: { readOnlyHint: true },
  }, async (a) => guarded(async () => {
    const p = projects.get(a.project).project;
    const job = await jobStatus(p, a.id);
    const plan = job.kind === "loop" ? (await projectOverview(p)).plan : null;
    return ok({ job: jobView(job), ...(plan ? { plan_counts: plan.counts } : {}) });
  }));

  if (options.personTools === false) return server;

  server.registerTool("answer", {
    description: "Answers a pending S5 approval (ids from `status`); the run waiting for it carries on. The first answer holds. For an agent's question (subject needs_input): approve retries the item with the comment as your answer, reject blocks it.",
    inputSchema: { project, approval_id: z.string().min(1), decision: z.enum(["approve", "reject"]), comment: z.string().max(2000).optional() },
  }, async (a) => guarded(async () => {
    const r = await answerApproval(projects.get(a.project).project, a.approval_id, a.decision, SOURCE, a.comment ?? null);
    return ok({ approval: { id: r.id, status: r.status, answered_by: r.answered_by } });
  }));

  server.registerTool("stop", {
    description: "`loop`: asks the running loop to stop; `everything`: engages the kill switch (every attempt ends, none starts); `release`: releases the kill switch.",
    inputSchema: { project, what: z.enum(["loop", "everything", "release"]), reason: z.string().max(500).optional() },
    annotations: { destructiveHint: true },
  }, async (a) => guarded(async () => {
    const p = projects.get(a.project).project;
    if (a.what === "loop") return ok({ stopped: await stopLoop(p, SOURCE) });
    if (a.what === "release") return ok({ released: await resumeProject(p.paths.root, SOURCE) });
    const r = await stopProject(p.paths.root, a.reason?.trim() || "engaged through MCP", SOURCE);
    return ok({ kill_switch: r.kill_switch, running_attempts: r.running_attempts });
  }));

  return server;
}
