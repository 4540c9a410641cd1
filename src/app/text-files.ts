// Files people also edit (a CLI's config, Viable's own): read with a clear error when they cannot
// be, and written whole or not at all.

import fs from "node:fs";
import path from "node:path";
import { UserError } from "../domain/errors.ts";

/** The file's text; null when there is none. */
export function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UserError({ reason: "bad_config", file, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`, fix: "make it readable, or move it away" });
  }
}

/** A JSON object file ({} when there is none); `command` is what to run again once it is fixed. */
export function readJsonObject(file: string, command: string): Record<string, unknown> {
  const text = readText(file);
  if (text === null || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError({ reason: "bad_config", file, message: `is not valid JSON: ${(e as Error).message}`, fix: `fix the file (or move it away) and run ${command} again` });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UserError({ reason: "bad_config", file, message: "is not a JSON object", fix: "fix the file (or move it away)" });
  return value as Record<string, unknown>;
}

/** Whole or not at all: the file is written aside and renamed over the old one. */
export function writeAtomically(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const aside = `${file}.viable-${process.pid}.tmp`;
    fs.writeFileSync(aside, text);
    fs.renameSync(aside, file);
  } catch (e) {
    throw new UserError({ reason: "bad_directory", file, message: `cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`, fix: "make it writable, or pass -d to another project" });
  }
}
