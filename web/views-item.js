// The item page: details, attempts, and tabs for the selected attempt's live output, the diff,
// the verifications and the item's events.
import { useRef } from "preact/hooks";
import { act, projectApi } from "./api.js";
import { AgentOutput, AttemptsTable, orderAttempts } from "./attempts.js";
import { link, navigate } from "./router.js";
import { useResource } from "./resource.js";
import { publish } from "./stream.js";
import { Ago, Badge, brief, clock, duration, Empty, ErrorPanel, html, Loading, usd } from "./ui.js";

const TABS = [["output", "Output"], ["diff", "Diff"], ["verification", "Verification"], ["candidates", "Candidates"], ["shadow", "Shadow"], ["events", "Events"]];

export function ItemPage({ project, itemId, query }) {
  const r = useResource(projectApi(project, `/items/${encodeURIComponent(itemId)}`), [`item:${itemId}`]);
  const tab = query.tab ?? "output";
  const go = (changes) => navigate(link(project, "items", itemId, { tab, attempt: query.attempt, ...changes }));

  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const { item, attempts = [], verification = [], candidates = [], shadows = [], events = [] } = r.data;
  // Candidates and Shadow only where the item has some.
  const counts = { verification: verification.length, candidates: candidates.length, shadow: shadows.length };
  const tabs = TABS.filter(([key]) => (key !== "candidates" && key !== "shadow") || counts[key] > 0);
  const { ordered, selected } = orderAttempts(attempts, query.attempt);

  return html`
    <div class="page item-page">
      <${ItemHeader} project=${project} item=${item} />
      <div class="item-body">
        <aside class="panel item-side"><${ItemDetails} project=${project} item=${item} /></aside>
        <div class="item-main">
          <section class="panel attempts-panel">
            <${AttemptsTable} attempts=${ordered} selected=${selected} onPick=${(a) => go({ attempt: String(a.id) })} />
          </section>
          <section class="panel tab-panel">
            <nav class="subtabs">
              ${tabs.map(([key, label]) => html`
                <a class=${tab === key ? "on" : ""} href=${link(project, "items", itemId, { tab: key, attempt: query.attempt })} data-testid=${`tab-${key}`}>
                  ${label}${counts[key] ? html` <span class="count">${counts[key]}</span>` : ""}
                </a>`)}
              ${tab === "output" && selected && html`<span class="subtabs-note">attempt ${selected.attempt_no} · ${selected.agent}</span>`}
            </nav>
            <div class="tab-body">
              ${tab === "output" && (selected ? html`<${AgentOutput} key=${selected.id} attempt=${selected} />` : html`<${Empty} title="No attempt yet">The output appears here as soon as an agent starts on this item.</${Empty}>`)}
              ${tab === "diff" && html`<${DiffView} project=${project} itemId=${itemId} />`}
              ${tab === "verification" && html`<${Verification} list=${verification} />`}
              ${tab === "candidates" && html`<${Candidates} list=${candidates} />`}
              ${tab === "shadow" && html`<${Shadows} list=${shadows} />`}
              ${tab === "events" && html`<${ItemEvents} events=${events} />`}
            </div>
          </section>
        </div>
      </div>
    </div>`;
}

