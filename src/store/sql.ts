// How the named queries read, whichever database answers: SQLite in the process (node:sqlite) or
// Postgres on a server (pg). The SQL is written once, with `?` placeholders and the few spellings
// the two differ on (JSON fields) asked of the dialect; each reader maps the rest.

export type SqlValue = string | number | bigint | null | Uint8Array;

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** A JSON text column's field at `path`, as text (null when absent). */
  jsonText(column: string, path: readonly string[]): string;
  /** A JSON text column's field at `path`, as a number (null when absent). */
  jsonNumber(column: string, path: readonly string[]): string;
}

export interface SqlReader {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  jsonText: (column, path) => `json_extract(${column}, '$.${path.join(".")}')`,
  jsonNumber: (column, path) => `json_extract(${column}, '$.${path.join(".")}')`,
};

export const postgresDialect: Dialect = {
  name: "postgres",
  // json, not jsonb: jsonb refuses text holding \u0000, which a transcript's excerpt may.
  jsonText: (column, path) => `((${column})::json #>> '{${path.join(",")}}')`,
  jsonNumber: (column, path) => `((${column})::json #>> '{${path.join(",")}}')::double precision`,
};
