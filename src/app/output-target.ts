// Where a command writes files the user asked for (`--export-vsm DIR`, `plan export -o FILE`,
// `plan sessions --write DIR`): checked first, so a wrong path is a message naming it and the fix,
// not a stack trace after half the files were written.

import fs from "node:fs";
import path from "node:path";
import { UserError } from "../domain/errors.ts";

/** A directory to write into: made when missing; refused when it is a file (or under one). */
export function outputDirectory(dir: string, field: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError({
      reason: "bad_usage", file: abs, field,
      message: code === "EEXIST" || code === "ENOTDIR" ? "is a file (or lies under one), not a directory" : `cannot be made (${code ?? "error"})`,
      fix: code === "EEXIST" || code === "ENOTDIR" ? "pass a directory, or a path where one can be made" : "pass a directory you can write in",
    });
  }
  if (!fs.statSync(abs).isDirectory()) {
    throw new UserError({ reason: "bad_usage", file: abs, field, message: "is a file, not a directory", fix: "pass a directory, or a path where one can be made" });
  }
  return abs;
}

/** A file to write: its directory must exist, and it must not be a directory itself. */
export function outputFile(file: string, field: string): string {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let parent: fs.Stats | undefined;
  try {
    parent = fs.statSync(dir);
  } catch {
    parent = undefined;
  }
  if (!parent?.isDirectory()) {
    throw new UserError({ reason: "bad_usage", file: abs, field, message: `its directory ${dir} does not exist`, fix: `create it first (mkdir -p ${dir}), or write elsewhere` });
  }
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
    throw new UserError({ reason: "bad_usage", file: abs, field, message: "is a directory", fix: "pass the path of a file" });
  }
  return abs;
}

/**
 * Writes a file the user asked for. A write the checks above could not foresee (no permission, a
 * read-only file system, the directory removed meanwhile) is a message naming the file and the fix.
 */
export function writeOutput(file: string, text: string, field: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    const dir = path.dirname(linkTarget(file) ?? file);
    const fix = code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? `make ${dir} writable for you (or the file, if it exists), or write elsewhere`
      : code === "ENOENT" ? `create ${dir} first (mkdir -p ${dir}), or write elsewhere`
      : code === "ENOSPC" || code === "EDQUOT" ? "free some disk space, or write elsewhere"
      : "write elsewhere";
    throw new UserError({ reason: "bad_usage", file, field, message: `cannot be written (${code}: ${(e as Error).message.replace(/^[A-Z]+: /, "").replace(/, open .*$/, "")})`, fix });
  }
}

/** Where a symbolic link points (the directory that matters when writing through it). */
function linkTarget(file: string): string | undefined {
  try {
    return path.resolve(path.dirname(file), fs.readlinkSync(file));
  } catch {
    return undefined;
  }
}

/** Reads a file the user pointed at; a missing or unreadable one is a message naming it. */
export function readInput(file: string, field: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    const fix = code === "EISDIR" ? "restore the file in its place, or pass the path of a file" : code === "EACCES" || code === "EPERM" ? `make ${file} readable for you` : "restore the file";
    throw new UserError({ reason: "bad_usage", file, field, message: `cannot be read (${code})`, fix });
  }
}
