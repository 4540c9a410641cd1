// The HTTP API as data: each route's method, path, what it does, its parameters and body schema, and
// its handler. The server registers them and the OpenAPI document is made from the same list, so
// the document cannot drift from what is served.

import type { Context } from "hono";
import { z } from "zod";
import { readAttemptOutput } from "../app/agent-output.ts";
import { answerApproval, listApprovals, parseApprovalStatus } from "../app/approvals.ts";
import { resumeProject, stopProject } from "../app/control.ts";
import { costView, eventPage, metricsView, recentTasks, taskDetail } from "../app/insights.ts";
import { changeItem, itemDetail, itemDiff } from "../app/items.ts";
import { listJobs, loopJob, startJob, stopLoop, taskJob } from "../app/jobs.ts";
import { projectOverview, planView } from "../app/overview.ts";
import { errorMessage } from "../domain/errors.ts";
import { badRequest } from "./errors.ts";
import type { HubProject, ProjectHub } from "./hub.ts";

/** Where actions taken through this API are recorded as coming from. */
export const SOURCE = "dashboard";

export interface Param {
  name: string;
  in: "path" | "query";
  description: string;
  type: "string" | "integer";
}

export interface Route {
  method: "get" | "post" | "delete";
  /** OpenAPI style: /api/projects/{p}. */
  path: string;
  summary: string;
  params: Param[];
  body?: z.ZodType;
  /** What the 200 answer holds, in words (the dashboard's contract). */
  returns: string;
  handler: (r: RouteContext) => Promise<unknown>;
}

export interface RouteContext {
  c: Context;
  hub: ProjectHub;
  project: () => HubProject;
  param: (name: string) => string;
  query: (name: string) => string | undefined;
  int: (name: string, fallback: number, min: number, max: number) => number;
  body: <T>() => T;
}

const P: Param = { name: "p", in: "path", description: "the project's id (from /api/projects)", type: "string" };
const ITEM: Param = { name: "item", in: "path", description: "a plan item's id", type: "string" };

const runTaskBody = z.strictObject({ description: z.string().trim().min(1).max(200_000), auto_approve: z.boolean().optional() });
const loopBody = z.strictObject({ concurrency: z.number().int().min(1).max(64).optional() });
const answerBody = z.strictObject({ decision: z.enum(["approve", "reject"]), comment: z.string().max(2000).optional() });
const killBody = z.strictObject({ reason: z.string().max(500).optional() });

