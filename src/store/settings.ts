// Reading the small singletons kept in the `settings` table: viability metrics, the kill switch.
// Each value is versioned JSON (written by changes.ts), validated on read — a damaged value is an
// error naming the key, never a silent reset.

import type { SqlReader } from "./sql.ts";
import { z } from "zod";
import { UserError } from "../domain/errors.ts";
import { ADAPTATION_TYPES, initialMetrics, type ViabilityMetrics } from "../domain/viability.ts";
import { JOURNAL_EPOCH_KEY, KILL_SWITCH_KEY, METRICS_KEY, SHADOW_SWITCH_KEY } from "./changes.ts";
import type { KillSwitch, ShadowSwitch } from "./records.ts";

const adaptationSchema = z.object({
  type: z.enum(ADAPTATION_TYPES),
  trigger: z.string(),
  effect: z.string(),
  applied_at: z.string(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

const metricsSchema = z.object({
  window: z.literal("last_10_tasks"),
  completion_rate: z.number(),
  agent_errors: z.record(z.string(), z.number()),
  oscillation_rate: z.number(),
  audit_pass_rate: z.number(),
  s3_s4_conflicts: z.number(),
  avg_cycle_iterations: z.number(),
  active_adaptations: z.array(adaptationSchema),
  last_updated: z.string(),
}).loose();

const stored = <T extends z.ZodType>(value: T) => z.object({ version: z.literal(1), value });


const killSwitchSchema = z.object({ engaged: z.boolean(), since: z.string(), by_pid: z.number(), reason: z.string(), source: z.string().optional() });

async function readSetting<T extends z.ZodType>(db: SqlReader, dbFile: string, key: string, schema: T): Promise<z.infer<T> | null> {
  const row = await db.get<{ value: string }>("SELECT value FROM settings WHERE key = ?", [key]);
  if (!row) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(row.value);
  } catch {
    raw = undefined;
  }
  const parsed = stored(schema).safeParse(raw);
  if (!parsed.success) {
    throw new UserError({
      reason: "store_damaged",
      file: dbFile,
      field: `settings.${key}`,
      message: `the stored ${key} is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      fix: "run `viable reset --yes` to start the metrics afresh (the execution log is kept), or restore a backup",
    });
  }
  return (parsed.data as { value: z.infer<T> }).value;
}

export async function readMetrics(db: SqlReader, dbFile: string): Promise<ViabilityMetrics> {
  return ((await readSetting(db, dbFile, METRICS_KEY, metricsSchema)) as ViabilityMetrics | null) ?? initialMetrics();
}

export async function readKillSwitch(db: SqlReader, dbFile: string): Promise<KillSwitch | null> {
  const k = await readSetting(db, dbFile, KILL_SWITCH_KEY, killSwitchSchema);
  return k?.engaged ? k : null;
}

const shadowSwitchSchema = z.object({ off: z.boolean(), since: z.string(), by_pid: z.number(), source: z.string().optional() });

/** `viable shadow off`, when it is in force; null when shadows may run. */
export async function readShadowSwitch(db: SqlReader, dbFile: string): Promise<ShadowSwitch | null> {
  const s = await readSetting(db, dbFile, SHADOW_SWITCH_KEY, shadowSwitchSchema);
  return s?.off ? s : null;
}

/** The journal's epoch: "initial" until the first `viable reset`, then a new value at each. */
export async function readJournalEpoch(db: SqlReader, dbFile: string): Promise<string> {
  return (await readSetting(db, dbFile, JOURNAL_EPOCH_KEY, z.string().min(1))) ?? "initial";
}