function ItemHeader({ project, item }) {
  const run = (what) => async () => {
    const done = await act(projectApi(project, `/items/${encodeURIComponent(item.id)}/${what}`), { ok: `${item.id}: ${what === "retry" ? "queued for another attempt" : "unblocked"}` });
    if (done) publish(["plan", "project", `item:${item.id}`]);
  };
  return html`
    <div class="page-head">
      <div class="crumbs"><a href=${link(project, "plan")}>Plan</a><span>/</span><span class="mono">${item.id}</span></div>
      <div class="title-row">
        <h1>${item.name}</h1>
        <${Badge} status=${item.status} />
        ${item.phase && html`<span class="chip static">${item.phase}</span>`}
        <span class="grow"></span>
        ${(item.status === "failed" || item.status === "blocked") && item.phase !== "needs_input" && html`<button class="btn" data-testid="item-retry" onClick=${run("retry")}>Retry</button>`}
        ${item.status === "blocked" && html`<button class="btn" data-testid="item-unblock" onClick=${run("unblock")}>Unblock</button>`}
      </div>
      ${item.blocked_reason && html`<div class="notice warn"><b>Blocked:</b> ${item.blocked_reason}</div>`}
      ${item.phase === "needs_input"
        ? html`<div class="notice warn" data-testid="item-question"><b>Waits for a person.</b> ${item.last_error}<br />
            Take it over at a terminal: <code>viable attach ${item.id}</code>, or answer its question in Approvals (approve retries with your comment, reject blocks).</div>`
        : item.last_error && item.status !== "passed" && html`<div class="notice error"><b>Last error:</b> ${item.last_error}</div>`}
    </div>`;
}

function ItemDetails({ project, item }) {
  const deps = item.dependencies ?? [];
  return html`
    <dl class="props">
      <dt>Dependencies</dt>
      <dd>${deps.length ? html`<div class="dep-links">${deps.map((d) => html`<a class="mono" href=${link(project, "items", d)}>${d}</a>`)}</div>` : html`<span class="dim">none</span>`}</dd>
      <dt>Branch</dt><dd>${item.branch ? html`<code>${item.branch}</code>` : html`<span class="dim">—</span>`}</dd>
      <dt>Merged commit</dt><dd>${item.merged_commit ? html`<code title=${item.merged_commit}>${item.merged_commit.slice(0, 10)}</code>` : html`<span class="dim">—</span>`}</dd>
      <dt>Priority</dt><dd>${item.priority ?? "—"}</dd>
      <dt>Complexity</dt><dd>${item.complexity ?? "—"}</dd>
      <dt>Attempts</dt><dd>${item.attempts}</dd>
      <dt>Cost</dt><dd>${usd(item.cost_usd)}</dd>
      ${item.claimed && html`<dt>Claimed</dt><dd class="warn-text">${typeof item.claimed === "string" ? item.claimed : "by someone else"}</dd>`}
    </dl>
    ${item.verify?.length > 0 && html`
      <div class="side-block"><div class="side-title">Verify</div>${item.verify.map((c) => html`<code class="block">${c}</code>`)}</div>`}
    ${item.description && html`
      <div class="side-block"><div class="side-title">Description</div><div class="prose">${item.description}</div></div>`}`;
}

// ---- diff ----------------------------------------------------------------------------------

const MAX_DIFF_LINES = 6000;

