// Errors as the API answers them: the CLI's reason, message and fix as JSON, with the HTTP status a
// client acts on. Anything that is not a user's mistake is the server's fault (500), said without a
// stack trace, which goes to the server's terminal instead.

import { CommitFailed, isUserError, UserError, type UserErrorReason } from "../domain/errors.ts";

export interface ApiError {
  reason: string;
  message: string;
  fix: string | null;
  file?: string;
  field?: string;
}

const STATUS: Partial<Record<UserErrorReason, number>> = {
  not_found: 404,
  no_plan: 404,
  conflict: 409,
  store_locked: 409,
  kill_switch: 409,
  dirty_worktree: 409,
  approval_required: 409,
  store_damaged: 503,
  store_newer_schema: 503,
};

/** The one shape of an error body. */
export function errorBody(reason: string, message: string, fix: string | null, where: { file?: string | undefined; field?: string | undefined } = {}): { error: ApiError } {
  return { error: { reason, message, fix, ...(where.file ? { file: where.file } : {}), ...(where.field ? { field: where.field } : {}) } };
}

export function errorResponse(e: unknown, log: (line: string) => void): { status: number; body: { error: ApiError } } {
  if (isUserError(e)) {
    return {
      status: STATUS[e.reason] ?? 400,
      body: errorBody(e.reason, e.summary, e.fix ?? null, e),
    };
  }
  if (e instanceof CommitFailed) return { status: 503, body: errorBody("commit_failed", e.message, e.fix) };
  log(`viable serve: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return { status: 500, body: errorBody("server_error", e instanceof Error ? e.message : String(e), "see the terminal running `viable serve`, and report it") };
}

/** A request the API cannot take: what is wrong with it, by field. */
export function badRequest(field: string, message: string, fix: string): UserError {
  return new UserError({ reason: "bad_usage", field, message, fix });
}
