// The overview (#/): a card per project with its plan counts, running attempts, cost and state.
import { link } from "./router.js";
import { Badge, CountsBar, Empty, ErrorPanel, html, Loading, usd, Ago } from "./ui.js";

export function ProjectsPage({ projects }) {
  if (!projects.data) return projects.error ? html`<${ErrorPanel} error=${projects.error} />` : html`<${Loading} />`;
  const list = projects.data.projects;
  if (list.length === 0) return html`<${Empty} title="No projects">Start <code>viable serve</code> in a project directory, or pass it the projects to show.</${Empty}>`;
  return html`
    <div class="page scroll-page">
      <div class="page-head"><div class="title-row"><h1>Projects</h1><span class="dim">${list.length} served · refreshed every 10 s</span></div></div>
      <div class="project-grid">${list.map((p) => html`<${ProjectCard} key=${p.id} p=${p} />`)}</div>
    </div>`;
}

function ProjectCard({ p }) {
  const c = p.plan?.counts ?? {};
  return html`
    <a class=${`card project-card ${p.kill_switch ? "killed" : ""}`} href=${link(p.id, "plan")} data-testid=${`project-card-${p.id}`}>
      <div class="pc-head">
        <span class="pc-name">${p.name}</span>
        ${p.kill_switch ? html`<span class="chip kill">kill switch on</span>` : p.holder ? html`<${Badge} status="running" label=${p.holder.command} />` : html`<span class="chip static">idle</span>`}
      </div>
      <div class="pc-root mono dim" title=${p.root}>${p.root}</div>
      ${p.plan ? html`
        <${CountsBar} counts=${c} compact=${true} />
        <div class="pc-counts">
          <span class="t-passed"><b>${c.passed ?? 0}</b> passed</span>
          <span class="t-running"><b>${c.running ?? 0}</b> running</span>
          <span class="t-failed"><b>${c.failed ?? 0}</b> failed</span>
          <span class="t-blocked"><b>${c.blocked ?? 0}</b> blocked</span>
          <span class="t-pending"><b>${c.pending ?? 0}</b> pending</span>
        </div>` : html`<div class="dim small">No plan imported.</div>`}
      <div class="pc-foot">
        <span><b>${p.running_attempts}</b> running attempts</span>
        <span><b>${usd(p.cost_usd)}</b> spent</span>
        ${p.pending_approvals > 0 && html`<span class="hot-text"><b>${p.pending_approvals}</b> awaiting approval</span>`}
      </div>
      ${p.kill_switch && html`<div class="pc-warn err-text small">Kill switch since <${Ago} at=${p.kill_switch.since} />${p.kill_switch.reason ? `: ${p.kill_switch.reason}` : ""}</div>`}
      ${(p.warnings ?? []).map((w) => html`<div class="pc-warn warn-text small">⚠ ${w}</div>`)}
    </a>`;
}
