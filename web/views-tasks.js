// Tasks (one VSM cycle each): the list, and a task's cycle as a vertical timeline of its steps.
import { useState } from "preact/hooks";
import { projectApi } from "./api.js";
import { AgentOutput, AttemptsTable, orderAttempts } from "./attempts.js";
import { link, navigate } from "./router.js";
import { useResource } from "./resource.js";
import { Ago, Badge, brief, clock, Empty, ErrorPanel, html, Json, Loading } from "./ui.js";

export function TasksPage({ project }) {
  const r = useResource(projectApi(project, "/tasks?limit=100"), ["tasks"]);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const tasks = r.data.tasks;
  return html`
    <div class="page">
      <div class="page-head"><div class="title-row"><h1>Tasks</h1><span class="dim">${tasks.length} most recent VSM cycles</span></div></div>
      ${tasks.length === 0
        ? html`<${Empty} title="No tasks yet">Start one with “Run task” above, or <code>viable run "…"</code>.</${Empty}>`
        : html`
          <section class="panel scroll-y">
            <table class="table">
              <thead><tr><th>Task</th><th>Description</th><th>Status</th><th>Complexity</th><th>Agents</th><th>Updated</th></tr></thead>
              <tbody>${tasks.map((t) => html`
                <tr key=${t.id} class="clickable" onClick=${() => navigate(link(project, "tasks", t.id))} data-testid=${`task-row-${t.id}`}>
                  <td class="mono"><a href=${link(project, "tasks", t.id)}>${t.id}</a></td>
                  <td class="wide">${t.description}${t.failure_reason && html`<div class="err-text small">${t.failure_reason}</div>`}</td>
                  <td><${Badge} status=${t.status} /></td>
                  <td>${t.complexity ?? "—"}</td>
                  <td class="dim">${(t.assigned_agents ?? []).join(", ")}</td>
                  <td class="dim nowrap"><${Ago} at=${t.updated_at ?? t.created_at} /></td>
                </tr>`)}</tbody>
            </table>
          </section>`}
    </div>`;
}

// Which VSM system each event belongs to, in cycle order: the timeline groups by these.
const STAGES = [
  { key: "start", label: "Task started", types: ["task_started"] },
  { key: "adapt", label: "Adaptations", types: ["adaptation_applied", "adaptation_cleared"] },
  { key: "s4", label: "S4 · environment scan", types: ["environment_scanned"] },
  { key: "s3", label: "S3 · complexity and allocation", types: ["complexity_assessed", "allocation_made"] },
  { key: "s5", label: "S5 · policy and approval", types: ["approval_requested", "approval_answered", "policy_decision", "conflict_detected"] },
  { key: "s2", label: "S2 · coordination", types: ["coordination_planned"] },
  // An agent going busy and idle is part of its S1 step, not a stage of its own.
  { key: "s1", label: "S1 · agents", types: ["state_changed", "agent_invoked", "agent_completed", "agent_error", "agent_event"] },
  { key: "s3star", label: "S3* · audit", types: ["audit_performed", "oscillation_detected"] },
  { key: "metrics", label: "Metrics", types: ["metrics_updated"] },
  { key: "end", label: "Outcome", types: ["task_completed", "task_failed", "task_interrupted"] },
];
const STAGE_OF = new Map(STAGES.flatMap((s) => s.types.map((t) => [t, s])));

/** Consecutive events of one stage form one timeline step (S1 → S3* → S1 again when audits iterate). */
function stepsOf(events) {
  const steps = [];
  for (const e of events) {
    const stage = STAGE_OF.get(e.event_type) ?? { key: "other", label: e.event_type };
    const last = steps[steps.length - 1];
    if (last && last.stage.key === stage.key) last.events.push(e);
    else steps.push({ stage, events: [e] });
  }
  return steps;
}

function stepTone(step) {
  const types = step.events.map((e) => e.event_type);
  if (types.includes("task_failed") || types.includes("agent_error") || step.events.some((e) => e.data?.passed === false)) return "failed";
  if (types.includes("conflict_detected") || types.includes("oscillation_detected") || types.includes("approval_requested")) return "blocked";
  if (types.includes("agent_invoked") && !types.includes("agent_completed")) return "running";
  return "passed";
}

