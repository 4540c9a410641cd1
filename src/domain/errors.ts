// Failures a user can cause (bad input, bad files, a refused operation) are `UserError`s: they carry
// a reason tag, the file and field involved when there is one, and the fix. The CLI turns them into
// exit code 2 with the message; anything else is a bug and is reported as such.

export type UserErrorReason =
  | "bad_usage"
  | "bad_directory"
  | "not_a_git_repository"
  | "bad_config"
  | "bad_agent_file"
  | "unknown_agent"
  | "unknown_runtime"
  | "bad_plan"
  | "store_locked"
  | "store_newer_schema"
  | "store_damaged"
  /** The Postgres store (store.url) cannot be reached or refuses the login. */
  | "store_unreachable"
  | "approval_required"
  | "kill_switch"
  | "dirty_worktree"
  | "not_found"
  /** The project has no imported plan (yet). */
  | "no_plan"
  /** The thing exists but is not in a state that allows it (an approval already answered). */
  | "conflict";

export interface UserErrorDetails {
  reason: UserErrorReason;
  /** What went wrong, in one sentence. */
  message: string;
  /** The file involved, when there is one. */
  file?: string;
  /** The field (or line) in that file. */
  field?: string;
  /** What the user should do about it. */
  fix?: string;
}

export class UserError extends Error {
  readonly reason: UserErrorReason;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly fix: string | undefined;
  /** The one sentence of what went wrong, without the file, field and fix the message adds. */
  readonly summary: string;

  constructor(details: UserErrorDetails) {
    super(formatUserError(details));
    this.summary = details.message;
    this.name = "UserError";
    this.reason = details.reason;
    this.file = details.file;
    this.field = details.field;
    this.fix = details.fix;
  }
}

export function formatUserError(d: UserErrorDetails): string {
  const where = d.file ? `${d.file}${d.field ? ` (${d.field})` : ""}: ` : d.field ? `${d.field}: ` : "";
  return `${where}${d.message}${d.fix ? `\n  fix: ${d.fix}` : ""}`;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** What every command that needs the project's plan says when there is none. */
export function noPlanImported(): UserError {
  return new UserError({ reason: "no_plan", message: "no plan has been imported into this project", fix: "run `viable plan import FILE` (a feature_list.json, a Task Master tasks.json or a beads .jsonl)" });
}

/** For exhaustive switches: the compiler proves this is never reached. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What an aborted signal says about why: its reason's message, or `fallback`. */
export function abortReason(signal: AbortSignal, fallback = "cancelled"): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === "string" ? r : fallback;
}

/**
 * Recording a state change failed (a full disk: SQLITE_FULL, or a size limit). Nothing of that batch
 * was recorded and nothing after it is accepted; everything recorded before it is intact.
 */
export class CommitFailed extends Error {
  readonly code: string | undefined;
  readonly diskFull: boolean;
  readonly file: string;
  constructor(file: string, message: string, code: string | undefined, errcode: number | undefined) {
    // 13 is SQLITE_FULL: the disk, or the database's size limit.
    const diskFull = errcode === 13;
    super(diskFull
      ? `the disk is full (or ${file} reached its size limit): the last state changes could not be recorded (${message}); everything recorded before them is intact`
      : `recording to ${file} failed: ${message}; everything recorded before is intact`);
    this.name = "CommitFailed";
    this.code = code;
    this.diskFull = diskFull;
    this.file = file;
  }

  /** What the user can do about it. */
  get fix(): string {
    return this.diskFull ? "free disk space (or raise the limit), then run the command again: it continues from what was recorded" : `check that ${this.file} can be written, then run the command again`;
  }
}
