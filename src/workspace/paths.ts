// Where Viable keeps things inside a project. `.viable/` is people's (versioned);
// `.viable/state/` is Viable's own (git-ignored).

import path from "node:path";

export interface ProjectPaths {
  root: string;
  viableDir: string;
  configFile: string;
  agentsDir: string;
  claudeAgentsDir: string;
  stateDir: string;
  database: string;
  lockFile: string;
  transcriptsDir: string;
  worktreesDir: string;
  /** Presence files of processes that can answer a writer's questions (`viable serve`). */
  watchersDir: string;
}

export function projectPaths(root: string): ProjectPaths {
  const viableDir = path.join(root, ".viable");
  const stateDir = path.join(viableDir, "state");
  return {
    root,
    viableDir,
    configFile: path.join(viableDir, "config.json"),
    agentsDir: path.join(viableDir, "agents"),
    claudeAgentsDir: path.join(root, ".claude", "agents"),
    stateDir,
    database: path.join(stateDir, "viable.db"),
    lockFile: path.join(stateDir, "writer.lock"),
    transcriptsDir: path.join(stateDir, "transcripts"),
    worktreesDir: path.join(stateDir, "worktrees"),
    watchersDir: path.join(stateDir, "watchers"),
  };
}

/** Where an attempt's output is kept. */
export function attemptTranscriptPath(paths: Pick<ProjectPaths, "transcriptsDir">, attemptId: string): string {
  return path.join(paths.transcriptsDir, `${attemptId}.log`);
}
