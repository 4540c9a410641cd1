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
  "kill_switch",
  "metrics_updated",
  "orphans_reaped",
  "task_interrupted",
  // plan loop (seed 004)
  "plan_imported",
  "item_status",
  "item_started",
  "item_verified",
  "item_merged",
  "item_blocked",
  "session_recorded",
] as const;

export type SeedEventType = (typeof SEED_EVENT_TYPES)[number];
export type EventType = SeedEventType | (typeof VIABLE_EVENT_TYPES)[number];
export const EVENT_TYPES: readonly EventType[] = [...SEED_EVENT_TYPES, ...VIABLE_EVENT_TYPES];

/** Seed 001's LogEntry, field for field. `id` is the store's sequence number. */
export interface LogEntry {
  id: number;
  timestamp: string;
  event_type: EventType;
  task_id: string | null;
  agent: string | null;
  data: Record<string, unknown>;
  session_id: string;
}
