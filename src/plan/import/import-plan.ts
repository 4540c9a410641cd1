// The one entry point for reading and writing plan files in any supported format.

import { UserError } from "../../domain/errors.ts";
import type { Plan, PlanFormat } from "../plan.ts";
import { exportBeads, importBeads } from "./beads.ts";
import { exportFeatureList, importFeatureListData } from "./feature-list.ts";
import type { ImportedPlan } from "./imported-plan.ts";
import { parseJsonFile } from "./json-text.ts";
import { sniffFormat } from "./sniff.ts";
import { exportTaskMaster, importTaskMasterData } from "./taskmaster.ts";

export interface ImportOptions {
  /** Skip detection. */
  format?: PlanFormat;
  /** Task Master's tagged files: which tag. */
  tag?: string;
}

export function importPlan(text: string, file: string, options: ImportOptions = {}): ImportedPlan {
  const sniffed =
    options.format === undefined
      ? sniffFormat(text, file)
      : options.format === "beads"
        ? { format: "beads" as const }
        : { format: options.format, data: parseJsonFile(text, file) };
  if (options.tag !== undefined && sniffed.format !== "taskmaster") refuseTag(file, sniffed.format);
  switch (sniffed.format) {
    case "beads":
      return importBeads(text, file);
    case "feature-list":
      return importFeatureListData(sniffed.data, file);
    case "taskmaster":
      return importTaskMasterData(sniffed.data, file, options.tag === undefined ? {} : { tag: options.tag });
  }
}

export interface ExportOptions {
  tag?: string;
  /** For formats that timestamp changes (beads); ISO 8601. Default: now. */
  now?: string;
}

/**
 * The original file with the plan's results written back into it, in the plan's source format.
 * `original` is the file's current text; unknown fields in it are preserved.
 */
export function exportPlan(plan: Plan, original: string | undefined, options: ExportOptions = {}): string {
  const format = plan.source.format;
  if (options.tag !== undefined && format !== "taskmaster") refuseTag(plan.source.file, format);
  if (format === "feature-list") return exportFeatureList(plan, original);
  if (original === undefined) {
    throw new UserError({
      reason: "bad_plan",
      message: `exporting to ${format} needs the original file, to keep everything in it that Viable does not track`,
      file: plan.source.file,
      fix: "restore the file the plan was imported from, then export again",
    });
  }
  if (format === "taskmaster") return exportTaskMaster(plan, original, options.tag === undefined ? {} : { tag: options.tag });
  return exportBeads(plan, original, { now: options.now ?? new Date().toISOString() });
}

/** Only Task Master files have tags: a --tag on another format is a mistake, not something to ignore. */
function refuseTag(file: string, format: PlanFormat): never {
  throw new UserError({ reason: "bad_usage", file, field: "--tag", message: `only Task Master files have tags; this is a ${format === "beads" ? "beads export" : "feature list"}`, fix: "leave out --tag" });
}
