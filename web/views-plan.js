// The plan page: counts, the DAG, and a windowed table of every item.
import { useMemo, useState } from "preact/hooks";
import { act, projectApi } from "./api.js";
import { Dag } from "./dag.js";
import { link, navigate } from "./router.js";
import { useResource } from "./resource.js";
import { publish } from "./stream.js";
import { Ago, Badge, CountsBar, Empty, ErrorPanel, html, Loading, usd, VirtualList } from "./ui.js";

export function PlanPage({ project }) {
  const plan = useResource(projectApi(project, "/plan"), ["plan"], { quiet: ["no_plan"] });
  const [status, setStatus] = useState(null);

  if (plan.error?.reason === "no_plan") {
    return html`<${Empty} title="No plan imported">Import one with <code>viable plan import FILE</code> in the project, then come back: this page updates by itself.</${Empty}>`;
  }
  if (!plan.data) return plan.error ? html`<${ErrorPanel} error=${plan.error} />` : html`<${Loading} />`;
  const { items, counts, critical_path: critical = [] } = plan.data;
  if (items.length === 0) return html`<${Empty} title="The plan has no items">${plan.data.file} was imported without items.</${Empty}>`;
  return html`
    <div class="page plan-page">
      <div class="plan-head">
        <${CountsBar} counts=${counts} onPick=${setStatus} active=${status} />
        <div class="plan-meta">
          <span title="plan file">${plan.data.file}</span>
          <span class="dim">${plan.data.format}</span>
          ${plan.data.integration_branch && html`<span title="integration branch"><span class="dim">into</span> <code>${plan.data.integration_branch}</code></span>`}
          <span class="dim">imported <${Ago} at=${plan.data.imported_at} /></span>
          <span><span class="crit-swatch"></span>${critical.length} on the critical path</span>
        </div>
      </div>
      <div class="plan-split">
        <section class="panel dag-panel">
          <${Dag} items=${items} criticalPath=${critical} onOpen=${(id) => navigate(link(project, "items", id))} />
        </section>
        <section class="panel">
          <${ItemsTable} project=${project} items=${items} critical=${critical} status=${status} setStatus=${setStatus} />
        </section>
      </div>
    </div>`;
}

const COLUMNS = [
  { key: "id", label: "ID", sort: (a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }) },
  { key: "name", label: "Name", sort: (a, b) => (a.name ?? "").localeCompare(b.name ?? "") },
  { key: "status", label: "Status", sort: (a, b) => a.status.localeCompare(b.status) },
  { key: "attempts", label: "Att.", num: true, sort: (a, b) => a.attempts - b.attempts },
  { key: "cost", label: "Cost", num: true, sort: (a, b) => (a.cost_usd ?? 0) - (b.cost_usd ?? 0) },
  { key: "phase", label: "Phase", sort: (a, b) => (a.phase ?? "").localeCompare(b.phase ?? "") },
  { key: "error", label: "Last error", sort: (a, b) => (a.last_error ?? a.blocked_reason ?? "").localeCompare(b.last_error ?? b.blocked_reason ?? "") },
  { key: "actions", label: "" },
];

const ROW_H = 32;

function ItemsTable({ project, items, critical, status, setStatus }) {
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState({ key: null, dir: 1 });
  const crit = useMemo(() => new Set(critical), [critical]);

  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    let list = items.filter((it) => (!status || it.status === status) &&
      (!q || it.id.toLowerCase().includes(q) || (it.name ?? "").toLowerCase().includes(q)));
    const col = COLUMNS.find((c) => c.key === sort.key);
    if (col) list = [...list].sort((a, b) => col.sort(a, b) * sort.dir);
    return list;
  }, [items, status, query, sort]);

  const toggleSort = (key) => setSort((s) => (s.key === key ? (s.dir === 1 ? { key, dir: -1 } : { key: null, dir: 1 }) : { key, dir: 1 }));
  const run = (item, what) => async (e) => {
    e.preventDefault();
    e.stopPropagation();
    const done = await act(projectApi(project, `/items/${encodeURIComponent(item.id)}/${what}`), { ok: `${item.id}: ${what === "retry" ? "queued for another attempt" : "unblocked"}` });
    if (done) publish(["plan", "project", `item:${item.id}`]);
  };

  return html`
    <div class="table-wrap items-table">
      <div class="toolbar">
        <input class="input search" type="search" placeholder="Filter by id or name…" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
        ${status && html`<button class="chip" onClick=${() => setStatus(null)}>status: ${status} ×</button>`}
        <span class="dim">${rows.length === items.length ? `${items.length} items` : `${rows.length} of ${items.length} items`}</span>
      </div>
      <div class="grid-head">
        ${COLUMNS.map((c) => html`
          <div class=${`cell ${c.num ? "num" : ""} ${c.sort ? "sortable" : ""}`} onClick=${c.sort ? () => toggleSort(c.key) : undefined}>
            ${c.label}${sort.key === c.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
          </div>`)}
      </div>
      ${rows.length === 0
        ? html`<div class="dim pad">No item matches.</div>`
        : html`<${VirtualList} items=${rows} rowHeight=${ROW_H} testid="items-list" renderRow=${(it, _i, style) => html`
            <a class=${`grid-row ${crit.has(it.id) ? "crit" : ""}`} key=${it.id} style=${style} href=${link(project, "items", it.id)}
               data-testid=${`item-row-${it.id}`} data-status=${it.status}>
              <div class="cell mono" title=${it.id}>${it.id}</div>
              <div class="cell" title=${it.name}>${it.name}</div>
              <div class="cell"><${Badge} status=${it.status} /></div>
              <div class="cell num">${it.attempts || ""}</div>
              <div class="cell num">${it.cost_usd ? usd(it.cost_usd) : ""}</div>
              <div class="cell dim">${it.phase ?? ""}</div>
              <div class=${`cell ${it.status === "blocked" ? "warn-text" : "err-text"}`} title=${it.last_error ?? it.blocked_reason ?? ""}>${it.last_error ?? it.blocked_reason ?? ""}</div>
              <div class="cell actions">
                ${(it.status === "failed" || it.status === "blocked") && html`<button class="btn xs" data-testid=${`retry-${it.id}`} onClick=${run(it, "retry")}>Retry</button>`}
                ${it.status === "blocked" && html`<button class="btn xs" data-testid=${`unblock-${it.id}`} onClick=${run(it, "unblock")}>Unblock</button>`}
              </div>
            </a>`} />`}
    </div>`;
}
