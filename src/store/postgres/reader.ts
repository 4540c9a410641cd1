// The named queries' reads on Postgres (the SqlReader of ../sql.ts): the shared SQL with `?` made
// `$n`, SQLite's rowid column (postgresDdl adds it for ordering) left out of the rows, and a read
// that meets a lost connection tried again while the server comes back.

import type pg from "pg";
import { postgresDialect, type SqlReader, type SqlValue } from "../sql.ts";
import { numberedPlaceholders, whileReachable } from "./connection.ts";

export function postgresReader(pool: pg.Pool, patienceMs: number): SqlReader {
  const texts = new Map<string, string>();
  const all = async <T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> => {
    let text = texts.get(sql);
    if (text === undefined) texts.set(sql, (text = numberedPlaceholders(sql)));
    const r = await whileReachable(() => pool.query(text, params as unknown[]), patienceMs);
    for (const row of r.rows as Record<string, unknown>[]) delete row.rowid;
    return r.rows as T[];
  };
  return {
    dialect: postgresDialect,
    all,
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await all<T>(sql, params))[0],
  };
}
