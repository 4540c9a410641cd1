// Cost: the total, spend per day as bars, and breakdowns by item, agent, model and runtime.
import { projectApi } from "./api.js";
import { link } from "./router.js";
import { useResource } from "./resource.js";
import { ErrorPanel, html, Loading, tokens, usd } from "./ui.js";

export function CostPage({ project }) {
  const r = useResource(projectApi(project, "/cost"), ["cost"]);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const c = r.data;
  const perAttempt = c.attempts ? c.total_usd / c.attempts : null;
  return html`
    <div class="page scroll-page">
      <div class="page-head"><div class="title-row"><h1>Cost</h1></div></div>
      <div class="cards four">
        <div class="card" data-testid="cost-total"><div class="card-label">Total spend</div><div class="card-value">${usd(c.total_usd)}</div></div>
        <div class="card"><div class="card-label">Tokens</div><div class="card-value">${tokens(c.tokens)}</div></div>
        <div class="card"><div class="card-label">Attempts</div><div class="card-value">${c.attempts ?? 0}</div></div>
        <div class="card"><div class="card-label">Per attempt</div><div class="card-value">${perAttempt === null ? "—" : usd(perAttempt)}</div></div>
      </div>
      <section class="panel">
        <div class="panel-title">By day</div>
        <${DayBars} rows=${c.by_day ?? []} />
      </section>
      <div class="cols three">
        <${Breakdown} title="By agent" rows=${c.by_agent} />
        <${Breakdown} title="By model" rows=${c.by_model} />
        <${Breakdown} title="By runtime" rows=${c.by_runtime} />
      </div>
      <${Breakdown} title="By item or task" rows=${c.by_item} tall=${true} href=${(key) => itemOrTask(project, key)} />
    </div>`;
}

/** by_item keys are item ids, or "task <id>" for a task's attempts outside a plan. */
const itemOrTask = (project, key) => (key.startsWith("task ") ? link(project, "tasks", key.slice(5)) : link(project, "items", key));

function Breakdown({ title, rows = [], tall = false, href }) {
  const sorted = [...rows].sort((a, b) => b.usd - a.usd);
  const max = sorted[0]?.usd || 1;
  return html`
    <section class="panel">
      <div class="panel-title">${title} <span class="count">${rows.length}</span></div>
      <div class=${`scroll-y ${tall ? "tall" : "short"}`}>
        <table class="table">
          <thead><tr><th></th><th></th><th class="num">Cost</th><th class="num">Tokens</th><th class="num">Att.</th></tr></thead>
          <tbody>${sorted.map((row) => html`
            <tr key=${row.key}>
              <td class="key">${href ? html`<a class="mono" href=${href(row.key)}>${row.key}</a>` : row.key}</td>
              <td class="bar-cell"><span class="hbar" style=${{ width: `${(row.usd / max) * 100}%` }}></span></td>
              <td class="num">${usd(row.usd)}</td><td class="num dim">${tokens(row.tokens)}</td><td class="num dim">${row.attempts}</td>
            </tr>`)}</tbody>
        </table>
        ${rows.length === 0 && html`<div class="dim pad">Nothing spent yet.</div>`}
      </div>
    </section>`;
}

/** Spend per day as columns, the value on hover. */
function DayBars({ rows }) {
  if (rows.length === 0) return html`<div class="dim pad">Nothing spent yet.</div>`;
  const days = [...rows].sort((a, b) => a.key.localeCompare(b.key)).slice(-45);
  const max = Math.max(...days.map((d) => d.usd)) || 1;
  return html`
    <div class="daybars">
      <div class="daybars-axis dim"><span>${usd(max)}</span><span>$0</span></div>
      ${days.map((d) => html`
        <div class="daybar" title=${`${d.key}: ${usd(d.usd)}, ${tokens(d.tokens)} tokens, ${d.attempts} attempts`}>
          <span class="daybar-fill" style=${{ height: `${(d.usd / max) * 100}%` }}></span>
          <span class="daybar-label">${d.key.slice(5)}</span>
        </div>`)}
    </div>`;
}