/** The sentence a step's event reads as (what `viable run -v` prints), else its data in brief. */
function sentence(e) {
  const d = e.data ?? {};
  const list = (v) => (Array.isArray(v) ? v.join(", ") : "");
  switch (e.event_type) {
    case "task_started": return d.description ?? "started";
    case "adaptation_applied": return `${d.type} (${d.trigger ?? "?"})`;
    case "environment_scanned": return d.analysis ?? brief(d);
    case "complexity_assessed": return `${d.complexity ?? d.level ?? "?"}${typeof d.confidence === "number" ? ` (confidence ${d.confidence.toFixed(2)})` : ""}`;
    case "allocation_made": return `${d.complexity ?? ""} → ${list(d.selected_agents)}${d.execution_mode ? ` [${d.execution_mode}]` : ""}`;
    case "approval_requested": return d.question ?? "approval requested";
    case "policy_decision": return `${d.decision ?? ""}${d.by ? ` by ${d.by}` : ""}${d.reason ? `: ${d.reason}` : ""}`;
    case "coordination_planned": return Array.isArray(d.groups) ? d.groups.map((g) => (Array.isArray(g) ? g.join(" + ") : g)).join(" → ") : brief(d);
    case "agent_invoked": return `${e.agent ?? ""} started (${d.runtime ?? "?"}${d.model ? `, ${d.model}` : ""})`;
    case "agent_completed": case "agent_error": return `${e.agent ?? ""} ${d.status ?? (e.event_type === "agent_error" ? "failed" : "done")}: ${d.summary ?? d.error ?? ""}`;
    case "audit_performed": return `audit ${d.passed ? "passed" : "failed"}${typeof d.score === "number" ? ` (score ${d.score.toFixed(2)})` : ""}`;
    case "conflict_detected": return `complexity disagreement: S3 ${d.s3 ?? "?"}, S4 ${d.s4 ?? "?"}`;
    case "task_completed": return d.summary ?? "completed";
    case "task_failed": return d.reason ?? d.error ?? "failed";
    default: return brief(d);
  }
}

// The summary gives lists (agents invoked, audits) where a count is shown.
const count = (v) => (Array.isArray(v) ? v.length : v ?? 0);

export function TaskPage({ project, taskId, query }) {
  const r = useResource(projectApi(project, `/tasks/${encodeURIComponent(taskId)}`), [`task:${taskId}`]);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const { task, summary = {}, steps: events = [], attempts = [] } = r.data;
  const steps = stepsOf(events);
  const { ordered, selected } = orderAttempts(attempts, query.attempt);
  const failedAudits = Array.isArray(summary.audits) ? summary.audits.filter((a) => !a.passed).length : 0;
  return html`
    <div class="page task-page">
      <div class="page-head">
        <div class="crumbs"><a href=${link(project, "tasks")}>Tasks</a><span>/</span><span class="mono">${task.id}</span></div>
        <div class="title-row"><h1>${task.description}</h1><${Badge} status=${summary.status ?? task.status} /></div>
        <div class="stats-row">
          <span><b>${task.complexity ?? "—"}</b> complexity</span>
          <span title=${Array.isArray(summary.agents_invoked) ? summary.agents_invoked.join(", ") : ""}><b>${count(summary.agents_invoked)}</b> agents invoked</span>
          <span><b>${count(summary.audits)}</b> audits${failedAudits ? html` <span class="err-text">(${failedAudits} failed)</span>` : ""}</span>
          <span><b>${summary.conflicts ?? 0}</b> conflicts</span>
          <span><b>${summary.oscillations ?? 0}</b> oscillations</span>
          <span><b>${summary.event_count ?? events.length}</b> events</span>
          <span class="dim">started <${Ago} at=${task.created_at} /></span>
        </div>
        ${task.failure_reason && html`<div class="notice error"><b>Failed:</b> ${task.failure_reason}</div>`}
      </div>
      <div class=${`task-body ${ordered.length ? "" : "single"}`}>
        <section class="panel scroll-y">
          ${steps.length === 0 ? html`<${Empty} title="No steps recorded" />` : html`
            <ol class="timeline">${steps.map((s, i) => html`<${Step} key=${i} step=${s} tone=${stepTone(s)} />`)}</ol>`}
        </section>
        ${selected && html`
          <div class="task-side">
            <section class="panel attempts-panel">
              <${AttemptsTable} attempts=${ordered} selected=${selected} onPick=${(a) => navigate(link(project, "tasks", taskId, { attempt: String(a.id) }))} />
            </section>
            <section class="panel tab-panel">
              <div class="panel-title">Output <span class="dim">${selected.agent} · ${selected.runtime}</span></div>
              <${AgentOutput} key=${selected.id} attempt=${selected} />
            </section>
          </div>`}
      </div>
    </div>`;
}

function Step({ step, tone }) {
  const [open, setOpen] = useState(null);
  const first = step.events[0];
  return html`
    <li class=${`step t-${tone}`} data-testid=${`step-${step.stage.key}`}>
      <span class="step-dot"></span>
      <div class="step-head">
        <span class="step-label">${step.stage.label}</span>
        <span class="dim mono">${clock(first.timestamp)}</span>
        ${step.events.length > 1 && html`<span class="dim">${step.events.length} events</span>`}
      </div>
      <ul class="step-events">
        ${step.events.map((e) => html`
          <li key=${e.id}>
            <button class=${`step-event ${open === e.id ? "on" : ""}`} onClick=${() => setOpen(open === e.id ? null : e.id)}>
              <span class="caret">${open === e.id ? "▾" : "▸"}</span>
              <span class="etype">${e.event_type}</span>
              <span class="step-text">${sentence(e)}</span>
            </button>
            ${open === e.id && html`<${Json} value=${e.data} />`}
          </li>`)}
      </ul>
    </li>`;
}
