// An attempt is one agent run: the table of a task's or an item's attempts, and the selected
// attempt's live output, rendered from the normalized AgentEvents the stream sends (?attempt=ID).
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { followAttempt, onOutput, unfollowAttempt } from "./stream.js";
import { Ago, Badge, brief, duration, html, tokens, usd } from "./ui.js";

/** Attempts in the order they started, and the one to show: the one asked for, else the latest. */
export function orderAttempts(attempts, wanted) {
  const ordered = [...attempts].sort((a, b) => a.started_at.localeCompare(b.started_at) || a.attempt_no - b.attempt_no);
  return { ordered, selected: ordered.find((a) => String(a.id) === wanted) ?? ordered[ordered.length - 1] ?? null };
}

export function AttemptsTable({ attempts, selected, onPick }) {
  if (attempts.length === 0) return html`<div class="dim pad">No attempts yet.</div>`;
  return html`
    <div class="scroll-y attempts-scroll">
      <table class="table">
        <thead><tr><th>#</th><th>Agent</th><th>Runtime</th><th>Model</th><th>Outcome</th><th class="num">Cost</th><th class="num">Tokens</th><th class="num">Duration</th><th>Started</th></tr></thead>
        <tbody>
          ${attempts.map((a) => {
            const o = a.outcome;
            const running = a.status === "running";
            return html`
              <tr key=${a.id} class=${`clickable ${selected?.id === a.id ? "selected" : ""}`} onClick=${() => onPick(a)} data-testid=${`attempt-${a.id}`}>
                <td class="mono">${a.attempt_no}</td>
                <td>${a.agent}</td>
                <td class="dim">${a.runtime}</td>
                <td class="dim">${a.model ?? "—"}</td>
                <td>${running ? html`<${Badge} status="running" />` : o ? html`<${Badge} status=${o.status} />` : html`<${Badge} status=${a.status} />`}
                  ${o?.error && html` <span class="err-text small att-error" title=${o.error}>${o.error}</span>`}</td>
                <td class="num">${usd(o?.cost_usd)}</td>
                <td class="num">${tokens(o?.tokens)}</td>
                <td class="num">${running ? html`<${Elapsed} since=${a.started_at} />` : duration(o?.duration_ms)}</td>
                <td class="dim"><${Ago} at=${a.started_at} /></td>
              </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
}

/** A running attempt's duration, ticking. */
function Elapsed({ since }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  return duration(Date.now() - Date.parse(since));
}

// ---- agent output --------------------------------------------------------------------------

const SHOWN_EVENTS = 1500; // beyond this only the tail is rendered unless asked

/** The selected attempt's normalized AgentEvents, live through the stream (?attempt=ID). */
export function AgentOutput({ attempt }) {
  const [events, setEvents] = useState([]);
  const [everything, setEverything] = useState(false);
  const box = useRef(null);
  const stick = useRef(true);
  const live = attempt.status === "running";

  useEffect(() => {
    if (!attempt.has_output && !live) return undefined;
    const off = onOutput((data, replace) => {
      if (String(data.attempt) !== String(attempt.id)) return;
      setEvents((prev) => (replace ? data.events : prev.concat(data.events)));
    });
    followAttempt(attempt.id);
    return () => { off(); unfollowAttempt(attempt.id); };
  }, [attempt.id]);

  // Keep the tail in view while the reader is at the bottom, as a terminal does.
  useLayoutEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [events]);
  const onScroll = () => {
    const el = box.current;
    stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 40;
  };

  const shown = everything ? events : events.slice(-SHOWN_EVENTS);
  const grouped = useMemo(() => group(shown), [shown]);
  return html`
    <div class="output" data-testid="agent-output" data-attempt=${attempt.id} ref=${box} onScroll=${onScroll}>
      ${events.length > shown.length && html`<button class="btn sm" onClick=${() => setEverything(true)}>Show ${events.length - shown.length} earlier events</button>`}
      ${grouped.map((b, i) => html`<${OutputBlock} key=${i} b=${b} />`)}
      ${events.length === 0 && html`<div class="dim pad">${attempt.has_output || live ? "Waiting for output…" : "No output was recorded for this attempt."}</div>`}
      ${live && events.length > 0 && html`<div class="cursor">▍</div>`}
    </div>`;
}

/** Consecutive raw lines (text, stderr) read as one block. */
function group(events) {
  const out = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if ((e.type === "text" || e.type === "stderr") && last?.type === e.type) last.lines.push(e.text);
    else out.push(e.type === "text" || e.type === "stderr" ? { type: e.type, lines: [e.text] } : e);
  }
  return out;
}

function toolSummary(input) {
  if (input === null || input === undefined) return "";
  if (typeof input === "string") return input;
  const pick = input.command ?? input.cmd ?? input.file_path ?? input.path ?? input.pattern ?? input.url ?? input.query ?? input.description ?? input.prompt;
  const text = typeof pick === "string" ? pick : Array.isArray(pick) ? pick.join(" ") : JSON.stringify(input);
  return text.replace(/\s+/g, " ");
}

function OutputBlock({ b }) {
  switch (b.type) {
    case "started":
      return html`<div class="ev ev-meta">▶ started${b.pid ? ` pid ${b.pid}` : ""}${b.model ? ` · ${b.model}` : ""}${b.command ? html` · <code>${b.command}</code>` : ""}</div>`;
    case "message":
      return html`<div class=${`ev ev-msg role-${b.role}`}><div class="ev-role">${b.role}</div><div class="ev-text">${b.text}</div></div>`;
    case "tool_call":
      return html`<div class="ev ev-tool" title=${JSON.stringify(b.input, null, 2)}><span class="ev-icon">⚙</span><b>${b.name}</b><span class="ev-args">${toolSummary(b.input)}</span></div>`;
    case "tool_result": {
      const text = typeof b.output === "string" ? b.output : JSON.stringify(b.output, null, 2) ?? "";
      const lines = text ? text.split("\n").length : 0;
      return html`
        <details class=${`ev ev-result ${b.ok === false ? "bad" : ""}`}>
          <summary>${b.ok === false ? "✕ error" : "↳ result"} <span class="dim">${lines} line${lines === 1 ? "" : "s"}</span></summary>
          <pre>${text}</pre>
        </details>`;
    }
    case "file_change":
      return html`<div class="ev ev-file"><span class="ev-icon">✎</span><span class="dim">${b.kind}</span> <code>${b.path}</code></div>`;
    case "usage": {
      const u = b.usage ?? {};
      return html`<div class="ev ev-meta">Σ in ${tokens(u.input_tokens)} · out ${tokens(u.output_tokens)}${u.cache_read_input_tokens ? ` · cached ${tokens(u.cache_read_input_tokens)}` : ""}${typeof b.costUsd === "number" ? ` · ${usd(b.costUsd)}` : ""}</div>`;
    }
    case "retry":
      return html`<div class="ev ev-retry">↻ retry ${b.attempt} in ${duration(b.delayMs)}: ${b.reason}</div>`;
    case "text":
      return html`<pre class="ev ev-raw">${b.lines.join("\n")}</pre>`;
    case "stderr":
      return html`<pre class="ev ev-raw stderr">${b.lines.join("\n")}</pre>`;
    default:
      return html`<div class="ev ev-meta">${b.type}: ${brief(b)}</div>`;
  }
}
