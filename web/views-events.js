// The execution log: the latest events (windowed list, thousands of rows), appended live from the
// stream, filterable by type and text, with the selected event's data beside it.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, projectApi, toastError } from "./api.js";
import { link } from "./router.js";
import { onLiveEvent, onTopics } from "./stream.js";
import { brief, clock, fullTime, html, Json, Loading, VirtualList } from "./ui.js";

const WINDOW = 5000; // events loaded when the page opens
const KEEP = 20000; // the list drops its oldest rows beyond this, however long the tab stays open
const PAGE = 1000;
const ROW_H = 26;

/** Appends what is newer than the list's last event (the stream and the fetch may overlap). */
function append(list, more) {
  const last = list.length ? list[list.length - 1].id : -Infinity;
  const fresh = more.filter((e) => e.id > last);
  if (fresh.length === 0) return list;
  const next = list.concat(fresh);
  return next.length > KEEP ? next.slice(next.length - KEEP) : next;
}

async function loadWindow(project) {
  const base = projectApi(project, "/events");
  const head = await api(`${base}?after=0&limit=1`);
  let after = Math.max(0, (head.last_seq ?? 0) - WINDOW);
  const all = [];
  for (;;) {
    const page = await api(`${base}?after=${after}&limit=${PAGE}`);
    all.push(...page.events);
    const lastId = page.events.length ? page.events[page.events.length - 1].id : after;
    if (page.events.length === 0 || lastId >= page.last_seq || all.length >= WINDOW) break;
    after = lastId;
  }
  return all;
}

export function EventsPage({ project, query }) {
  const [events, setEvents] = useState(null);
  const [generation, setGeneration] = useState(0);
  const [type, setType] = useState(query.type ?? "");
  const [text, setText] = useState(query.task ?? "");
  const [selected, setSelected] = useState(null);

  useEffect(() => {
    let loaded = false;
    let cancelled = false;
    const early = [];
    const offLive = onLiveEvent((e) => (loaded ? setEvents((list) => append(list ?? [], [e])) : early.push(e)));
    const offResync = onTopics(["*"], () => setGeneration((g) => g + 1));
    setEvents(null);
    loadWindow(project).then(
      (list) => { if (!cancelled) { loaded = true; setEvents(append(list, early)); } },
      (e) => { if (!cancelled) { loaded = true; setEvents(early); toastError(e); } },
    );
    return () => { cancelled = true; offLive(); offResync(); };
  }, [project, generation]);

  const types = useMemo(() => [...new Set((events ?? []).map((e) => e.event_type))].sort(), [events]);
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (events ?? []).filter((e) => (!type || e.event_type === type) &&
      (!needle || `${e.task_id ?? ""} ${e.agent ?? ""} ${JSON.stringify(e.data)}`.toLowerCase().includes(needle)));
  }, [events, type, text]);

  if (events === null) return html`<${Loading} />`;
  return html`
    <div class="page events-page">
      <div class="toolbar">
        <select class="input" value=${type} onChange=${(e) => setType(e.currentTarget.value)} data-testid="events-type-filter">
          <option value="">All types</option>
          ${types.map((t) => html`<option value=${t}>${t}</option>`)}
        </select>
        <input class="input search" type="search" placeholder="Filter by task, agent, data…" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
        <span class="dim">${shown.length === events.length ? `${events.length} events` : `${shown.length} of ${events.length} events`} · newest at the bottom, live</span>
      </div>
      <div class="events-split">
        <section class="panel">
          <div class="grid-head events-grid"><div class="cell num">Seq</div><div class="cell">Time</div><div class="cell">Type</div><div class="cell">Task</div><div class="cell">Agent</div><div class="cell">Data</div></div>
          <${VirtualList} items=${shown} rowHeight=${ROW_H} follow=${true} testid="events-list" renderRow=${(e, _i, style) => html`
            <div key=${e.id} style=${style} class=${`grid-row events-grid ${selected?.id === e.id ? "selected" : ""}`}
                 onClick=${() => setSelected(e)} data-testid=${`event-${e.id}`} data-type=${e.event_type}>
              <div class="cell num mono dim">${e.id}</div>
              <div class="cell mono dim" title=${fullTime(e.timestamp)}>${clock(e.timestamp)}</div>
              <div class="cell"><span class=${`etype ${typeTone(e.event_type)}`}>${e.event_type}</span></div>
              <div class="cell mono dim">${e.task_id ?? ""}</div>
              <div class="cell dim">${e.agent ?? ""}</div>
              <div class="cell">${brief(e.data)}</div>
            </div>`} />
        </section>
        <aside class="panel event-detail">
          ${selected ? html`
            <div class="panel-title"><span class="etype">${selected.event_type}</span><span class="dim mono">#${selected.id}</span></div>
            <dl class="props">
              <dt>Time</dt><dd>${fullTime(selected.timestamp)}</dd>
              ${selected.task_id && html`<dt>Task</dt><dd><a class="mono" href=${link(project, "tasks", selected.task_id)}>${selected.task_id}</a></dd>`}
              ${selected.data?.item && html`<dt>Item</dt><dd><a class="mono" href=${link(project, "items", selected.data.item)}>${selected.data.item}</a></dd>`}
              ${selected.agent && html`<dt>Agent</dt><dd>${selected.agent}</dd>`}
              <dt>Session</dt><dd class="mono">${selected.session_id}</dd>
            </dl>
            <${Json} value=${selected.data} />`
          : html`<div class="dim pad">Select an event to see its data.</div>`}
        </aside>
      </div>
    </div>`;
}

function typeTone(t) {
  if (/failed|error|blocked|conflict|oscillation|kill/.test(t)) return "t-failed";
  if (/passed|completed|verified/.test(t)) return "t-passed";
  if (/started|invoked|status/.test(t)) return "t-running";
  return "";
}