export const ROUTES: Route[] = [
  {
    method: "get", path: "/api/projects", summary: "The projects this server shows", params: [], returns: "{projects: ProjectOverview[]}",
    handler: async ({ hub }) => ({ projects: await Promise.all(hub.all().map(overviewOf)) }),
  },
  {
    method: "get", path: "/api/projects/{p}", summary: "One project at a glance", params: [P], returns: "ProjectOverview",
    handler: async ({ project }) => overviewOf(project()),
  },
  {
    method: "get", path: "/api/projects/{p}/plan", summary: "The imported plan: items, counts, critical path", params: [P], returns: "PlanView",
    handler: async ({ project }) => planView(project().project),
  },
  {
    method: "get", path: "/api/projects/{p}/items/{item}", summary: "One item: attempts, verification, its events", params: [P, ITEM], returns: "ItemDetail",
    handler: async ({ project, param }) => itemDetail(project().project, param("item")),
  },
  {
    method: "get", path: "/api/projects/{p}/items/{item}/diff", summary: "The item's work as a diff against its base", params: [P, ITEM], returns: "ItemDiff",
    handler: async ({ project, param }) => itemDiff(project().project, param("item")),
  },
  {
    method: "post", path: "/api/projects/{p}/items/{item}/retry", summary: "A failed or blocked item starts afresh (refused while a loop works the plan)", params: [P, ITEM],
    returns: "{item}", handler: async ({ project, param }) => ({ item: await changeItem(project().project.paths.root, param("item"), "retry", SOURCE) }),
  },
  {
    method: "post", path: "/api/projects/{p}/items/{item}/unblock", summary: "A blocked item goes back to pending (refused while a loop works the plan)", params: [P, ITEM],
    returns: "{item}", handler: async ({ project, param }) => ({ item: await changeItem(project().project.paths.root, param("item"), "unblock", SOURCE) }),
  },
  {
    method: "get", path: "/api/projects/{p}/attempts/{attempt}/output", summary: "An attempt's output as normalized events, from its transcript",
    params: [P, { name: "attempt", in: "path", description: "an attempt's id", type: "string" }, { name: "from", in: "query", description: "byte offset to read from (the previous answer's next)", type: "integer" }],
    returns: "{events: AgentEvent[], next, done}",
    handler: async ({ project, param, int }) => readAttemptOutput(project().project, param("attempt"), int("from", 0, 0, Number.MAX_SAFE_INTEGER)),
  },
  {
    method: "get", path: "/api/projects/{p}/tasks", summary: "The newest tasks (viable run)", params: [P, { name: "limit", in: "query", description: "how many (1-500, default 50)", type: "integer" }],
    returns: "{tasks}", handler: async ({ project, int }) => ({ tasks: await recentTasks(project().project, int("limit", 50, 1, 500)) }),
  },
  {
    method: "post", path: "/api/projects/{p}/tasks", summary: "Runs a task (viable run) as a process of its own", params: [P], body: runTaskBody, returns: "{job}",
    handler: async ({ project, body }) => {
      const b = body<z.infer<typeof runTaskBody>>();
      const p = project();
      return { job: await startJob(p.project, taskJob(b.description, b.auto_approve === true, SOURCE)) };
    },
  },
  {
    method: "get", path: "/api/projects/{p}/tasks/{task}", summary: "One task and its VSM cycle's steps", params: [P, { name: "task", in: "path", description: "a task's id", type: "string" }],
    returns: "{task, summary, steps, attempts}", handler: async ({ project, param }) => taskDetail(project().project, param("task")),
  },
  {
    method: "get", path: "/api/projects/{p}/events", summary: "The journal's events, page by page in sequence order",
    params: [P,
      { name: "after", in: "query", description: "only events after this sequence number (default 0)", type: "integer" },
      { name: "limit", in: "query", description: "page size (1-1000, default 200)", type: "integer" },
      { name: "task", in: "query", description: "only this task's events", type: "string" },
      { name: "type", in: "query", description: "only events of this type", type: "string" }],
    returns: "{events, last_seq}",
    handler: async ({ project, int, query }) => {
      const task = query("task");
      const type = query("type");
      return eventPage(project().project, {
        after: int("after", 0, 0, Number.MAX_SAFE_INTEGER), limit: int("limit", 200, 1, 1000),
        ...(task !== undefined ? { taskId: task } : {}), ...(type !== undefined ? { eventType: type } : {}),
      });
    },
  },
  {
    method: "get", path: "/api/projects/{p}/metrics", summary: "Viability metrics now and over time, active adaptations, health", params: [P], returns: "MetricsView",
    handler: async ({ project }) => metricsView(project().project),
  },
  {
    method: "get", path: "/api/projects/{p}/cost", summary: "Cost and tokens by item, agent, model, runtime and day", params: [P], returns: "CostBreakdown",
    handler: async ({ project }) => costView(project().project),
  },
  {
    method: "get", path: "/api/projects/{p}/approvals", summary: "S5 approvals, newest first",
    params: [P, { name: "status", in: "query", description: "pending (default), approved, rejected, expired or all", type: "string" }], returns: "{approvals}",
    handler: async ({ project, query }) => ({ approvals: await listApprovals(project().project, parseApprovalStatus(query("status") ?? "pending")) }),
  },
  {
    method: "post", path: "/api/projects/{p}/approvals/{approval}", summary: "Answers a pending approval; the waiting writer carries on",
    params: [P, { name: "approval", in: "path", description: "an approval's id", type: "string" }], body: answerBody, returns: "{approval}",
    handler: async ({ project, param, body }) => {
      const b = body<z.infer<typeof answerBody>>();
      return { approval: await answerApproval(project().project, param("approval"), b.decision, SOURCE, b.comment ?? null) };
    },
  },
  {
    method: "post", path: "/api/projects/{p}/loop", summary: "Starts `viable loop` on the project's plan as a process of its own", params: [P], body: loopBody, returns: "{job}",
    handler: async ({ project, body }) => {
      const b = body<z.infer<typeof loopBody>>();
      const p = project();
      return { job: await startJob(p.project, loopJob(b.concurrency, SOURCE)) };
    },
  },
  {
    method: "post", path: "/api/projects/{p}/loop/stop", summary: "Asks the running loop to stop (its attempts are cancelled and recorded)", params: [P], returns: "{stopped: {pid}}",
    handler: async ({ project }) => ({ stopped: await stopLoop(project().project, SOURCE) }),
  },
  {
    method: "get", path: "/api/projects/{p}/jobs", summary: "Loops and tasks started from the dashboard or MCP, newest first", params: [P],
    returns: "{jobs: [{id, kind, source, pid, args, started_at, state, ended_at, exit_code, output_tail}]}",
    handler: async ({ project }) => ({ jobs: await listJobs(project().project) }),
  },
  {
    method: "post", path: "/api/projects/{p}/kill-switch", summary: "Engages the kill switch: every running attempt is stopped, none starts until released", params: [P], body: killBody,
    returns: "{kill_switch, running_attempts, stopped_directly}",
    handler: async ({ project, body }) => {
      const b = body<z.infer<typeof killBody>>();
      const p = project();
      const result = await stopProject(p.project.paths.root, b.reason?.trim() || "engaged from the dashboard", SOURCE);
      return { kill_switch: result.kill_switch, running_attempts: result.running_attempts, stopped_directly: result.stopped_directly };
    },
  },
  {
    method: "delete", path: "/api/projects/{p}/kill-switch", summary: "Releases the kill switch", params: [P], returns: "{released}",
    handler: async ({ project }) => ({ released: await resumeProject(project().project.paths.root, SOURCE) }),
  },
];

/** A project at a glance, and whether its live stream can read the journal. */
async function overviewOf(p: HubProject) {
  const o = await projectOverview(p.project);
  const streamError = p.tail.error;
  return {
    id: p.id, ...o,
    warnings: streamError === undefined ? o.warnings : [...o.warnings, `the live stream cannot read the journal: ${errorMessage(streamError)}`],
  };
}

/** Integer query parameters: absent → fallback; anything else must be a whole number in range. */
export function intParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(name, `"${raw}" is not a whole number from ${min} to ${max}`, `pass ${name}=<${min}..${max}>`);
  return n;
}
