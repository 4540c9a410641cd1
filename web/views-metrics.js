// Viability metrics: the current values against the thresholds that trigger adaptations, their
// history as small line plots, the active adaptations, and the health lines.
import { projectApi } from "./api.js";
import { useResource } from "./resource.js";
import { Ago, Empty, ErrorPanel, html, Loading, pct } from "./ui.js";

// Thresholds from the README's adaptation table: crossing one applies an adaptation.
const SERIES = [
  { key: "completion_rate", label: "Completion rate", fmt: pct, limit: 0.5, bad: "below", adapts: "lower_complexity_threshold", domain: [0, 1] },
  { key: "audit_pass_rate", label: "Audit pass rate", fmt: pct, limit: 0.8, bad: "below", adapts: "tighten_s3_star", domain: [0, 1] },
  { key: "oscillation_rate", label: "Oscillation rate", fmt: pct, limit: 0.2, bad: "above", adapts: "increase_s2_involvement", domain: [0, 1] },
  { key: "avg_cycle_iterations", label: "Avg cycle iterations", fmt: (v) => (typeof v === "number" ? v.toFixed(2) : "—"), limit: 1.5, bad: "above", adapts: "parallelize_s1", domain: [1, 2] },
];

const isBad = (s, v) => typeof v === "number" && (s.bad === "below" ? v < s.limit : v > s.limit);

export function MetricsPage({ project }) {
  const r = useResource(projectApi(project, "/metrics"), ["metrics"]);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const { current = {}, history = [], health = [] } = r.data;
  const adaptations = r.data.adaptations ?? current.active_adaptations ?? [];
  const errors = Object.entries(current.agent_errors ?? {}).sort((a, b) => b[1] - a[1]);
  return html`
    <div class="page scroll-page">
      <div class="page-head"><div class="title-row"><h1>Viability</h1>
        ${current.last_updated && html`<span class="dim">updated <${Ago} at=${current.last_updated} /></span>`}</div></div>
      <div class="cards four">
        ${SERIES.map((s) => html`
          <div class=${`card metric ${isBad(s, current[s.key]) ? "bad" : "good"}`} data-testid=${`metric-${s.key}`}>
            <div class="card-label">${s.label}</div>
            <div class="card-value">${s.fmt(current[s.key])}</div>
            <div class="card-note">adapts when ${s.bad} ${s.fmt(s.limit)} · <code>${s.adapts}</code></div>
            <${LinePlot} points=${history.map((h) => h[s.key])} limit=${s.limit} domain=${s.domain} bad=${s.bad} />
            ${history.length > 1 && html`<div class="plot-axis dim"><span><${Ago} at=${history[0].at} /></span><span>${history.length} updates</span><span>now</span></div>`}
          </div>`)}
      </div>
      <div class="cols">
        <section class="panel">
          <div class="panel-title">Active adaptations <span class="count">${adaptations.length}</span></div>
          ${adaptations.length === 0 ? html`<div class="dim pad">None: every metric is within its limits.</div>` : html`
            <table class="table">
              <thead><tr><th>Adaptation</th><th>Trigger</th><th>Effect</th><th>Applied</th></tr></thead>
              <tbody>${adaptations.map((a) => html`
                <tr><td><code>${a.type}</code></td><td>${a.trigger}</td><td>${a.effect}</td><td class="dim nowrap"><${Ago} at=${a.applied_at} /></td></tr>`)}</tbody>
            </table>`}
        </section>
        <section class="panel">
          <div class="panel-title">Agent error rates</div>
          ${errors.length === 0 ? html`<div class="dim pad">No agent errors recorded.</div>` : html`
            <table class="table">
              <tbody>${errors.map(([agent, rate]) => html`
                <tr><td>${agent}</td><td class="bar-cell"><span class=${`hbar ${rate > 0.3 ? "bad" : ""}`} style=${{ width: `${Math.min(100, rate * 100)}%` }}></span></td><td class="num">${pct(rate)}</td></tr>`)}</tbody>
            </table>`}
          <div class="panel-foot dim">S3/S4 conflicts: <b>${current.s3_s4_conflicts ?? 0}</b> (more than 3 recent ones require S5 approval)</div>
        </section>
      </div>
      <section class="panel">
        <div class="panel-title">Health</div>
        ${health.length === 0 ? html`<${Empty} title="Nothing to report" />` : html`<ul class="health">${health.map((l) => html`<li>${l}</li>`)}</ul>`}
      </section>
    </div>`;
}

const W = 300;
const H = 64;

/** A line over time with the adaptation threshold dashed; the plot stretches to its card's width. */
function LinePlot({ points, limit, domain, bad }) {
  const values = points.filter((v) => typeof v === "number");
  if (values.length < 2) return html`<div class="plot-empty dim">not enough history yet</div>`;
  const lo = Math.min(domain[0], ...values);
  const hi = Math.max(domain[1], ...values);
  const y = (v) => H - 4 - ((v - lo) / (hi - lo || 1)) * (H - 8);
  const x = (i) => (i / (values.length - 1)) * W;
  const line = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
  const area = `${line}L${W},${H}L0,${H}Z`;
  const badZone = bad === "below" ? [y(limit), H] : [0, y(limit)];
  return html`
    <svg class="plot" viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img">
      <rect class="plot-bad" x="0" y=${badZone[0]} width=${W} height=${Math.max(0, badZone[1] - badZone[0])} />
      <path class="plot-area" d=${area} />
      <path class="plot-line" d=${line} vector-effect="non-scaling-stroke" />
      <line class="plot-limit" x1="0" x2=${W} y1=${y(limit)} y2=${y(limit)} vector-effect="non-scaling-stroke" />
    </svg>`;
}
