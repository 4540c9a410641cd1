// Connecting to the Postgres store: a pool whose numbers come back as numbers (Viable's sequence
// numbers and counts are far below 2^53), the server named without its password in every message,
// and the errors that mean "the server went away" told apart from the ones that mean "this SQL is
// wrong" — by SQLSTATE class and socket error code, never by message text.

import pg from "pg";
import { UserError, errorMessage } from "../../domain/errors.ts";

/** The URL with its password replaced: for messages, logs and `viable doctor`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable postgres URL)";
  }
}

const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    // int8 (count(*), bigserial) and numeric (sum over bigint) as numbers.
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format ?? "text") as (v: string) => unknown;
  },
};

export interface PoolOptions {
  max?: number;
  /** application_name: shows in pg_stat_activity which Viable process holds a connection. */
  name: string;
}

/**
 * A session that went quiet inside a transaction — its machine cut off between BEGIN and COMMIT —
 * would hold the journal's lock and stall every other machine's commits until TCP gave up (hours):
 * the server ends it after this long instead, and its batch is retried once it is back.
 */
const SESSION_OPTIONS = "-c idle_in_transaction_session_timeout=20000";

export function createPool(url: string, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url, max: options.max ?? 4, types, application_name: options.name, options: SESSION_OPTIONS,
    connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client whose server went away emits here; the pool drops it and opens a new one.
  pool.on("error", () => {});
  return pool;
}

export function createClient(url: string, name: string): pg.Client {
  return new pg.Client({ connectionString: url, types, application_name: name, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
}

/** Socket errors that mean the server is not there (or no longer). */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ENOENT"]);

/**
 * Whether `e` says the connection or the server is gone (or not there yet) rather than that the
 * statement was refused: a restart, a network cut, a server still starting up.
 */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  // SQLSTATE 08 connection exception, 57P01-03 admin/crash shutdown and cannot-connect-now,
  // 53300 too many connections; and the socket's own errors.
  if (typeof code === "string") return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300" || SOCKET_CODES.has(code);
  // node-postgres's own errors for a connection that ended or never came carry no code; a server's
  // answer always has a severity.
  return !("severity" in e) && CLIENT_SIDE.has(e.message);
}

/** node-postgres's messages for a connection lost or not made (they carry no code to go by). */
const CLIENT_SIDE = new Set([
  "Connection terminated unexpectedly", "Connection terminated", "Client has encountered a connection error and is not queryable",
  "timeout exceeded when trying to connect", "Connection terminated due to connection timeout", "Client was closed and is not queryable",
]);

/** What users see when the store's server cannot be reached: the server and what to check. */
export function unreachable(url: string, e: unknown): UserError {
  const code = (e as { code?: unknown }).code;
  const login = code === "28P01" || code === "28000";
  const noDatabase = code === "3D000";
  return new UserError({
    reason: "store_unreachable",
    file: redactUrl(url),
    message: `${login ? "the Postgres server refused the login" : noDatabase ? "the database does not exist" : "cannot reach the Postgres store"}: ${errorMessage(e) || (typeof code === "string" ? code : "no answer")}`,
    fix: login ? "check the user and password in store.url (or VIABLE_DATABASE_URL)"
      : noDatabase ? "create it (createdb NAME) or fix the database name in store.url (or VIABLE_DATABASE_URL)"
        : "start the server, or fix store.url in .viable/config.json (or VIABLE_DATABASE_URL); `viable doctor` checks the connection",
  });
}

/**
 * Runs `fn` again while the server is away — a restart, a short network cut — for up to `patienceMs`,
 * then gives up with the last error. Only for statements that can safely run twice.
 */
export async function whileReachable<T>(fn: () => Promise<T>, patienceMs: number, signal?: AbortSignal): Promise<T> {
  const started = performance.now();
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn();
    } catch (e) {
      if (!isConnectionError(e) || performance.now() - started > patienceMs || signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** `?` placeholders (the SQL shared with SQLite) as Postgres's `$n`, outside quoted text. */
export function numberedPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
