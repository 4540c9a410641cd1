// Versioned schema. Each migration runs once, in order, inside a transaction; the version lives in
// `PRAGMA user_version`. Never edit a shipped migration: add the next one.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "execution log, tasks, attempts, metrics, settings",
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT NOT NULL,
        event_type TEXT NOT NULL,
        task_id TEXT,
        agent TEXT,
        data TEXT NOT NULL,
        session_id TEXT NOT NULL
      );
      CREATE INDEX events_task ON events(task_id, id);
      CREATE INDEX events_session ON events(session_id, id);

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','in_progress','completed','failed')),
        complexity TEXT NOT NULL DEFAULT 'unknown',
        assigned_agents TEXT NOT NULL DEFAULT '[]',
        metadata TEXT NOT NULL DEFAULT '{}',
        session_id TEXT NOT NULL,
        owner_pid INTEGER,
        failure_reason TEXT
      );
      CREATE INDEX tasks_status ON tasks(status);

      CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        item_id TEXT,
        agent TEXT NOT NULL,
        runtime TEXT NOT NULL,
        attempt_no INTEGER NOT NULL,
        status TEXT NOT NULL,
        pid INTEGER,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT,
        transcript_path TEXT
      );
      CREATE INDEX attempts_task ON attempts(task_id);
      CREATE INDEX attempts_running ON attempts(status) WHERE status = 'running';

      -- One row per task: the S3 allocation and the S4 scan, for \`viable state\` and the VSM export.
      CREATE TABLE task_analysis (
        task_id TEXT PRIMARY KEY,
        s3_allocation TEXT,
        s4_environment TEXT
      );

      -- Content hashes of files after each agent, for oscillation detection across cycles.
      CREATE TABLE file_versions (
        task_id TEXT NOT NULL,
        path TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        agent TEXT NOT NULL,
        PRIMARY KEY (task_id, path, seq)
      );

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
