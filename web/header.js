// The header: project switcher, page tabs, live indicator and the project's controls (run a task,
// start/stop the loop, the kill switch); the kill-switch banner; the footer status line.
import { useState } from "preact/hooks";
import { act, projectApi } from "./api.js";
import { link, navigate } from "./router.js";
import { useStore } from "./store.js";
import { live, publish } from "./stream.js";
import { Ago, html, Modal, usd } from "./ui.js";

const TABS = [["plan", "Plan"], ["tasks", "Tasks"], ["metrics", "Metrics"], ["cost", "Cost"], ["approvals", "Approvals"], ["events", "Events"]];

// A job's holder shows up in the project a moment after the POST: look again shortly.
const refreshProject = () => {
  publish(["project", "plan"]);
  setTimeout(() => publish(["project"]), 1200);
};

export function Header({ route, projects, current }) {
  const [modal, setModal] = useState(null);
  const list = projects.data?.projects ?? [];
  const page = route.page === "items" ? "plan" : route.page;
  const holder = current?.holder ?? null;
  const loopRunning = holder?.command === "loop";

  const switchProject = (id) => navigate(id ? link(id, route.project ? page : "plan") : "#/");
  const startLoop = async () => {
    if (await act(projectApi(current.id, "/loop"), { ok: "Loop started" })) refreshProject();
  };
  const stopLoop = async () => {
    if (await act(projectApi(current.id, "/loop/stop"), { ok: "Asked the loop to stop; running attempts finish their step first" })) refreshProject();
  };

  return html`
    <header class="header">
      <div class="bar">
        <a class="brand" href="#/"><span class="logo">V</span>Viable</a>
        <select class="input project-select" value=${route.project ?? ""} onChange=${(e) => switchProject(e.currentTarget.value)} data-testid="project-switcher" aria-label="Project">
          <option value="">All projects</option>
          ${list.map((p) => html`<option value=${p.id}>${p.name}${p.kill_switch ? " (killed)" : ""}</option>`)}
        </select>
        ${current && html`<span class="root mono" title=${current.root}>${current.root}</span>`}
        <span class="grow"></span>
        <${LiveIndicator} />
        ${current && html`
          <button class="btn" onClick=${() => setModal("task")} disabled=${!!holder} title=${holder ? `${holder.command} (pid ${holder.pid}) is working on this project` : "Run one VSM cycle on a task"} data-testid="run-task">Run task</button>
          ${loopRunning
            ? html`<button class="btn" onClick=${stopLoop} data-testid="stop-loop" title=${`loop pid ${holder.pid}`}><span class="sq"></span>Stop loop</button>`
            : html`<button class="btn primary" onClick=${startLoop} data-testid="start-loop"
                disabled=${!!holder || !!current.kill_switch || !current.plan}
                title=${current.kill_switch ? "Release the kill switch first" : holder ? `${holder.command} (pid ${holder.pid}) is working on this project` : !current.plan ? "Import a plan first" : "Work the plan's items with agents"}>▶ Start loop</button>`}
          <button class="btn kill" onClick=${() => setModal("kill")} disabled=${!!current.kill_switch} data-testid="kill-switch"
            title="Stop every running attempt now and refuse new ones">${current.kill_switch ? "Kill switch on" : "Kill switch"}</button>`}
      </div>
      ${current && html`
        <nav class="tabs">
          ${TABS.map(([key, label]) => html`
            <a class=${page === key ? "on" : ""} href=${link(current.id, key)} data-testid=${`tab-${key}`}>
              ${label}${key === "approvals" && current.pending_approvals > 0 && html`<span class="badge-count" data-testid="approvals-badge">${current.pending_approvals}</span>`}
            </a>`)}
          <span class="grow"></span>
          <span class="tabs-info">
            ${holder ? html`<span class="pulse-dot"></span><b>${holder.command}</b> pid ${holder.pid} · since <${Ago} at=${holder.since} />` : html`<span class="dim">idle</span>`}
            <span class="sep"></span>${current.running_attempts} running · ${usd(current.cost_usd)}
          </span>
        </nav>`}
      ${current?.kill_switch && html`<${KillBanner} project=${current} />`}
      ${(current?.warnings ?? []).map((w) => html`<div class="banner warn">⚠ ${w}</div>`)}
      ${modal === "kill" && html`<${KillSwitchModal} project=${current} onClose=${() => setModal(null)} />`}
      ${modal === "task" && html`<${RunTaskModal} project=${current} onClose=${() => setModal(null)} />`}
    </header>`;
}

