// Seed 001's result types, with its field names: `viable run --json` prints a VSMCycleResult.

export interface AgentResult {
  agent: string;
  success: boolean;
  output: string;
  error: string | null;
  metadata: Record<string, unknown>;
}

export interface CycleConflict {
  type: string;
  [key: string]: unknown;
}

export interface VSMCycleResult {
  task_id: string;
  success: boolean;
  summary: string;
  agents_invoked: string[];
  audit_passed: boolean | null;
  conflicts: CycleConflict[];
  adaptations: Record<string, unknown>[];
  s1_results: AgentResult[];
}
