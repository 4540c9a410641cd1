// What travels between the coordinator and the workers through pg-boss: one job per item attempt,
// in the queue of the runtime its first agent uses (so a runtime's limits hold across machines),
// and the job's output when a worker is done. Both are versioned and validated on read: a worker
// of another Viable version refuses a job it does not understand instead of guessing.

import { z } from "zod";
import { BUDGET_SCOPES } from "../domain/outcome.ts";
import { PlanItemSchema } from "../plan/plan.ts";

export const ITEM_JOB_VERSION = 1;

/** The queue of a runtime's item attempts. */
export function queueName(runtime: string): string {
  return `viable-items-${runtime}`;
}

export const ItemJobSchema = z.object({
  v: z.literal(ITEM_JOB_VERSION),
  run_id: z.string().min(1),
  item: PlanItemSchema,
  attempt: z.number().int().min(1),
  slot: z.number().int().min(0),
  /** The integration branch's commit the work starts from (on the remote). */
  base: z.string().regex(/^[0-9a-f]{40}$/),
  integration: z.string().min(1),
  /** The checks that decide the attempt: the item's verify commands, then the project's. */
  verify: z.array(z.string()),
  source: z.object({ format: z.string(), file: z.string(), tag: z.string().optional() }),
  previous_failure: z.string().optional(),
  answered: z.object({ question: z.string(), answer: z.string().nullable() }).optional(),
});
export type ItemJob = z.infer<typeof ItemJobSchema>;

/** OutcomeFailure (domain/outcome.ts) as it travels: policies act on it on the coordinator. */
const OutcomeFailureSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("budget_exceeded"), scope: z.enum(BUDGET_SCOPES) }),
  z.object({ kind: z.literal("authentication"), status: z.number().nullable() }),
  z.object({ kind: z.literal("configuration"), status: z.number().nullable() }),
  z.object({ kind: z.literal("not_installed") }),
  z.object({ kind: z.literal("circuit_open") }),
  z.object({ kind: z.literal("usage_limit"), resetsAt: z.string().nullable() }),
]);

const CheckSchema = z.object({ command: z.string(), passed: z.boolean(), duration_ms: z.number(), output_tail: z.string() });

export const ItemJobResultSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(ITEM_JOB_VERSION), kind: z.literal("passed"), worker: z.string(), branch: z.string(), head: z.string(), base: z.string(),
    checks: z.array(CheckSchema), attempt_id: z.string().nullable(),
  }),
  z.object({
    v: z.literal(ITEM_JOB_VERSION), kind: z.literal("failed"), worker: z.string(), reason: z.string(), context: z.string(),
    failure: OutcomeFailureSchema.optional(), checks: z.array(CheckSchema).optional(), question: z.string().optional(),
    /** With a question: the agent's unfinished work, committed as it left it and pushed to `branch`. */
    attempt_id: z.string().nullable(), branch: z.string().nullable(), head: z.string().optional(),
  }),
]);
export type ItemJobResult = z.infer<typeof ItemJobResultSchema>;

/**
 * The task a worker records one try of a job under (its agent attempts are that task's). Not under
 * the run's id: a coordinator that restarts on the worker's machine reaps its dead predecessor's
 * processes by that prefix, and a try's agents are not its.
 */
export function workerTaskId(jobId: string, retry: number): string {
  return `${workerTaskPrefix(jobId)}${retry + 1}`;
}

/** What every try's task id of a job starts with. */
export function workerTaskPrefix(jobId: string): string {
  return `worker-${jobId.slice(0, 8)}-try`;
}

/** The worker task an attempt marker (or any id starting with one) belongs to, if any. */
export function workerTaskOf(marker: string): string | null {
  return /^(worker-[0-9a-f]{8}-try\d+)/.exec(marker)?.[1] ?? null;
}

/** The branch a worker pushes an attempt's work to: one per job try, so a late push never overwrites the retry's. */
export function workBranch(itemSlug: string, attempt: number, jobId: string, retry: number): string {
  return `viable-work/${itemSlug}/attempt-${attempt}-${jobId.slice(0, 8)}-try-${retry + 1}`;
}
