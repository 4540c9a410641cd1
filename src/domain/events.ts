// The execution log's event types: seed 001's thirteen, then what Viable's loop adds.

export const SEED_EVENT_TYPES = [
  "task_started",
  "task_completed",
  "task_failed",
  "agent_invoked",
  "agent_completed",
  "agent_error",
  "state_changed",
  "allocation_made",
  "audit_performed",
  "conflict_detected",
  "policy_decision",
  "adaptation_applied",
  "oscillation_detected",
] as const;

export const VIABLE_EVENT_TYPES = [
  "adaptation_cleared",
  "environment_scanned",
  "complexity_assessed",
  "coordination_planned",
  "agent_event",
  "approval_requested",
  "approval_answered",
  /** A tool request an agent brought to Viable (permissions): what, the decision, and who made it. */
  "permission_decided",
  /** An action taken from outside the writer (the dashboard): what, and where it came from. */
  "control_action",
  "kill_switch",
  "shadow_switch",
  "metrics_updated",
  "orphans_reaped",
  "task_interrupted",
  // plan loop (seed 004)
  "plan_imported",
  "loop_started",
  "loop_reconciled",
  "loop_note",
  "item_status",
  "item_started",
  "item_verified",
  "item_passed",
  "item_failed",
  "item_blocked",
  "item_waiting",
  "item_taken_over",
  "item_handed_back",
  "item_answered",
  "planning_step_done",
  "planning_redo",
  "item_conflict_resolved",
  /** Written by Viable 0.1 when an item merged; item_passed since. */
  "item_merged",
  "session_recorded",
  "failure_streak",
  "loop_paused",
  "item_candidate_finished",
  "item_candidates_evaluated",
  "item_shadow_compared",
  "loop_resumed",
  "loop_finished",
] as const;

export type SeedEventType = (typeof SEED_EVENT_TYPES)[number];
export type EventType = SeedEventType | (typeof VIABLE_EVENT_TYPES)[number];
export const EVENT_TYPES: readonly EventType[] = [...SEED_EVENT_TYPES, ...VIABLE_EVENT_TYPES];

/** An event as the engine records it; the journal stamps it with the time and the session. */
export interface NewEvent {
  event_type: EventType;
  task_id?: string | null;
  agent?: string | null;
  data?: Record<string, unknown>;
}

/**
 * Seed 001's LogEntry, field for field. `id` is the journal's sequence number: it increases with
 * every committed event, so a reader that has seen N asks for what came after N.
 */
export interface LogEntry {
  id: number;
  timestamp: string;
  event_type: EventType;
  task_id: string | null;
  agent: string | null;
  data: Record<string, unknown>;
  session_id: string;
}