function LiveIndicator() {
  const s = useStore(live);
  const label = !s.project ? "Polling" : s.state === "open" ? "Live" : s.state === "connecting" ? (s.opened ? "Reconnecting…" : "Connecting…") : "Offline";
  const title = !s.project ? "The overview refreshes every 10 s; a project's pages update live" : `Event stream: ${s.state}${s.attempt ? ` (following attempt ${s.attempt})` : ""}`;
  return html`<span class=${`live ${s.state} ${s.project ? "" : "idle"}`} data-testid="live" data-state=${s.state} title=${title}><i></i>${label}</span>`;
}

function KillBanner({ project }) {
  const k = project.kill_switch;
  const release = async () => {
    if (await act(projectApi(project.id, "/kill-switch"), { method: "DELETE", ok: "Kill switch released: new attempts may start" })) publish(["project"]);
  };
  return html`
    <div class="banner kill" role="alert" data-testid="kill-banner">
      <b>Kill switch engaged</b>
      <span>since <${Ago} at=${k.since} />${k.by ? ` by ${k.by}` : ""}${k.reason ? html` — “${k.reason}”` : ""}. Running attempts were stopped and no new one starts.</span>
      <span class="grow"></span>
      <button class="btn" onClick=${release} data-testid="release-kill-switch">Release</button>
    </div>`;
}

function KillSwitchModal({ project, onClose }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const engage = async (e) => {
    e.preventDefault();
    setBusy(true);
    const body = reason.trim() ? { reason: reason.trim() } : {};
    const r = await act(projectApi(project.id, "/kill-switch"), { body, ok: (res) => `Kill switch engaged: ${res?.running_attempts ?? 0} running attempt(s) stopped` });
    setBusy(false);
    if (r) { publish(["project", "plan"]); onClose(); }
  };
  return html`
    <${Modal} title="Engage the kill switch?" onClose=${onClose} danger=${true}>
      <form onSubmit=${engage}>
        <p>Every running attempt of <b>${project.name}</b> is stopped now (${project.running_attempts} running), and no new attempt starts until the switch is released.</p>
        <label class="field"><span>Reason</span>
          <input class="input" placeholder="e.g. agents are rewriting the wrong module" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} data-testid="kill-switch-reason" />
        </label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick=${onClose}>Cancel</button>
          <button type="submit" class="btn kill solid" disabled=${busy} data-testid="confirm-kill-switch">Stop everything</button>
        </div>
      </form>
    </${Modal}>`;
}

function RunTaskModal({ project, onClose }) {
  const [description, setDescription] = useState("");
  const [autoApprove, setAutoApprove] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!description.trim()) return;
    setBusy(true);
    const r = await act(projectApi(project.id, "/tasks"), { body: { description: description.trim(), auto_approve: autoApprove }, ok: "Task started: it shows up under Tasks" });
    setBusy(false);
    if (r) { refreshProject(); publish(["tasks"]); onClose(); }
  };
  return html`
    <${Modal} title="Run a task" onClose=${onClose}>
      <form onSubmit=${submit}>
        <label class="field"><span>What should the agents do?</span>
          <textarea class="input" rows="5" placeholder="Add a greeting function with tests" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} data-testid="task-description"></textarea>
        </label>
        <label class="check"><input type="checkbox" checked=${autoApprove} onChange=${(e) => setAutoApprove(e.currentTarget.checked)} /> Approve S5 requests automatically</label>
        <div class="modal-actions">
          <button type="button" class="btn" onClick=${onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled=${busy || !description.trim()} data-testid="run-task-submit">Run task</button>
        </div>
      </form>
    </${Modal}>`;
}

export function Footer({ current }) {
  const s = useStore(live);
  return html`
    <footer class="footer">
      <span>${s.project ? `stream ${s.state}` : "no stream"}${s.attempt ? ` · attempt ${s.attempt}` : ""}</span>
      <span title=${s.gaps ? `${s.gaps} event(s) never arrived: reload to be sure` : "every event arrived in order"}>
        seq <span data-testid="last-seq" data-seq=${s.lastSeq ?? ""} data-gaps=${s.gaps}>${s.lastSeq ?? "—"}</span>${s.gaps ? html` <span class="err-text">(${s.gaps} missed)</span>` : ""}
      </span>
      ${current && html`<span class="mono">${current.id}</span>`}
      <span class="grow"></span>
      <span>viable serve</span>
    </footer>`;
}
