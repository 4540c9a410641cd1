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
  {
    version: 2,
    description: "plans: items with their loop state, seed 004's session log",
    sql: `
      -- The plan \`viable loop\` works: one per project; a re-import replaces the definition and keeps results.
      CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        format TEXT NOT NULL,
        source_file TEXT NOT NULL,
        -- The file as imported, so Task Master and beads exports can be written even if it moved.
        source_text TEXT,
        integration_branch TEXT,
        imported_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- One row per item: its definition (JSON, as imported) and the loop's state of it.
      CREATE TABLE plan_items (
        plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        definition TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','running','passed','blocked','failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        blocked_reason TEXT,
        -- Where a running item is: workspace | agents | verifying | queued | merging.
        phase TEXT,
        branch TEXT,
        base_commit TEXT,
        merged_commit TEXT,
        last_error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (plan_id, id)
      );
      CREATE UNIQUE INDEX plan_items_seq ON plan_items(plan_id, seq);

      -- Seed 004's session log: one session per attempt at an item.
      CREATE TABLE plan_sessions (
        plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
        session INTEGER NOT NULL,
        timestamp TEXT NOT NULL,
        feature TEXT NOT NULL,
        success INTEGER NOT NULL,
        elapsed_seconds REAL NOT NULL,
        error TEXT,
        attempt_id TEXT,
        run_id TEXT,
        PRIMARY KEY (plan_id, session)
      );
    `,
  },
  {
    version: 3,
    description: "index tasks by creation time (the current task is the newest)",
    sql: `CREATE INDEX tasks_created ON tasks(created_at);`,
  },
  {
    version: 4,
    description: "the Task Master tag a plan was imported from",
    sql: `ALTER TABLE plans ADD COLUMN source_tag TEXT;`,
  },
  {
    version: 5,
    description: "S5 approvals: asked by a writer, answered at its terminal or from elsewhere (the dashboard)",
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        task_id TEXT,
        item_id TEXT,
        subject TEXT NOT NULL,
        question TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        requested_by_pid INTEGER,
        status TEXT NOT NULL DEFAULT 'pending',
        answered_by TEXT,
        answered_at TEXT,
        comment TEXT
      );
      CREATE INDEX approvals_status ON approvals(status, requested_at);
    `,
  },
  {
    version: 6,
    description: "take-overs: a person working an item's agent session in tmux (`viable attach`)",
    sql: `
      CREATE TABLE takeovers (
        id TEXT PRIMARY KEY,
        item_id TEXT NOT NULL,
        attempt_id TEXT,
        runtime TEXT NOT NULL,
        session TEXT,
        tmux_socket TEXT NOT NULL,
        tmux_session TEXT NOT NULL,
        by_user TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL DEFAULT 'active'
      );
      CREATE INDEX takeovers_item ON takeovers(item_id, started_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