function DiffView({ project, itemId }) {
  const r = useResource(projectApi(project, `/items/${encodeURIComponent(itemId)}/diff`), [`item:${itemId}`], { quiet: true });
  const pre = useRef(null);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} title="No diff" />` : html`<${Loading} />`;
  const { base, stat = [], diff = "", truncated } = r.data;
  const head = r.data.head ?? r.data.branch; // what the diff shows: a worktree, a branch or a commit
  if (!diff && stat.length === 0) {
    return html`<${Empty} title="No changes">${base ? html`<code>${head}</code> has no changes against <code>${base}</code>.` : "The item has no work yet: no worktree, branch or merged commit."}</${Empty}>`;
  }
  const lines = diff.split("\n");
  const shown = lines.slice(0, MAX_DIFF_LINES);
  const added = stat.reduce((a, s) => a + s.added, 0);
  const removed = stat.reduce((a, s) => a + s.removed, 0);
  const jump = (path) => [...(pre.current?.querySelectorAll("[data-file]") ?? [])].find((el) => el.dataset.file === path)?.scrollIntoView({ block: "start" });
  return html`
    <div class="diff-view">
      <div class="diff-stat">
        <div class="diff-summary"><code title=${base}>${short(base)}</code> … <code title=${head}>${short(head)}</code> · ${stat.length} files <span class="add-text">+${added}</span> <span class="del-text">−${removed}</span></div>
        <table class="table compact">
          <tbody>${stat.map((s) => html`
            <tr class="clickable" onClick=${() => jump(s.path)}>
              <td class="mono">${s.path}</td><td class="num add-text">+${s.added}</td><td class="num del-text">−${s.removed}</td>
              <td class="blocks"><${Blocks} added=${s.added} removed=${s.removed} /></td>
            </tr>`)}</tbody>
        </table>
      </div>
      ${(truncated || lines.length > shown.length) && html`<div class="notice warn">The diff is truncated; see the branch for the rest.</div>`}
      <pre class="diff" ref=${pre}>${shown.map((line) => {
        const file = line.startsWith("diff --git") ? line.replace(/^diff --git a\/(.*) b\/.*$/, "$1") : null;
        return html`<div class=${diffClass(line)} data-file=${file ?? undefined}>${line || " "}</div>`;
      })}</pre>
    </div>`;
}

/** Commit ids shortened as git does; names (a branch, "working tree") as they are. */
const short = (ref) => (typeof ref === "string" && /^[0-9a-f]{40}\^?$/.test(ref) ? ref.slice(0, 10) + (ref.endsWith("^") ? "^" : "") : ref);

function diffClass(line) {
  if (line.startsWith("diff --git")) return "d-file";
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("index ") || line.startsWith("new file") || line.startsWith("deleted file")) return "d-meta";
  if (line.startsWith("@@")) return "d-hunk";
  if (line.startsWith("+")) return "d-add";
  if (line.startsWith("-")) return "d-del";
  return "d-ctx";
}

/** GitHub's five squares: the share of added and removed lines. */
function Blocks({ added, removed }) {
  const total = added + removed || 1;
  const a = Math.round((added / total) * 5);
  const d = Math.min(5 - a, Math.round((removed / total) * 5));
  return html`${[...Array(5)].map((_, i) => html`<i class=${i < a ? "b-add" : i < a + d ? "b-del" : ""}></i>`)}`;
}

// ---- verification and events ---------------------------------------------------------------

function Verification({ list }) {
  if (list.length === 0) return html`<${Empty} title="Not verified yet">Verification runs after the agents finish an attempt.</${Empty}>`;
  const newest = [...list].sort((a, b) => b.at.localeCompare(a.at));
  return html`
    <div class="verifications">
      ${newest.map((v, i) => html`
        <details class=${`verification ${v.passed ? "ok" : "bad"}`} open=${i === 0} data-testid=${`verification-${i}`}>
          <summary><${Badge} status=${v.passed ? "passed" : "failed"} /> <span>${v.attempt ? `attempt ${v.attempt}` : ""}</span> <span class="dim"><${Ago} at=${v.at} /></span></summary>
          ${v.checks
            ? v.checks.map((c) => html`
                <div class=${`check-row t-${c.passed ? "passed" : "failed"}`}><i>${c.passed ? "✓" : "✕"}</i><code>${c.command}</code><span class="dim">${duration(c.duration_ms)}</span></div>
                ${c.output_tail && html`<pre>${c.output_tail}</pre>`}`)
            : html`<pre>${v.output || "(no output)"}</pre>`}
        </details>`)}
    </div>`;
}

// ---- best-of-N candidates and shadow runs, side by side -------------------------------------

function Candidates({ list }) {
  return html`
    <div class="candidates">
      ${[...list].reverse().map((c) => html`
        <section class="candidate-round" data-testid=${`candidates-${c.attempt}`}>
          <div class="small">
            <b>Attempt ${c.attempt}</b> · ${c.policy} ·
            ${c.winner !== null ? html` candidate ${c.winner} chosen by ${c.by}` : html` <span class="t-failed">no candidate passed</span>`}
          </div>
          ${c.reasons && html`<div class="dim small candidate-reasons">${c.reasons}</div>`}
          <table class="table compact">
            <thead><tr><th>#</th><th>Agent</th><th>Runtime</th><th>Model</th><th>Verified</th><th class="num">Score</th><th class="num">Checks</th><th class="num">Lines</th><th class="num">Files</th><th class="num">Outside</th><th class="num">Cost</th><th class="num">Time</th><th>Work</th></tr></thead>
            <tbody>${c.results.map((r) => html`
              <tr class=${r.candidate === c.winner ? "winner" : ""} data-testid=${`candidate-${c.attempt}-${r.candidate}`}>
                <td class="mono">${r.candidate}${r.candidate === c.winner ? " ★" : ""}</td><td>${r.agent}</td><td>${r.runtime}</td><td class="dim">${r.model ?? "-"}</td>
                <td>${r.skipped !== null ? html`<span class="dim" title=${r.skipped}>skipped</span>` : r.stopped ? html`<span class="dim" title=${r.reason ?? ""}>stopped</span>` : html`<${Badge} status=${r.passed ? "passed" : "failed"} />`}</td>
                <td class="num">${r.score ?? "-"}</td><td class="num">${r.checks_passed}/${r.checks_total}</td><td class="num">${r.diff_lines}</td>
                <td class="num" title=${r.files.join("\n")}>${r.files.length}</td><td class="num" title=${r.outside_scope.join("\n")}>${r.outside_scope.length}</td>
                <td class="num">${usd(r.cost_usd)}</td><td class="num">${duration(r.duration_s * 1000)}</td>
                <td class="mono small" title=${r.reason ?? ""}>${r.candidate === c.winner ? "merged" : r.skipped ?? r.branch ?? r.reason ?? ""}</td>
              </tr>`)}</tbody>
          </table>
        </section>`)}
    </div>`;
}

function Shadows({ list }) {
  const row = (who, s) => html`
    <tr>
      <td>${who}</td><td>${s.agent}</td><td>${s.runtime}</td><td class="dim">${s.model ?? "-"}</td>
      <td><${Badge} status=${s.passed ? "passed" : "failed"} /></td><td class="num">${s.diff_lines}</td><td class="num" title=${s.files.join("\n")}>${s.files.length}</td>
      <td class="num">${usd(s.cost_usd)}</td><td class="num">${duration(s.duration_s * 1000)}</td><td class="num">${s.tokens}</td>
    </tr>`;
  return html`
    <div class="candidates">
      ${[...list].reverse().map((x, i) => html`
        <section class="candidate-round" data-testid=${`shadow-${i}`}>
          <div class="small"><b>Attempt ${x.attempt}</b> · ${x.complete ? (x.agree ? "they agree" : html`<span class="t-failed">they disagree</span>`) : html`<span class="dim">the shadow was stopped: ${x.shadow.reason}</span>`}${x.diff_file ? html` · <span class="dim mono">${x.diff_file}</span>` : ""}</div>
          <table class="table compact">
            <thead><tr><th></th><th>Agent</th><th>Runtime</th><th>Model</th><th>Verified</th><th class="num">Lines</th><th class="num">Files</th><th class="num">Cost</th><th class="num">Time</th><th class="num">Tokens</th></tr></thead>
            <tbody>${row("primary", x.primary)}${row("shadow", x.shadow)}</tbody>
          </table>
        </section>`)}
    </div>`;
}

function ItemEvents({ events }) {
  if (events.length === 0) return html`<${Empty} title="No events" />`;
  return html`
    <table class="table compact events-table">
      <tbody>${[...events].reverse().map((e) => html`
        <tr key=${e.id}>
          <td class="mono dim">${e.id}</td><td class="mono dim">${clock(e.timestamp)}</td>
          <td><span class="etype">${e.event_type}</span></td><td class="dim">${e.agent ?? ""}</td>
          <td class="ellipsis" title=${JSON.stringify(e.data)}>${brief(e.data)}</td>
        </tr>`)}</tbody>
    </table>`;
}
